"""The region's 2050 goals on the demo: the region's own targets, given their own place
(a section of the region's page, the dashboards, ``/api/v1/regional-goals/``) and never
listed, counted or exported as a contract, nor given an invented signing date."""

import csv
import html
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from contracts.models import Contract
from territories.models import Territory, TerritoryKind

API = "/api/v1"
# (indicator, reference 2012, goal 2050, entered as, relative change, status in 2021)
GOALS = [
    ("cae_1.a", "58540", "14635", "divide", "4", "on_track"),  # ÷4; 48 000 in 2021
    ("cae_2.a", "213000", "85200", "percent", "-60", "late"),  # −60 %; 190 000 in 2021
    ("cae_3.b", "7", "100", "absolute", None, "late"),  # 100 %; 15,3 % in 2021
]


def text_of(response) -> str:
    content = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(content).split())


def region_page(client):
    region = Territory.objects.get(kind=TerritoryKind.REGION, code="32")
    response = client.get(reverse("territory", args=[region.slug]))
    assert response.status_code == 200
    return response


# --- not a contract ----------------------------------------------------------------


def test_the_api_and_the_web_count_the_same_contracts_and_no_goals(client, demo):
    api = client.get(f"{API}/contracts/").json()
    web = text_of(client.get(reverse("contracts")))
    count = Contract.objects.count()

    assert api["count"] == count == 12  # the six of 2017 and six later ones, no goals
    assert f"{count} contrats" in web
    assert TerritoryKind.REGION not in {row["territory"]["kind"] for row in api["results"]}


@pytest.mark.parametrize(
    "path",
    [
        f"{API}/contracts/",
        f"{API}/contracts/?format=csv",
        f"{API}/targets/?format=csv",
        "/contrats/",
        "/",
    ],
)
def test_no_contract_anywhere_is_signed_on_1_january_2012(client, demo, path):
    response = client.get(path)
    content = b"".join(response.streaming_content) if response.streaming else response.content

    assert response.status_code == 200
    text = content.decode("utf-8-sig")
    assert "2012-01-01" not in text
    assert "1 janvier 2012" not in text
    assert "1er janvier 2012" not in text


def test_the_contract_export_has_a_row_per_contract_and_no_contract_type(client, demo):
    response = client.get(f"{API}/contracts/", {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert len(rows) == Contract.objects.count()
    assert "kind" not in rows[0]
    assert {row["territory_kind"] for row in rows} <= {"epci", "syndicat", "commune"}


# --- their own place ---------------------------------------------------------------


def test_the_regional_goals_api_lists_the_three_goals_with_their_numbers(client, demo_recomputed):
    response = client.get(f"{API}/regional-goals/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [
        (
            row["indicator"],
            row["baseline_value"],
            row["target_value"],
            row["entered_as"],
            row["relative_change"],
            row["progress"]["status"],
        )
        for row in rows
    ] == GOALS
    assert {
        (row["territory_code"], row["baseline_year"], row["target_year"], row["adopted_by"])
        for row in rows
    } == {("32", 2012, 2050, "SRADDET Hauts-de-France (2020)")}
    assert {row["is_demo"] for row in rows} == {True}
    energy = rows[1]
    assert (energy["unit"], energy["progress"]["latest_year"]) == ("GWh", 2021)
    assert energy["progress"]["latest_value"] == "190000"


def test_the_regional_goals_api_filters_by_indicator_and_region(client, demo):
    energy = client.get(f"{API}/regional-goals/", {"indicator": "cae_2.a"}).json()
    elsewhere = client.get(f"{API}/regional-goals/", {"territory_code": "11"}).json()

    assert [row["indicator"] for row in energy["results"]] == ["cae_2.a"]
    assert elsewhere["count"] == 0


def test_contracts_have_no_type_to_filter_on_any_more(client, demo):
    response = client.get(f"{API}/contracts/", {"kind": "regional_goals"})

    assert response.status_code == 400
    assert response.json()["errors"] == {"kind": ["Paramètre inconnu."]}


def test_the_regional_goals_api_is_read_only(client, demo):
    response = client.post(f"{API}/regional-goals/", {}, content_type="application/json")

    assert response.status_code == 405


def test_the_regional_goals_resource_is_in_the_openapi_schema(client, db):
    schema = client.get(f"{API}/schema/", HTTP_ACCEPT="application/json").content.decode()

    assert "/api/v1/regional-goals/" in schema
    assert "/api/v1/regional-goals/{id}/" in schema


def test_the_open_data_page_says_where_the_goals_are(client, db):
    response = client.get(reverse("open_data"))

    assert '<a href="/api/v1/regional-goals/">/api/v1/regional-goals/</a>' in (
        response.content.decode()
    )
    assert "ne sont pas des contrats" in text_of(response)


def test_the_region_page_shows_its_2050_goals_with_their_standing(client, demo_recomputed):
    text = text_of(region_page(client))

    assert "Objectifs 2050 de la région" in text
    assert "ce ne sont pas des contrats" in text
    assert "SRADDET Hauts-de-France (2020)" in text
    assert "Données de démonstration" in text
    assert "213 000,0 (2012)" in text  # reference of the final energy consumption
    assert "85 200,0 (2050)" in text
    assert "190 000,0 (2021)" in text
    assert "dans la trajectoire" in text
    assert "en retard" in text


def test_another_territory_page_has_no_goals_section(client, demo_recomputed):
    fourmies = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59249")

    text = text_of(client.get(reverse("territory", args=[fourmies.slug])))

    assert "Objectifs 2050 de la région" not in text


@pytest.mark.parametrize(
    ("url", "user"),
    [("regional_dashboard", None), ("staff_dashboard", "agent.region")],
    ids=["public dashboard", "staff dashboard"],
)
def test_the_dashboards_show_the_goals_table_with_standings(client, demo_recomputed, url, user):
    if user:
        client.force_login(get_user_model().objects.get(username=user))

    text = text_of(client.get(reverse(url)))

    assert "Objectifs régionaux 2050" in text
    assert "SRADDET Hauts-de-France (2020)" in text
    assert "14 635,0 (2050)" in text
    assert "dans la trajectoire" in text
    assert "en retard" in text
