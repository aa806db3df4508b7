"""One population per territory, said once: an EPCI, a syndicat, a département or the
region has the sum of its communes' populations in the portal — on its page, on its
contracts' pages, in the API and in the coverage figures alike; where the official EPCI
list gives another figure (an EPCI straddling the region's border), the page and the API
say so."""

import csv
import io
import re
from datetime import date

import pytest
from django.urls import reverse

from contracts.models import ContractStatus
from contracts.stats import _Batch
from territories.models import Territory, TerritoryKind
from territories.selectors import commune_population_totals
from tests.contracts.factories import ContractFactory

SCOT_POPULATION = 223006  # its 4 EPCIs' communes (the EPCI list's figures add up to 224 325)
AUMALE_SIREN = "200069722"  # CC Interrégionale Aumale - Blangy-sur-Bresle


@pytest.fixture(autouse=True)
def _static_from_finders(unhashed_static):
    """Pages reference the static files from the finders (no collectstatic manifest)."""


def text_of(html):
    text = re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'")
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def page_text(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return text_of(response.content.decode())


def api_row(client, territory):
    response = client.get(f"/api/v1/territories/{territory.pk}/")
    assert response.status_code == 200
    return response.json()


def test_the_scot_population_is_the_sum_of_its_communes(scot_sambre_avesnois):
    communes = Territory.objects.communes().descendants_of(scot_sambre_avesnois)

    assert scot_sambre_avesnois.population == SCOT_POPULATION
    assert sum(communes.values_list("population", flat=True)) == SCOT_POPULATION
    assert commune_population_totals([scot_sambre_avesnois.pk]) == {
        scot_sambre_avesnois.pk: (SCOT_POPULATION, 2023)
    }


def test_the_scot_population_is_the_same_on_its_page_its_contract_the_api_and_coverage(
    client, scot_sambre_avesnois
):
    contract = ContractFactory(
        territory=scot_sambre_avesnois, status=ContractStatus.SIGNED, signed_on=date(2017, 10, 24)
    )
    region = Territory.objects.get(kind=TerritoryKind.REGION, code="32")

    territory_page = page_text(client, reverse("territory", args=[scot_sambre_avesnois.slug]))
    contract_page = page_text(client, reverse("contract", args=[contract.pk]))
    api = api_row(client, scot_sambre_avesnois)
    covered = _Batch([region])._population_of({scot_sambre_avesnois.pk})  # coverage figures

    assert "223\xa0006 habitants (2023)" in territory_page
    assert "224\xa0325" not in territory_page
    assert "223\xa0006 habitants (2023)" in contract_page
    assert (api["population"], api["listed_population"], api["population_note"]) == (
        SCOT_POPULATION,
        None,
        "",
    )
    assert covered == SCOT_POPULATION


def test_membership_changes_update_the_syndicat_population(scot_sambre_avesnois):
    from territories.services import set_members

    sud_avesnois = Territory.objects.get(kind=TerritoryKind.EPCI, code="200043404")

    set_members(scot_sambre_avesnois, [sud_avesnois])

    scot_sambre_avesnois.refresh_from_db()
    assert scot_sambre_avesnois.population == sud_avesnois.population == 24208


def test_an_interregional_epci_page_and_api_say_the_official_figure_differs(client, db):
    aumale = Territory.objects.get(kind=TerritoryKind.EPCI, code=AUMALE_SIREN)

    text = page_text(client, reverse("territory", args=[aumale.slug]))
    api = api_row(client, aumale)

    note = (
        "dont 4\xa0261 habitants dans les communes de la région ; 21\xa0244 au total selon "
        "la liste officielle des EPCI"
    )
    assert "4\xa0261 habitants (2023)" in text
    assert note[1:] in text  # capitalised on the page
    assert (api["population"], api["listed_population"], api["population_note"]) == (
        4261,
        21244,
        note,
    )


def test_an_epci_wholly_in_the_region_has_no_other_figure_to_explain(client, db):
    lens = Territory.objects.get(kind=TerritoryKind.EPCI, code="246200364")

    text = page_text(client, reverse("territory", args=[lens.slug]))

    assert "242\xa0013 habitants (2023)" in text
    assert "liste officielle" not in text
    assert api_row(client, lens)["population_note"] == ""


def test_the_demo_siren_is_flagged_on_the_territory_and_contract_pages_and_in_the_api(
    client, scot_sambre_avesnois
):
    contract = ContractFactory(
        territory=scot_sambre_avesnois, status=ContractStatus.SIGNED, signed_on=date(2017, 10, 24)
    )

    territory_page = page_text(client, reverse("territory", args=[scot_sambre_avesnois.slug]))
    contract_page = page_text(client, reverse("contract", args=[contract.pk]))
    api = api_row(client, scot_sambre_avesnois)

    flagged = "999000003 numéro de démonstration, non officiel"
    assert territory_page.count(flagged) == 2  # the official code and the SIREN
    assert flagged in contract_page
    assert (api["siren"], api["siren_is_official"], api["siren_note"]) == (
        "999000003",
        False,
        "numéro de démonstration, non officiel",
    )


def test_an_official_siren_is_not_flagged(client, db):
    lens = Territory.objects.get(kind=TerritoryKind.EPCI, code="246200364")

    text = page_text(client, reverse("territory", args=[lens.slug]))

    assert "non officiel" not in text
    assert api_row(client, lens)["siren_is_official"] is True


def test_the_demo_siren_is_flagged_in_the_contracts_export_and_api(client, scot_sambre_avesnois):
    ContractFactory(
        territory=scot_sambre_avesnois, status=ContractStatus.SIGNED, signed_on=date(2017, 10, 24)
    )

    response = client.get("/api/v1/contracts/", {"territory_siren": "999000003", "format": "csv"})
    [row] = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    [item] = client.get("/api/v1/contracts/", {"territory_siren": "999000003"}).json()["results"]

    assert (row["territory_siren"], row["territory_siren_official"]) == ("999000003", "false")
    assert item["territory"]["siren_is_official"] is False
