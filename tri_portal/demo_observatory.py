"""Demo « observatory » figures: final energy, GHG emissions and renewable production of
every EPCI of the region, for the years the demo contracts report, as the regional
climate observatory would publish them — so that territories have peers to be
compared with (issue 20 §3). Fictitious, deterministic, marked as demo data.

Sized per inhabitant on the region's own demo values (``REGION_VALUES``, extended
after their last year by steady trends), times a factor of each EPCI (industry, rural
wind farms…) and a small yearly noise, all drawn from fixed seeds. Published like the
region's own values (``publish_validated_values``), validated by the Region's agent in
June of the following year. A (territory, year) that a contract reports on (whatever
the report's state) or that already has a value (an earlier load) gets none."""

import random
from datetime import date
from decimal import Decimal

from contracts.models import ProgressReport
from indicators.models import Indicator, IndicatorValue
from indicators.services import PublishedValue, publish_validated_values
from territories.models import Territory, TerritoryKind
from tri_portal import demo_contracts as data

SOURCE = "Données de démonstration (fictives) — Observatoire Climat Hauts-de-France"
INDICATORS = ("cae_2.a", "cae_1.a", "cae_3.a")
# Yearly change of the regional figures per inhabitant after the last regional value.
TRENDS = {"cae_2.a": Decimal("-0.015"), "cae_1.a": Decimal("-0.025"), "cae_3.a": Decimal("0.06")}


def observatory_years(today: date) -> list[int]:
    """The years the demo contracts report (the 2017 contracts', and those the later
    ones have validated on ``today``) up to the region's last own value
    (``REGION_VALUES``): after it the region publishes no total of its own, and every
    EPCI's figure would make the regional aggregate a full-coverage sum of these
    fictitious figures, shown on the dashboards in place of the region's own."""
    reported = set(data.YEARS) | set(range(today.year - 4, today.year - 1))
    return sorted(year for year in reported if year <= max(data.REGION_VALUES))


def _draw(seed: str, low: float, high: float) -> Decimal:
    return Decimal(str(round(random.Random(seed).uniform(low, high), 4)))


def regional_per_inhabitant(year: int, population: int) -> dict[str, Decimal]:
    """The region's energy (GWh), GHG (kteq) and renewable production (MWh) per
    inhabitant in ``year``: its demo value, or the last one extended by ``TRENDS``."""
    last = max([y for y in data.REGION_VALUES if y <= year] or [min(data.REGION_VALUES)])
    figures = dict(zip(INDICATORS, data.REGION_VALUES[last], strict=True))
    return {
        identifier: Decimal(figures[identifier])
        / population
        * (1 + TRENDS[identifier]) ** max(0, year - last)
        for identifier in INDICATORS
    }


def epci_values(code: str, population: int, year: int, regional) -> dict[str, Decimal]:
    """One EPCI's three figures of ``year``: the regional ones per inhabitant × its own
    factors (energy 0.7–1.35, emissions ±10 % around it, renewables 0.4–2.2 — wind
    farms in rural communities) × a yearly noise of ±2 %."""
    energy_factor = _draw(f"observatory/{code}/energy", 0.7, 1.35)
    factors = {
        "cae_2.a": energy_factor,
        "cae_1.a": energy_factor * _draw(f"observatory/{code}/ghg", 0.9, 1.1),
        "cae_3.a": _draw(f"observatory/{code}/renewable", 0.4, 2.2),
    }
    values = {}
    for identifier in INDICATORS:
        noise = 1 + _draw(f"observatory/{code}/{identifier}/{year}", -0.02, 0.02)
        value = regional[identifier] * population * factors[identifier] * noise
        values[identifier] = data.quantize(value, "1" if identifier == "cae_3.a" else "0.1")
    return values


def load_observatory_values(region: Territory, validator, today: date, dated) -> int:
    """Publish the observatory figures of every EPCI of ``region`` (idempotent: what
    already has a value is left alone), validated at ``dated(day)``; returns the number
    of values published."""
    indicators = Indicator.objects.in_bulk(list(INDICATORS), field_name="identifier")
    years = observatory_years(today)
    epcis = list(
        Territory.objects.filter(
            kind=TerritoryKind.EPCI, ancestor_links__ancestor=region, population__gt=0
        )
        .distinct()
        .order_by("code")
    )
    taken = set(  # (territory, year): a contract reports on it, or an earlier load
        IndicatorValue.objects.filter(
            territory__in=epcis, indicator__in=indicators.values(), year__in=years
        ).values_list("territory_id", "year")
    ) | set(
        ProgressReport.objects.filter(contract__territory__in=epcis, year__in=years).values_list(
            "contract__territory_id", "year"
        )
    )
    regional = {year: regional_per_inhabitant(year, region.population) for year in years}
    published = 0
    for epci in epcis:
        values = [
            PublishedValue(indicators[i], year, value, validated_at=dated(date(year + 1, 6, 20)))
            for year in years
            for i, value in epci_values(epci.code, epci.population, year, regional[year]).items()
            if (epci.pk, year) not in taken
        ]
        if values:
            publish_validated_values(epci, values, source=SOURCE, by=validator, is_demo=True)
            published += len(values)
    return published
