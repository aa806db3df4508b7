"""The values of the synthetic territories: plausible for the population
(per-inhabitant ratios with a trend and a territory factor) and depending only on the
seed and the territory code, so that the same seed gives the same values whatever the
machine."""

import random
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Series:
    """``per_inhabitant`` × population × territory factor, × (1 + trend) per year."""

    identifier: str
    per_inhabitant: float
    trend: float
    cumulative: bool = False  # grows from ~0 (dwellings renovated since the reference year)
    per_capita: bool = False  # the value is itself per inhabitant (kWh/hab.an)


INDICATORS = [
    Series("terr_1", 1.0, 0.003),
    Series("cae_2.a", 0.025, -0.015),  # GWh: 25 MWh per inhabitant
    Series("cae_2.e", 0.0075, -0.02),
    Series("cae_2.m", 0.008, -0.01),
    Series("cae_1.a", 0.006, -0.025),  # kteq CO2: 6 t per inhabitant
    Series("cae_1.c", 0.0012, -0.03),
    Series("cae_1.k", 0.002, -0.015),
    Series("cae_3.a", 4.0, 0.06),  # MWh: 4 MWh per inhabitant
    Series("cae_20", 85.0, -0.04, per_capita=True),  # kWh/hab.an
    Series("tri_logements_renoves", 0.004, 0.0, cumulative=True),
    Series("tri_points_recharge_ve", 0.0008, 0.25),
    Series("tri_amenagements_cyclables", 0.0006, 0.05),
]


def seeded_random(seed: int, *parts) -> random.Random:
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def series_values(series: Series, population: int, factor: float, years: list[int], first: int):
    """The values of one territory for ``years`` (Decimal, 3 decimals)."""
    values = []
    for year in years:
        step = year - first
        if series.per_capita:
            amount = series.per_inhabitant * factor * (1 + series.trend) ** step
        elif series.cumulative:
            amount = series.per_inhabitant * population * factor * (step + 1)
        else:
            amount = series.per_inhabitant * population * factor * (1 + series.trend) ** step
        values.append(Decimal(f"{max(amount, 0):.3f}"))
    return values


def territory_values(seed: int, code: str, population: int, years: list[int]) -> list[list]:
    """{indicator: [values per year]} for one territory: depends only on seed and code."""
    rng = seeded_random(seed, code)
    first = years[0]
    rows = []
    for series in INDICATORS:
        factor = rng.uniform(0.6, 1.4)
        rows.append(series_values(series, population, factor, years, first))
    return rows
