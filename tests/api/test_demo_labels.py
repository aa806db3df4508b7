"""Demonstration data is labelled in every API resource, in the open-data files, their
Table Schemas, the data dictionary and the OpenAPI schema (issue 18 §2): on the demo,
contracts, targets, values and aggregates all say ``is_demo: true``. (That data entered
by staff says false is specified with each resource in test_read_api.py.)"""

import csv
import io

import pytest
import yaml
from django.urls import reverse

API = "/api/v1"
RESOURCES = ["contracts", "targets", "values", "aggregates", "effort-shares"]


def every_row(client, resource):
    response = client.get(f"{API}/{resource}/", {"page_size": 1000})
    assert response.status_code == 200
    return response.json()["results"]


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_demo_row_of_every_resource_says_it_is_demonstration_data(
    anonymous_api, demo_recomputed, resource
):
    rows = every_row(anonymous_api, resource)

    assert rows
    assert all(row["is_demo"] is True for row in rows)


def test_the_targets_nested_in_a_demo_contract_say_so_too(anonymous_api, demo_recomputed):
    targets = [t for c in every_row(anonymous_api, "contracts") for t in c["targets"]]

    assert targets
    assert all(target["is_demo"] is True for target in targets)


def test_a_demo_value_names_the_organisation_that_validated_it(anonymous_api, demo_recomputed):
    rows = every_row(anonymous_api, "values")

    # The demo's reports are validated by agent.region, of the Region's group.
    assert {row["validated_by_organisation"] for row in rows} == {"Région Hauts-de-France"}
    assert all(row["validated_at"] for row in rows)


@pytest.mark.parametrize("resource", RESOURCES)
def test_the_open_data_files_have_an_is_demo_column_true_on_the_demo(
    anonymous_api, demo_recomputed, resource
):
    response = anonymous_api.get(f"{API}/{resource}/", {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))

    assert rows
    assert {row["is_demo"] for row in rows} == {"true"}


def test_derived_values_in_the_values_file_are_demo_when_their_components_are(
    anonymous_api, demo_recomputed
):
    response = anonymous_api.get(f"{API}/values/", {"format": "csv", "indicator": "cae_3.b"})
    text = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))

    assert rows
    assert all((row["derived"], row["is_demo"]) == ("true", "true") for row in rows)


@pytest.mark.parametrize("name", ["contrats", "objectifs", "valeurs-validees", "agregats"])
def test_every_table_schema_describes_the_is_demo_column(anonymous_api, db, name):
    schema = anonymous_api.get(reverse("api:table_schema", args=[name])).json()

    [field] = [f for f in schema["fields"] if f["name"] == "is_demo"]
    assert field["type"] == "boolean"
    assert "démonstration" in field["title"]


def test_the_data_dictionary_lists_is_demo_for_every_file(client, db):
    text = b"".join(client.get(reverse("data_dictionary")).streaming_content).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))

    files = {row["fichier"] for row in rows if row["colonne"] == "is_demo"}
    assert files == {
        "contrats",
        "objectifs",
        "valeurs-validees",
        "agregats",
        "part-effort-regional",
        "comparaison-contrats",
    }
    assert {row["fichier"] for row in rows if row["colonne"] == "validated_by_organisation"} == {
        "valeurs-validees"
    }


def test_the_openapi_schema_documents_is_demo_on_every_resource(anonymous_api, db):
    schema = yaml.safe_load(anonymous_api.get(f"{API}/schema/").content)
    components = schema["components"]["schemas"]

    for name in ("Contract", "Target", "TargetRow", "Value", "Aggregate", "EffortShare"):
        assert components[name]["properties"]["is_demo"]["type"] == "boolean", name
    assert "validated_by_organisation" in components["Value"]["properties"]
