"""Read-side queries of contracts: public lists and progress against targets."""

from dataclasses import dataclass

from django.db.models import Prefetch

from contracts.models import Contract, ContractKind, Target
from indicators import progress
from indicators.models import Direction
from indicators.selectors import validated_series


@dataclass
class TargetRow:
    target: Target
    progress: progress.TargetProgress


def direction_of(target: Target) -> progress.Direction:
    if target.indicator.direction == Direction.LOWER:
        return progress.Direction.LOWER
    if target.indicator.direction == Direction.HIGHER:
        return progress.Direction.HIGHER
    # A neutral indicator: the target itself says which way is better.
    return (
        progress.Direction.HIGHER
        if target.target_value >= target.baseline_value
        else progress.Direction.LOWER
    )


def target_progress(contract: Contract) -> list[TargetRow]:
    """Every target of the contract with its progress, from validated values only
    (two queries whatever the number of targets)."""
    targets = list(contract.targets.select_related("indicator"))
    series = validated_series(contract.territory, {t.indicator for t in targets})
    return [
        TargetRow(
            target=t,
            progress=progress.evaluate(
                direction_of(t),
                t.baseline_year,
                t.baseline_value,
                t.target_year,
                t.target_value,
                series[t.indicator.identifier],
            ),
        )
        for t in targets
    ]


def signed_contracts():
    """Signed, active and completed TRI contracts for public lists."""
    return (
        Contract.objects.public()
        .filter(kind=ContractKind.COTRI)
        .select_related("territory")
        .prefetch_related(Prefetch("themes"))
        .order_by("-signed_on", "territory__name")
    )
