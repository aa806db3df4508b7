"""The figures a territory page shows beyond its own values: a département's or the
region's aggregates with the population they cover and the contracts signed inside it;
for a territory without validated values, those of the territory reporting for it."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts import services
from indicators.aggregation import recompute_all
from indicators.models import IndicatorValue
from territories.models import Territory, TerritoryKind
from tests.contracts.factories import ContractFactory, TargetFactory, signable
from tests.indicators.factories import ValidatedValueFactory
from tests.pages import visible_text


def territory(kind, code) -> Territory:
    return Territory.objects.get(kind=kind, code=code)


def page_text(client, place: Territory) -> str:
    response = client.get(reverse("territory", args=[place.slug]))
    assert response.status_code == 200
    return visible_text(response.content.decode())


def thousands(number: int) -> str:
    """French grouping as the page text reads (visible_text turns no-break spaces into spaces)."""
    return f"{number:,}".replace(",", " ")


def figures_table(text: str) -> str:
    start = text.index("dernier agrégat calculé de chaque indicateur")
    return text[start : text.index("Indicateurs clés", start)]


@pytest.fixture
def nord(db):
    return territory(TerritoryKind.DEPARTEMENT, "59")


@pytest.fixture
def grande_synthe(db):
    return territory(TerritoryKind.COMMUNE, "59271")


@pytest.fixture
def reported(fourmies, grande_synthe):
    """Final energy validated for Fourmies (2018, 2019) and Grande-Synthe (2019), then
    aggregated."""
    ValidatedValueFactory(territory=fourmies, year=2018, value=Decimal("250"))
    ValidatedValueFactory(territory=fourmies, year=2019, value=Decimal("240.25"))
    ValidatedValueFactory(territory=grande_synthe, year=2019, value=Decimal("300"))
    recompute_all()


def test_a_departement_shows_its_latest_aggregates_with_the_population_they_cover(
    client, nord, fourmies, grande_synthe, reported
):
    table = figures_table(page_text(client, nord))

    covered = fourmies.population + grande_synthe.population
    share = f"{covered / nord.population * 100:.1f}".replace(".", ",")
    row = table[table.index("Consommation énergétique finale") :]
    assert row.startswith(
        f"Consommation énergétique finale (GWh) 2019 540,3 "
        f"Agrégat partiel : {thousands(covered)} habitants sur {thousands(nord.population)} "
        f"({share} %) — pas le total du territoire 2 "
    )
    assert " 2018 " not in table  # the latest year only


def test_an_aggregate_covering_the_whole_scope_is_not_called_partial(client, db):
    aisne = territory(TerritoryKind.DEPARTEMENT, "02")
    ValidatedValueFactory(territory=aisne, year=2019, value=Decimal("12000"))
    recompute_all()

    table = figures_table(page_text(client, aisne))

    assert "Consommation énergétique finale (GWh) 2019 12 000,0" in table
    assert "Total du territoire" in table
    assert "Agrégat partiel" not in table


def test_the_region_page_shows_its_aggregates_too(client, hauts_de_france, reported):
    table = figures_table(page_text(client, hauts_de_france))

    assert "Consommation énergétique finale (GWh) 2019 540,3" in table
    assert "Agrégat partiel" in table


def test_a_departement_without_aggregates_says_so(client, db):
    somme = territory(TerritoryKind.DEPARTEMENT, "80")

    text = page_text(client, somme)

    assert "Aucun agrégat n'a encore été calculé" in text


@pytest.fixture
def fourmies_contract(staff, fourmies):
    contract = ContractFactory(territory=fourmies, title="Contrat de Fourmies")
    TargetFactory(contract=contract, baseline_year=2017, target_year=2020)
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    return contract


def test_departement_and_region_pages_list_the_contracts_signed_inside_them(
    client, nord, hauts_de_france, fourmies_contract
):
    ContractFactory(territory=fourmies_contract.territory, title="Brouillon de Fourmies")
    aisne = territory(TerritoryKind.DEPARTEMENT, "02")

    for scope in (nord, hauts_de_france):
        text = page_text(client, scope)
        assert (
            "1 contrat signé par un territoire qui en fait partie : "
            "Contrat de Fourmies — signé par Fourmies (Commune)"
        ) in text
        assert "Brouillon de Fourmies" not in text
        assert "Population couverte par ces contrats" in text
        assert "Aucun contrat d'objectifs TRI ne couvre ce territoire" not in text
    assert "Contrat de Fourmies" not in page_text(client, aisne)


# --- the territory reporting for a commune ---------------------------------------------


def maubeuge() -> Territory:
    return territory(TerritoryKind.COMMUNE, "59392")


def test_a_commune_shows_the_figures_of_the_syndicat_reporting_for_it(client, demo):
    # Its EPCI publishes nothing (in the demo it has the observatory's figures: removed).
    epci = Territory.objects.get(kind=TerritoryKind.EPCI, name="CA Maubeuge Val de Sambre")
    IndicatorValue.objects.filter(territory=epci).delete()
    text = page_text(client, maubeuge())

    assert (
        "Chiffres du territoire qui rend compte pour Maubeuge : "
        "Syndicat mixte du SCoT Sambre-Avesnois (Syndicat)"
    ) in text
    assert "pas sur Maubeuge seulement" in text
    assert "Émissions de gaz à effet de serre (kteq CO2)" in text
    assert "n'a pas de contrat" not in text


def test_the_closest_territory_reporting_for_a_commune_is_its_epci_first(client, demo):
    # CA Maubeuge Val de Sambre has no contract of its own, but publishes values (in the
    # demo, the observatory's): one of them corrected to a known figure.
    epci = Territory.objects.get(kind=TerritoryKind.EPCI, name="CA Maubeuge Val de Sambre")
    IndicatorValue.objects.filter(
        territory=epci, indicator__identifier="cae_2.a", year=2019
    ).delete()
    ValidatedValueFactory(territory=epci, year=2019, value=Decimal("2500"))

    text = page_text(client, maubeuge())

    assert (
        "Chiffres du territoire qui rend compte pour Maubeuge : CA Maubeuge Val de Sambre (EPCI)"
    ) in text
    assert "2 500,0" in text


def test_a_commune_with_values_of_its_own_shows_them(client, demo, fourmies):
    text = page_text(client, fourmies)

    assert "territoire qui rend compte" not in text
    assert "Valeurs validées par la Région et l'ADEME" in text
