"""Read-side queries on indicator values (validated only) and on the region's goals."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F

from indicators import formulas
from indicators.models import POPULATION_IDENTIFIER as POPULATION
from indicators.models import Aggregate, Indicator, IndicatorValue, RegionalGoal
from indicators.trajectory import TargetStanding, evaluate_objective

Series = dict[str, list[tuple[int, Decimal]]]


def validated_series(territory, indicators: Iterable[Indicator]) -> Series:
    """``{identifier: [(year, value), …]}`` of validated values, sorted by year, for
    several indicators of one territory in one query. Derived indicators are computed
    year by year from their components (the population falls back to the
    territory's legal population when no value was reported)."""
    return validated_series_by_territory([territory], indicators)[territory.pk]


def validated_series_by_territory(
    territories, indicators: Iterable[Indicator]
) -> dict[int, Series]:
    """Same as :func:`validated_series` for several territories, still one query."""
    territories = list(territories)
    indicators = list(indicators)
    needed = set()
    for indicator in indicators:
        needed.update(indicator.components if indicator.is_derived else [indicator.identifier])
    by_territory: dict[int, dict[int, dict[str, Decimal]]] = {
        t.pk: defaultdict(dict) for t in territories
    }
    rows = (
        IndicatorValue.objects.validated()
        .filter(territory__in=territories, indicator__identifier__in=needed)
        .values_list("territory_id", "year", "indicator__identifier", "value")
    )
    for territory_id, year, identifier, value in rows:
        by_territory[territory_id][year][identifier] = value
    return {t.pk: series_of(t, indicators, by_territory[t.pk]) for t in territories}


def series_of(territory, indicators, by_year) -> Series:
    series: Series = {}
    for indicator in indicators:
        points = []
        for year in sorted(by_year):
            values = by_year[year]
            if indicator.is_derived:
                if POPULATION in indicator.components and POPULATION not in values:
                    values = {**values, POPULATION: territory.population}
                value = formulas.evaluate(indicator.formula, values)
            else:
                value = values.get(indicator.identifier)
            if value is not None:
                points.append((year, value))
        series[indicator.identifier] = points
    return series


def latest_scope_aggregates(scope) -> list[Aggregate]:
    """The latest materialised aggregate (with a value) of every indicator over
    ``scope``, key indicators first; each says what share of the scope it covers (the
    scope's population is read with it: one query)."""
    rows = (
        Aggregate.objects.filter(scope=scope, value__isnull=False)
        .select_related("scope", "indicator")
        .order_by("-indicator__is_key", "indicator__identifier", "-year")
    )
    latest: dict[int, Aggregate] = {}
    for row in rows:
        latest.setdefault(row.indicator_id, row)
    return list(latest.values())


@dataclass
class GoalRow:
    """One of the region's goals, where it stands, and the series it is measured on:
    the region's materialised aggregates of the goal's indicator, ``[(year, value)]``."""

    goal: RegionalGoal
    standing: TargetStanding
    aggregates: dict[int, Aggregate]  # by year, ascending

    @property
    def series(self) -> list[tuple[int, Decimal]]:
        return [(year, aggregate.value) for year, aggregate in self.aggregates.items()]

    @property
    def latest_aggregate(self) -> Aggregate | None:
        """The region's aggregate of the latest year: what share of the region it covers."""
        return self.aggregates.get(self.standing.latest_year)

    def provenance(self, year: int | None = None):
        """Where the region's value of ``year`` (default: the latest) comes from."""
        from indicators.provenance import aggregate_provenance  # provenance reads selectors

        aggregate = self.aggregates.get(self.standing.latest_year if year is None else year)
        return aggregate_provenance(aggregate) if aggregate else None


def goal_rows(goals: Iterable[RegionalGoal]) -> list[GoalRow]:
    """Each goal (with ``indicator`` selected) against its region's aggregates, in one
    query whatever the number of goals."""
    goals = list(goals)
    by_goal: dict[tuple[int, int], dict] = {(g.territory_id, g.indicator_id): {} for g in goals}
    rows = (
        Aggregate.objects.filter(
            scope_id__in={g.territory_id for g in goals},
            indicator_id__in={g.indicator_id for g in goals},
            value__isnull=False,
            # Only a figure covering the whole region is the region's: a sum over the few
            # territories that reported a later year is not.
            covered_population__gte=F("scope__population"),
        )
        .select_related("scope")
        .order_by("year")
    )
    for row in rows:
        if (row.scope_id, row.indicator_id) in by_goal:
            by_goal[row.scope_id, row.indicator_id][row.year] = row
    result = []
    for goal in goals:
        aggregates = by_goal[goal.territory_id, goal.indicator_id]
        series = [(year, aggregate.value) for year, aggregate in aggregates.items()]
        result.append(GoalRow(goal, evaluate_objective(goal, series), aggregates))
    return result


def regional_goals(region) -> list[GoalRow]:
    """The region's goals against its aggregates (latest value, trajectory, status),
    by indicator identifier."""
    return goal_rows(RegionalGoal.objects.of_region(region).order_by("indicator__identifier"))
