"""The region's TRI 2050 goals against its materialised aggregates, shown by both the
staff and the public regional dashboards."""

from dataclasses import dataclass, field

from django.conf import settings

from contracts.models import Contract, ContractKind, Target
from contracts.selectors import evaluate_target
from indicators.models import Aggregate
from indicators.provenance import Provenance, aggregate_provenance
from indicators.trajectory import TargetStanding
from territories.models import Territory, TerritoryKind


@dataclass
class GoalRow:
    target: Target
    standing: TargetStanding
    series: list
    provenances: dict[int, Provenance] = field(default_factory=dict)  # by year

    @property
    def provenance(self) -> Provenance | None:
        """Where the latest regional value comes from."""
        return self.provenances.get(self.standing.latest_year)

    # The region's aggregate of the latest year: what share of the region it covers.
    latest_aggregate: Aggregate | None = None


def default_region() -> Territory | None:
    return Territory.objects.filter(
        kind=TerritoryKind.REGION, code=settings.TERRITORIES_DEFAULT_REGION
    ).first()


def regional_goals(region: Territory) -> list[GoalRow]:
    """The region's 2050 goals against its aggregates (latest value, trajectory, status)."""
    goals = Contract.objects.filter(kind=ContractKind.REGIONAL_GOALS, territory=region).first()
    if goals is None:
        return []
    targets = list(goals.targets.select_related("indicator").order_by("indicator__identifier"))
    series: dict[int, list] = {t.indicator_id: [] for t in targets}
    provenances: dict[int, dict] = {t.indicator_id: {} for t in targets}
    latest: dict[int, Aggregate] = {}
    rows = (
        Aggregate.objects.filter(scope=region, indicator_id__in=series, value__isnull=False)
        .select_related("scope")
        .order_by("year")
    )
    for aggregate in rows:
        series[aggregate.indicator_id].append((aggregate.year, aggregate.value))
        provenances[aggregate.indicator_id][aggregate.year] = aggregate_provenance(aggregate)
        latest[aggregate.indicator_id] = aggregate
    return [
        GoalRow(
            t,
            evaluate_target(t, series[t.indicator_id]),
            series[t.indicator_id],
            provenances[t.indicator_id],
            latest.get(t.indicator_id),
        )
        for t in targets
    ]
