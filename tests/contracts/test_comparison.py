"""The comparison table across public contracts (/contrats/comparaison/): one row per
public contract, achievement and alignment per headline indicator, sorted server-side
by any column, downloadable as CSV (figures computed by hand)."""

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from contracts.alignment import refresh_alignments
from contracts.comparison import COMPARISON_CSV, read_sort
from contracts.models import ContractStatus
from indicators.models import IndicatorValue, ValueStatus
from territories.models import Territory, TerritoryKind
from tests.contracts.factories import ContractFactory, TargetFactory, indicator
from tests.indicators.factories import RegionalGoalFactory

URL = reverse("contract_comparison")


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


def commune(code):
    return Territory.objects.get(kind=TerritoryKind.COMMUNE, code=code)


def validated(territory, identifier, year, value):
    IndicatorValue.objects.create(
        territory=territory,
        indicator=indicator(identifier),
        year=year,
        value=Decimal(value),
        source="Observatoire",
        status=ValueStatus.VALIDATED,
        validated_at=timezone.now(),
    )


@pytest.fixture
def contracts(db):
    """Energy goal −60 %. Fourmies (active): 1000 → 900 GWh 2015–2020, 950 validated in
    2018: achievement 50 %, aligned. Grande-Synthe (signed): 1000 → 960 GWh, 990 in
    2018: achievement 25 %, below. A draft contract is left out."""
    RegionalGoalFactory()
    fourmies, synthe = commune("59249"), commune("59271")
    rows = {}
    for key, territory, status, target, latest in [
        ("F", fourmies, ContractStatus.ACTIVE, "900", "950"),
        ("G", synthe, ContractStatus.SIGNED, "960", "990"),
    ]:
        contract = ContractFactory(
            territory=territory,
            reference=f"COTRI-CMP-{key}",
            status=status,
            signed_on=date(2017, 10, 24),
        )
        TargetFactory(contract=contract, target_value=Decimal(target))
        validated(territory, "cae_2.a", 2018, latest)
        rows[key] = contract
    ContractFactory(territory=fourmies, reference="COTRI-CMP-DRAFT")
    refresh_alignments()
    return rows


def order(response) -> list[str]:
    return re.findall(r"COTRI-CMP-[A-Z]+", response.content.decode())


def test_one_row_per_public_contract_with_achievement_and_alignment(client, contracts):
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert order(response) == ["COTRI-CMP-F", "COTRI-CMP-G"]  # by territory name
    text = " ".join(html.split())
    assert '50 % <span class="small">(2018)</span>' in text
    assert '25 % <span class="small">(2018)</span>' in text
    assert "alignée sur la trajectoire" in text
    assert "en deçà de la trajectoire" in text
    assert "pas d'objectif" in text  # no GHG target


@pytest.mark.parametrize(
    ("tri", "expected"),
    [
        ("territoire", ["F", "G"]),
        ("-territoire", ["G", "F"]),
        ("cae_2.a", ["G", "F"]),  # 25 % then 50 %
        ("-cae_2.a", ["F", "G"]),
        ("statut", ["F", "G"]),  # « en cours » before « signé »
        ("-statut", ["G", "F"]),
        ("inconnu", ["F", "G"]),  # ignored like the list's filters
    ],
)
def test_sorted_server_side_by_the_chosen_column(client, contracts, tri, expected):
    assert order(client.get(URL, {"tri": tri})) == [f"COTRI-CMP-{k}" for k in expected]


def test_column_headers_link_the_sorts_and_say_the_current_one(client, contracts):
    html = client.get(URL, {"tri": "population"}).content.decode()
    assert re.search(r'aria-sort="ascending">\s*<a href="\?tri=-population">', html)
    assert re.search(r'aria-sort="none">\s*<a href="\?tri=territoire">', html)


def test_read_sort_reads_direction_and_refuses_unknown_columns():
    assert read_sort("-population") == ("population", True)
    assert read_sort("cae_3.b") == ("cae_3.b", False)
    assert read_sort("-x") == ("territoire", False)
    assert read_sort(None) == ("territoire", False)


def test_csv_has_one_row_per_contract_with_source_and_demo_columns(client, contracts):
    response = client.get(URL, {"format": "csv", "tri": "-cae_2.a"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["reference"] for row in rows] == ["COTRI-CMP-F", "COTRI-CMP-G"]
    fourmies = rows[0]
    assert fourmies["cae_2.a_realisation"] == "0.5"
    assert fourmies["cae_2.a_annee"] == "2018"
    assert fourmies["cae_2.a_alignement"] == "aligned"
    assert fourmies["cae_1.a_realisation"] == ""
    assert fourmies["is_demo"] == "false"
    assert "COTRI-CMP-F" in fourmies["source"]
    assert rows[1]["cae_2.a_alignement"] == "below"


def test_the_spreadsheet_csv_and_the_xlsx_carry_the_same_rows(client, contracts):
    french = client.get(URL, {"format": "csv", "sep": ";", "tri": "-cae_2.a"}).content
    rows = list(csv.DictReader(io.StringIO(french.decode("utf-8-sig")), delimiter=";"))
    workbook = load_workbook(io.BytesIO(client.get(URL, {"format": "xlsx"}).content))
    sheet = list(workbook.active.iter_rows(values_only=True))

    assert [row["reference"] for row in rows] == ["COTRI-CMP-F", "COTRI-CMP-G"]
    assert rows[0]["cae_2.a_realisation"] == "0,5"  # French decimal comma
    assert sheet[0] == tuple(COMPARISON_CSV.header)
    assert sorted(row[1] for row in sheet[1:]) == ["COTRI-CMP-F", "COTRI-CMP-G"]


@pytest.mark.parametrize("query", [{"format": "pdf"}, {"format": "csv", "sep": "|"}])
def test_an_unknown_format_or_separator_is_a_french_400(client, contracts, query):
    response = client.get(URL, query)

    assert response.status_code == 400
    assert "Format ou séparateur inconnu" in response.content.decode()


def test_the_comparison_file_has_its_table_schema_and_dictionary_entries(client, db):
    schema = client.get(reverse("api:table_schema", args=[COMPARISON_CSV.name])).json()
    dictionary = b"".join(client.get(reverse("data_dictionary")).streaming_content).decode()

    assert [field["name"] for field in schema["fields"]] == list(COMPARISON_CSV.header)
    assert dictionary.count(f"{COMPARISON_CSV.name},") == len(COMPARISON_CSV.columns)


def test_linked_from_the_contract_list_and_the_open_data_page(client, db):
    assert f'href="{URL}"' in client.get(reverse("contracts")).content.decode()
    assert f'href="{URL}?format=csv"' in client.get(reverse("open_data")).content.decode()


@pytest.mark.parametrize("count", [1, 20])
def test_query_budget_does_not_grow_with_contracts(
    client, db, count, django_assert_max_num_queries
):
    for n in range(count):
        contract = ContractFactory(
            reference=f"COTRI-Q-{n}", status=ContractStatus.SIGNED, signed_on=date(2017, 10, 24)
        )
        TargetFactory(contract=contract)
    with django_assert_max_num_queries(8):
        response = client.get(URL)
    assert response.content.decode().count("COTRI-Q-") == count
