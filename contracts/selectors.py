"""Read-side queries of contracts: public lists and where targets stand against their
trajectory."""

from dataclasses import dataclass

from django.db.models import Count, F, Prefetch, prefetch_related_objects

from contracts.life import has_amendments, original_targets, targets_in_force
from contracts.models import (
    COVERING_STATUSES,
    ENDED_STATUSES,
    PUBLIC_STATUSES,
    SHORT_OF_PATH_ALIGNMENTS,
    Contract,
    ContractStatus,
    Target,
    TargetAlignment,
)
from indicators.models import IndicatorValue
from indicators.provenance import Provenance
from indicators.selectors import validated_series, validated_series_by_territory
from indicators.trajectory import (
    FinalOutcome,
    TargetDirection,
    TargetStanding,
    evaluate_objective,
    final_outcome,
    target_direction,
)


@dataclass
class TargetRow:
    target: Target
    standing: TargetStanding
    outcome: FinalOutcome | None = None  # a completed contract: was the target met?
    provenance: Provenance | None = None  # of the latest validated value (pages)


def direction_of(target: Target) -> TargetDirection:
    return target_direction(target.indicator.direction, target.baseline_value, target.target_value)


def evaluate_target(target: Target, series) -> TargetStanding:
    """Where ``target`` stands on the territory's validated ``series``; for a contract that
    is over, on the values up to its end year (later ones belong to its renewal)."""
    contract = target.contract
    if contract.status in ENDED_STATUSES:
        series = [(year, value) for year, value in series if year <= contract.end_date.year]
    return evaluate_objective(target, series)


def _rows(contract: Contract, targets, series, year: int | None = None) -> list[TargetRow]:
    rows = []
    for target in targets:
        target.contract = contract
        observations = series[target.indicator.identifier]
        if year is not None:
            observations = [(y, value) for y, value in observations if y <= year]
        outcome = None
        if contract.status == ContractStatus.COMPLETED:
            outcome = final_outcome(
                direction_of(target),
                target.baseline_year,
                target.target_value,
                contract.end_date.year,
                observations,
            )
        rows.append(TargetRow(target, evaluate_target(target, observations), outcome))
    return rows


def _with_life(contract: Contract) -> Contract:
    """The contract with its targets and amendments prefetched (``targets_in_force``)."""
    if hasattr(contract, "_prefetched_objects_cache") and "amendments" in (
        contract._prefetched_objects_cache
    ):
        return contract
    prefetch_related_objects([contract], "targets__indicator", "amendments__changes__indicator")
    return contract


def target_standings(contract: Contract) -> list[TargetRow]:
    """Every target of the contract with where it stands, from validated values only
    (a fixed number of queries whatever the number of targets): the targets in force
    in the latest year evaluated (``contracts.life.targets_in_force``: an amendment
    effective later does not count yet); for a completed contract, also whether each
    target was met at its end."""
    contract = _with_life(contract)
    targets = list(contract.targets.all())
    if not has_amendments(contract):
        series = validated_series(contract.territory, {t.indicator for t in targets})
        return _rows(contract, targets, series)
    everything = original_targets(contract) + targets
    series = validated_series(contract.territory, {t.indicator for t in everything})
    years = [
        year
        for target in everything
        for year, _value in series[target.indicator.identifier]
        if contract.status not in ENDED_STATUSES or year <= contract.end_date.year
    ]
    latest = max(years, default=contract.start_date.year)
    return _rows(contract, targets_in_force(contract, latest), series)


def target_standings_in(contract: Contract, year: int) -> list[TargetRow]:
    """Where the targets in force in ``year`` stood on the values validated up to that
    year: the progress of ``year`` (an amendment effective later leaves it as it was)."""
    contract = _with_life(contract)
    targets = targets_in_force(contract, year)
    series = validated_series(contract.territory, {t.indicator for t in targets})
    return _rows(contract, targets, series, year)


def standings_of_targets(targets) -> dict[int, TargetStanding]:
    """``{target id: standing}`` for targets of any contracts, in one query of values
    (targets must come with ``contract__territory`` and ``indicator`` selected)."""
    targets = list(targets)
    series = validated_series_by_territory(
        {t.contract.territory for t in targets}, {t.indicator for t in targets}
    )
    return {
        t.pk: evaluate_target(t, series[t.contract.territory_id][t.indicator.identifier])
        for t in targets
    }


def signed_contracts():
    """Signed, active and completed TRI contracts for public lists."""
    return (
        Contract.objects.public()
        .select_related("territory")
        .prefetch_related(Prefetch("themes"))
        .order_by("-signed_on", "territory__name")
    )


def publishes_demo_data() -> bool:
    """Whether the public figures (contracts, validated values and the aggregates
    computed from them) include demonstration data."""
    return (
        Contract.objects.public().filter(is_demo=True).exists()
        or IndicatorValue.objects.validated().filter(is_demo=True).exists()
    )


def alignment_counts(statuses=COVERING_STATUSES) -> dict[str, int]:
    """``{alignment: number of targets}`` of the contracts in ``statuses`` (in force by
    default), every label present (0 when none), blank for no regional path."""
    counts = dict(
        Target.objects.filter(contract__status__in=statuses, alignment_computed_at__isnull=False)
        .values_list("alignment")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {value: counts.get(value, 0) for value in TargetAlignment.values}


def targets_short_of_path():
    """Targets of public contracts below the regional path, by indicator, the largest
    gap (in the indicator's unit) first."""
    return (
        Target.objects.filter(
            contract__status__in=PUBLIC_STATUSES, alignment__in=SHORT_OF_PATH_ALIGNMENTS
        )
        .select_related("indicator", "contract__territory")
        .order_by("indicator__identifier", F("alignment_gap").desc(nulls_last=True), "pk")
    )
