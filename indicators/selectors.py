"""Read-side queries on indicator values (validated only)."""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from indicators import formulas
from indicators.models import POPULATION_IDENTIFIER as POPULATION
from indicators.models import Aggregate, Indicator, IndicatorValue

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
