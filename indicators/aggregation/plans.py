"""What to compute: which indicators are aggregated, and how (``Plan``), over which
scopes (``SCOPE_KINDS``).

A plan names the stored indicators summed over a scope's kept set: the indicator itself
for a sum or a population-weighted mean, its components for a ratio. Ratios
(``cae_3.b``) are recomputed from the sums of their components over one kept set
(territories having every component that year), never averaged; a population in a
formula is the covered population (counted on communes).
"""

from dataclasses import dataclass
from decimal import Decimal

from indicators import formulas
from indicators.models import POPULATION_IDENTIFIER as POPULATION
from indicators.models import VALUE_QUANTUM as PRECISION
from indicators.models import Aggregation, Indicator
from territories.models import TerritoryKind

SCOPE_KINDS = (
    TerritoryKind.REGION,
    TerritoryKind.DEPARTEMENT,
    TerritoryKind.SYNDICAT,
    TerritoryKind.EPCI,
)


@dataclass
class Plan:
    """How one indicator is aggregated: which stored indicators are summed."""

    indicator: Indicator
    components: list[Indicator]  # summed over the kept set
    uses_population: bool = False

    @property
    def weighted(self) -> bool:
        return self.indicator.aggregation == Aggregation.WEIGHTED_MEAN

    def value(self, sums: list[Decimal | None], weighted_sum, population) -> Decimal | None:
        if self.indicator.aggregation == Aggregation.RATIO:
            values = {c.identifier: s for c, s in zip(self.components, sums, strict=True)}
            if self.uses_population:
                values[POPULATION] = Decimal(population) if population else None
            result = formulas.evaluate(self.indicator.formula, values)
        elif self.weighted:
            result = Decimal(weighted_sum) / Decimal(population) if population else None
        else:
            result = sums[0]
        return None if result is None else Decimal(result).quantize(PRECISION)


def plan_for(indicator: Indicator, catalogue: dict[str, Indicator]) -> Plan | None:
    if indicator.aggregation == Aggregation.NONE:
        return None
    if indicator.aggregation == Aggregation.RATIO:
        names = indicator.components
        components = [catalogue[n] for n in names if n != POPULATION and n in catalogue]
        if not components or len(components) != len([n for n in names if n != POPULATION]):
            return None
        return Plan(indicator, components, uses_population=POPULATION in names)
    return Plan(indicator, [indicator])


def dependents_of(identifiers: set[str], catalogue: dict[str, Indicator]) -> set[str]:
    """The indicators to recompute when these change: themselves and the ratios using them."""
    found = set(identifiers)
    for indicator in catalogue.values():
        if indicator.is_derived and found & set(indicator.components):
            found.add(indicator.identifier)
    return found
