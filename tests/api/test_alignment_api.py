"""The targets' alignment with the regional 2050 path in the API: fields on targets
(and on the targets nested in contracts), ``?alignment=`` on contracts and targets,
the columns of the open-data exports (figures computed by hand)."""

import csv
import io
from decimal import Decimal

import pytest
import yaml

from contracts.alignment import refresh_alignments
from tests.contracts.factories import TargetFactory, indicator
from tests.indicators.factories import RegionalGoalFactory

API = "/api/v1"


@pytest.fixture
def aligned_and_below(contract_a, contract_b):
    """Energy goal −60 % (2012 → 2050). Contract A: 1000 → 900 GWh (2015 → 2020), −2 %/an
    against −1,657459 %/an: aligned. Contract B: 1000 → 960 GWh, −0,8 %/an: below,
    short by 42,872928 GWh; and a GHG target without a regional goal (no label)."""
    RegionalGoalFactory()
    contract_b.targets.update(target_value=Decimal(960))
    TargetFactory(contract=contract_b, indicator=indicator("cae_1.a"))
    refresh_alignments()
    return contract_a, contract_b


def test_target_fields_say_label_paces_and_gap(anonymous_api, aligned_and_below):
    contract_a, _ = aligned_and_below
    rows = anonymous_api.get(f"{API}/targets/", {"contract": contract_a.pk}).json()["results"]
    assert len(rows) == 1
    row = rows[0]
    assert row["alignment"] == "aligned"
    assert row["alignment_label"] == "alignée sur la trajectoire"
    assert row["committed_pace"] == "-2"
    assert row["required_pace"] == "-1.657459"
    assert row["alignment_gap"] == "-17.127072"


def test_nested_targets_of_a_contract_carry_the_alignment(anonymous_api, aligned_and_below):
    _, contract_b = aligned_and_below
    data = anonymous_api.get(f"{API}/contracts/{contract_b.pk}/").json()
    by_indicator = {t["indicator"]: t for t in data["targets"]}
    assert by_indicator["cae_2.a"]["alignment"] == "below"
    assert by_indicator["cae_2.a"]["alignment_gap"] == "42.872928"
    assert by_indicator["cae_1.a"]["alignment"] is None
    assert by_indicator["cae_1.a"]["alignment_label"] == "pas de trajectoire régionale"
    assert by_indicator["cae_1.a"]["committed_pace"] is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("aligned", ["A"]), ("below", ["B"]), ("none", ["B"]), ("beyond", [])],
)
def test_contracts_filter_on_their_targets_alignment(
    anonymous_api, aligned_and_below, value, expected
):
    contract_a, contract_b = aligned_and_below
    names = {contract_a.pk: "A", contract_b.pk: "B"}
    rows = anonymous_api.get(f"{API}/contracts/", {"alignment": value}).json()["results"]
    assert sorted(names[row["id"]] for row in rows) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("aligned", ["A cae_2.a"]), ("below", ["B cae_2.a"]), ("none", ["B cae_1.a"]), ("beyond", [])],
)
def test_targets_filter_on_alignment(anonymous_api, aligned_and_below, value, expected):
    contract_a, contract_b = aligned_and_below
    names = {contract_a.pk: "A", contract_b.pk: "B"}
    rows = anonymous_api.get(f"{API}/targets/", {"alignment": value}).json()["results"]
    assert sorted(f"{names[row['contract']]} {row['indicator']}" for row in rows) == expected


@pytest.mark.parametrize("path", ["contracts/", "targets/"])
def test_unknown_alignment_is_refused_in_french(anonymous_api, aligned_and_below, path):
    response = anonymous_api.get(f"{API}/{path}", {"alignment": "perfect"})
    assert response.status_code == 400
    assert "alignment" in response.json()["errors"]
    assert "choix valide" in str(response.json()["errors"]["alignment"])


def test_targets_csv_has_the_alignment_columns(anonymous_api, aligned_and_below):
    _, contract_b = aligned_and_below
    response = anonymous_api.get(f"{API}/targets/", {"format": "csv", "contract": contract_b.pk})
    text = b"".join(response.streaming_content).decode()
    rows = {row["indicator"]: row for row in csv.DictReader(io.StringIO(text))}
    assert rows["cae_2.a"]["alignment"] == "below"
    assert rows["cae_2.a"]["committed_pace"] == "-0.8"
    assert rows["cae_2.a"]["required_pace"] == "-1.657459"
    assert rows["cae_2.a"]["alignment_gap"] == "42.872928"
    assert rows["cae_1.a"]["alignment"] == ""
    assert rows["cae_1.a"]["committed_pace"] == ""


def test_table_schema_and_dictionary_describe_the_alignment_columns(anonymous_api, client):
    dictionary = client.get("/donnees/dictionnaire.csv")
    text = (
        b"".join(dictionary.streaming_content).decode("utf-8-sig")
        if dictionary.streaming
        else dictionary.content.decode("utf-8-sig")
    )
    for column in ("alignment", "committed_pace", "required_pace", "alignment_gap"):
        assert f"objectifs,{column}," in text
    schema = anonymous_api.get(f"{API}/table-schemas/objectifs.json").json()
    fields = {field["name"]: field for field in schema["fields"]}
    assert fields["alignment"]["type"] == "string"
    assert fields["committed_pace"]["type"] == "number"
    assert fields["alignment_gap"]["type"] == "number"
    assert "/methode/#alignement" in fields["alignment"]["description"]


def test_openapi_documents_the_alignment_fields_and_filter(anonymous_api, db):
    schema = yaml.safe_load(anonymous_api.get(f"{API}/schema/").content)
    target = schema["components"]["schemas"]["Target"]["properties"]
    for field in ("alignment", "alignment_label", "committed_pace", "required_pace"):
        assert field in target
    [ref] = target["alignment"]["allOf"]
    enum = schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]["enum"]
    assert enum == ["aligned", "below", "beyond"]
    assert target["alignment"]["nullable"] is True
    for path in ("/api/v1/contracts/", "/api/v1/targets/"):
        [parameter] = [
            p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "alignment"
        ]
        assert parameter["schema"]["enum"] == ["aligned", "below", "beyond", "none"]
