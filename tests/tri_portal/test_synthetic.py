"""`manage.py generate_synthetic`: plausible, deterministic data at a chosen scale."""

import io
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from contracts.models import Contract, ContractStatus, ProgressReport, ReportStatus
from indicators.aggregation import recompute_all
from indicators.models import Aggregate, IndicatorValue, ValueStatus
from territories.models import Territory, TerritoryClosure, TerritoryKind
from tri_portal import synthetic

LAST_YEAR = 2024


def generate(years=2, seed=7):
    out = io.StringIO()
    call_command(
        "generate_synthetic",
        "--scale",
        "tiny",
        "--years",
        str(years),
        "--seed",
        str(seed),
        "--last-year",
        str(LAST_YEAR),
        stdout=out,
        stderr=io.StringIO(),
    )
    return out.getvalue()


def oise_reporting_territories():
    oise = Territory.objects.get(kind=TerritoryKind.DEPARTEMENT, code=synthetic.TINY_DEPARTEMENT)
    inside = TerritoryClosure.objects.filter(ancestor=oise, contains_whole=True)
    return Territory.objects.filter(
        pk__in=inside.values("descendant_id"),
        kind__in=[TerritoryKind.EPCI, TerritoryKind.COMMUNE],
    )


@pytest.mark.django_db
def test_every_epci_and_commune_of_the_scale_gets_every_indicator_every_year():
    message = generate(years=2)

    territories = oise_reporting_territories()
    expected = territories.count() * len(synthetic.INDICATORS) * 2
    assert IndicatorValue.objects.count() == expected
    assert f"{expected} valeurs" in message
    per_key = Counter(
        IndicatorValue.objects.values_list("territory_id", "indicator__identifier", "year")
    )
    assert set(per_key.values()) == {1}
    assert {year for _t, _i, year in per_key} == {LAST_YEAR - 1, LAST_YEAR}
    assert {t for t, _i, _y in per_key} == set(territories.values_list("pk", flat=True))
    assert not IndicatorValue.objects.exclude(source=synthetic.SOURCE).exists()
    assert not IndicatorValue.objects.filter(is_demo=False).exists()


@pytest.mark.django_db
def test_values_are_plausible_for_the_population():
    generate(years=1)

    beauvais = Territory.objects.get(kind=TerritoryKind.COMMUNE, name="Beauvais")
    values = dict(
        IndicatorValue.objects.filter(territory=beauvais).values_list(
            "indicator__identifier", "value"
        )
    )
    population = Decimal(beauvais.population)
    # ≈ 25 MWh of final energy and ≈ 6 t of CO2e per inhabitant, within the territory factor
    assert population * Decimal("0.015") <= values["cae_2.a"] <= population * Decimal("0.035")
    assert population * Decimal("0.0036") <= values["cae_1.a"] <= population * Decimal("0.0084")
    assert abs(values["terr_1"] - population) <= population * Decimal("0.4")


@pytest.mark.django_db
def test_contracts_nest_and_the_last_year_waits_for_validation():
    generate(years=5)

    contracts = Contract.objects.filter(reference__startswith=synthetic.REFERENCE_PREFIX)
    kinds = Counter(contracts.values_list("territory__kind", flat=True))
    assert kinds[TerritoryKind.EPCI] >= 1
    assert kinds[TerritoryKind.COMMUNE] >= 1
    epcis = contracts.filter(territory__kind=TerritoryKind.EPCI).values("territory_id")
    nested = contracts.filter(
        territory__kind=TerritoryKind.COMMUNE,
        territory__in=TerritoryClosure.objects.filter(ancestor__in=epcis).values("descendant_id"),
    )
    assert nested.exists(), "a contracted commune inside a contracted EPCI"
    assert set(contracts.values_list("status", flat=True)) == {
        ContractStatus.ACTIVE,
        ContractStatus.COMPLETED,
    }
    for contract in contracts:
        assert (contract.end_date - contract.start_date).days in (1094, 1095)
        assert contract.targets.count() == len(synthetic.TARGET_INDICATORS)

    waiting = ProgressReport.objects.filter(status=ReportStatus.SUBMITTED)
    assert set(waiting.values_list("year", flat=True)) == {LAST_YEAR}
    assert waiting.count() == contracts.filter(status=ContractStatus.ACTIVE).count()
    for report in waiting:
        statuses = set(report.values.values_list("status", flat=True))
        assert statuses == {ValueStatus.SUBMITTED}
        assert report.values.count() == len(synthetic.INDICATORS)
    validated = ProgressReport.objects.filter(status=ReportStatus.VALIDATED)
    assert validated.exists()
    assert not IndicatorValue.objects.filter(report__in=validated).exclude(
        status=ValueStatus.VALIDATED
    )


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_values_and_another_seed_others():
    years = [2020, 2021, 2022]
    first = synthetic.territory_values(3, "60057", 54_000, years)
    assert synthetic.territory_values(3, "60057", 54_000, years) == first
    assert synthetic.territory_values(4, "60057", 54_000, years) != first

    generate(years=1, seed=3)
    stored = dict(
        IndicatorValue.objects.filter(territory__code="60057", year=LAST_YEAR).values_list(
            "indicator__identifier", "value"
        )
    )
    beauvais = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="60057")
    expected = synthetic.territory_values(3, "60057", beauvais.population, [LAST_YEAR])
    assert stored == {
        series.identifier: values[0]
        for series, values in zip(synthetic.INDICATORS, expected, strict=True)
    }


@pytest.mark.django_db
def test_a_second_generation_in_the_same_database_is_refused():
    generate(years=1)
    count = IndicatorValue.objects.count()

    with pytest.raises(CommandError, match="existent déjà"):
        generate(years=1)
    assert IndicatorValue.objects.count() == count


@pytest.mark.django_db
@pytest.mark.parametrize("option", [["--years", "0"], ["--years", "31"], ["--last-year", "2999"]])
def test_bad_options_are_refused_in_french_before_anything_is_written(option):
    with pytest.raises(CommandError, match="--"):
        call_command("generate_synthetic", "--scale", "tiny", *option, stdout=io.StringIO())
    assert not IndicatorValue.objects.exists()


@pytest.mark.django_db
def test_the_generated_data_aggregates_without_double_counting():
    generate(years=1)
    recompute_all()

    oise = Territory.objects.get(kind=TerritoryKind.DEPARTEMENT, code=synthetic.TINY_DEPARTEMENT)
    aggregate = Aggregate.objects.get(scope=oise, indicator__identifier="cae_2.a", year=LAST_YEAR)
    # Every commune of the Oise lies in an EPCI with a value: the EPCIs wholly inside
    # the département are counted, their communes are not counted a second time.
    kept = Territory.objects.filter(pk__in=aggregate.computed_from["kept"])
    assert set(kept.values_list("kind", flat=True)) <= {TerritoryKind.EPCI, TerritoryKind.COMMUNE}
    epci_sum = sum(
        IndicatorValue.objects.filter(
            territory__in=kept, indicator__identifier="cae_2.a", year=LAST_YEAR
        ).values_list("value", flat=True)
    )
    assert aggregate.value == epci_sum
