"""Units of the indicator catalogue and the plausible bounds of a value in each.

Bounds stop typos and absurd numbers (a commune's energy in kWh typed as GWh…)
before they reach the database; they are generous enough for all of France."""

from decimal import Decimal

UNIT_BOUNDS: dict[str, tuple[Decimal, Decimal]] = {
    "habitants": (Decimal(0), Decimal(100_000_000)),
    "GWh": (Decimal(0), Decimal(5_000_000)),
    "MWh": (Decimal(0), Decimal(5_000_000_000)),
    "kteq CO2": (Decimal(0), Decimal(1_000_000)),
    "teq CO2/hab": (Decimal(0), Decimal(10_000)),
    "MWh/hab": (Decimal(0), Decimal(100_000)),
    "kWh/hab.an": (Decimal(0), Decimal(100_000)),
    "%": (Decimal(0), Decimal(100_000)),
    "logements": (Decimal(0), Decimal(50_000_000)),
    "m²": (Decimal(0), Decimal(1_000_000_000)),
    "points de recharge": (Decimal(0), Decimal(10_000_000)),
    "km": (Decimal(0), Decimal(10_000_000)),
}

# Decimals a value is shown with (pages, the contract CSV): counts are whole numbers.
UNIT_DECIMALS: dict[str, int] = {
    "habitants": 0,
    "GWh": 1,
    "MWh": 0,
    "kteq CO2": 1,
    "teq CO2/hab": 2,
    "MWh/hab": 2,
    "kWh/hab.an": 0,
    "%": 1,
    "logements": 0,
    "m²": 0,
    "points de recharge": 0,
    "km": 1,
}

# Amounts that grow with the territory's size, compared between territories per
# inhabitant (maps, peers): the unit per inhabitant and the factor from the amount
# divided by the population (1 GWh for 1 000 inhabitants: 1 MWh each).
PER_INHABITANT: dict[str, tuple[str, Decimal]] = {
    "GWh": ("MWh/hab", Decimal(1000)),
    "MWh": ("MWh/hab", Decimal(1)),
    "kteq CO2": ("teq CO2/hab", Decimal(1000)),
}
