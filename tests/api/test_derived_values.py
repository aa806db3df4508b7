"""The validated-values file includes the derived indicators — the renewable share
``cae_3.b``, one of the three TRI goals, first — computed from the validated values of
their components as the pages compute them, flagged ``derived`` (DESIGN.md: derived
indicators are never entered, so no stored value exists for them)."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from indicators.models import IndicatorValue, ValueStatus
from indicators.selectors import validated_series
from tests.contracts.factories import indicator

EARLY = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
LATE = datetime(2024, 7, 1, 8, 0, tzinfo=UTC)


def value(territory, identifier, year, number, at=LATE, status=ValueStatus.VALIDATED):
    return IndicatorValue(
        territory=territory,
        indicator=indicator(identifier),
        year=year,
        value=Decimal(number),
        source="Observatoire",
        status=status,
        validated_at=at if status == ValueStatus.VALIDATED else None,
    )


@pytest.fixture
def energy(fourmies, grande_synthe):
    """Fourmies: renewable production (MWh) and consumption (GWh) in 2018 and 2019; a
    draft production in 2020; Grande-Synthe: consumption only."""
    IndicatorValue.objects.bulk_create(
        [
            value(fourmies, "cae_3.a", 2018, "12345.678", EARLY),
            value(fourmies, "cae_2.a", 2018, "246.93"),
            value(fourmies, "cae_3.a", 2019, "13000"),
            value(fourmies, "cae_2.a", 2019, "240"),
            value(fourmies, "cae_2.a", 2020, "230"),
            value(fourmies, "cae_3.a", 2020, "99999", status=ValueStatus.SUBMITTED),
            value(grande_synthe, "cae_2.a", 2018, "1000"),
        ]
    )
    return fourmies


def rows(client, **params):
    response = client.get("/api/v1/values/", {"format": "csv", **params})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_values_file_has_the_renewable_share_computed_like_the_pages(client, energy):
    shares = [row for row in rows(client) if row["indicator"] == "cae_3.b"]

    page = dict(validated_series(energy, [indicator("cae_3.b")])["cae_3.b"])
    assert [(row["territory_code"], row["year"]) for row in shares] == [
        ("59249", "2018"),
        ("59249", "2019"),
    ]
    assert [Decimal(row["value"]) for row in shares] == [
        round(page[2018], 6),
        round(page[2019], 6),
    ]
    assert shares[0]["value"] == "4.999667"  # 12 345,678 MWh / 246,93 GWh
    assert {row["derived"] for row in shares} == {"true"}
    assert {row["id"] for row in shares} == {""}
    assert {row["unit"] for row in shares} == {"%"}
    assert shares[0]["source"] == "Calcul : val(cae_3.a)/1000/val(cae_2.a)*100"


def test_a_derived_value_is_dated_by_its_last_validated_component(client, energy):
    share_2018 = next(row for row in rows(client, indicator="cae_3.b") if row["year"] == "2018")

    assert datetime.fromisoformat(share_2018["validated_at"]) == LATE


def test_entered_values_are_flagged_as_not_derived(client, energy):
    entered = [row for row in rows(client) if row["indicator"] in ("cae_2.a", "cae_3.a")]

    assert len(entered) == 6
    assert {row["derived"] for row in entered} == {"false"}


def test_derived_values_follow_the_filters(client, energy):
    assert [
        (row["indicator"], row["year"]) for row in rows(client, indicator="cae_3.b", year=2019)
    ] == [("cae_3.b", "2019")]
    assert {(row["indicator"], row["derived"]) for row in rows(client, indicator="cae_3.a")} == {
        ("cae_3.a", "false")
    }
    # Grande-Synthe reported its consumption only: per inhabitant, not the renewable share.
    grande_synthe = rows(client, territory_code="59271")
    assert {(row["indicator"], row["derived"]) for row in grande_synthe} == {
        ("cae_2.a", "false"),
        ("cae_2.b", "true"),
    }


def test_a_derived_value_never_uses_an_unvalidated_component(client, energy):
    shares = rows(client, indicator="cae_3.b", year=2020)

    assert shares == []


def test_the_json_api_lists_entered_values_only(client, energy):
    results = client.get("/api/v1/values/", {"page_size": 100}).json()["results"]

    assert len(results) == 7 - 1  # the submitted one is not public
    assert {item["derived"] for item in results} == {False}
