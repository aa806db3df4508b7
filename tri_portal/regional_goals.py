"""The region's TRI 2050 goals against its materialised aggregates, shown by both the
staff and the public regional dashboards."""

from dataclasses import dataclass

from django.conf import settings

from contracts.models import Contract, ContractKind, Target
from contracts.selectors import evaluate_target
from indicators.models import Aggregate
from indicators.trajectory import TargetStanding
from territories.models import Territory, TerritoryKind


@dataclass
class GoalRow:
    target: Target
    standing: TargetStanding
    series: list


def default_region() -> Territory | None:
    return Territory.objects.filter(
        kind=TerritoryKind.REGION, code=settings.TERRITORIES_DEFAULT_REGION
    ).first()


def regional_goals(region: Territory) -> list[GoalRow]:
    """The region's 2050 goals against its aggregates (latest value, trajectory, status):
    only those of years whose figure covers the whole region — a sum over the few
    territories that reported a later year is not the region's figure."""
    goals = Contract.objects.filter(kind=ContractKind.REGIONAL_GOALS, territory=region).first()
    if goals is None:
        return []
    targets = list(goals.targets.select_related("indicator").order_by("indicator__identifier"))
    series: dict[int, list] = {t.indicator_id: [] for t in targets}
    rows = (
        Aggregate.objects.filter(
            scope=region,
            indicator_id__in=series,
            value__isnull=False,
            covered_population__gte=region.population or 0,
        )
        .order_by("year")
        .values_list("indicator_id", "year", "value")
    )
    for indicator_id, year, value in rows:
        series[indicator_id].append((year, value))
    return [
        GoalRow(t, evaluate_target(t, series[t.indicator_id]), series[t.indicator_id])
        for t in targets
    ]
