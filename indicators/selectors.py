"""Read-side queries on indicator values (validated only)."""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from indicators import formulas
from indicators.models import Indicator, IndicatorValue

POPULATION = "terr_1"


def validated_series(
    territory, indicators: Iterable[Indicator]
) -> dict[str, list[tuple[int, Decimal]]]:
    """``{identifier: [(year, value), …]}`` of validated values, sorted by year, for
    several indicators of one territory in one query. Derived indicators are computed
    year by year from their components (the population falls back to the
    territory's legal population when no value was reported)."""
    indicators = list(indicators)
    needed = set()
    for indicator in indicators:
        needed.update(indicator.components if indicator.is_derived else [indicator.identifier])
    by_year: dict[int, dict[str, Decimal]] = defaultdict(dict)
    rows = (
        IndicatorValue.objects.validated()
        .filter(territory=territory, indicator__identifier__in=needed)
        .values_list("year", "indicator__identifier", "value")
    )
    for year, identifier, value in rows:
        by_year[year][identifier] = value

    series: dict[str, list[tuple[int, Decimal]]] = {}
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


def derived_value(indicator: Indicator, components: dict[str, Decimal | None]) -> Decimal | None:
    return formulas.evaluate(indicator.formula, components)
