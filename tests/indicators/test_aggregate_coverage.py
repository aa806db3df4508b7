"""Partial aggregates are not totals: an aggregate covers the population of the
territories it sums, a share of its scope's. The page, the API and the export say that
share, and a partial aggregate is never presented as the scope's total."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from indicators.models import Aggregate, Indicator
from territories.models import Territory, TerritoryKind

DUNKERQUE_SIREN = "245900428"  # CU de Dunkerque: 191 478 inhabitants in its communes
GRANDE_SYNTHE_POPULATION = 20239
SUD_AVESNOIS_SIREN = "200043404"  # CC du Sud Avesnois: 24 208 inhabitants


@pytest.fixture(autouse=True)
def _static_from_finders(unhashed_static):
    """Pages reference the static files from the finders (no collectstatic manifest)."""


def epci(siren):
    return Territory.objects.get(kind=TerritoryKind.EPCI, code=siren)


def aggregate(scope, covered_population, identifier="cae_2.a", year=2019, value="480"):
    return Aggregate.objects.create(
        scope=scope,
        indicator=Indicator.objects.get(identifier=identifier),
        year=year,
        value=Decimal(value),
        covered_population=covered_population,
        contributors=1,
        computed_at=timezone.now(),
    )


@pytest.fixture
def dunkerque_from_grande_synthe(db):
    """The CU de Dunkerque's aggregate computed from Grande-Synthe alone."""
    return aggregate(epci(DUNKERQUE_SIREN), GRANDE_SYNTHE_POPULATION)


@pytest.fixture
def sud_avesnois_whole(db):
    """An aggregate of the CC du Sud Avesnois covering all its communes."""
    scope = epci(SUD_AVESNOIS_SIREN)
    return aggregate(scope, scope.population)


def text_of(html):
    text = re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'")
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def territory_page(client, territory):
    response = client.get(reverse("territory", args=[territory.slug]))
    assert response.status_code == 200
    return response.content.decode()


def test_an_aggregate_knows_the_share_of_its_scope_it_covers(dunkerque_from_grande_synthe):
    row = Aggregate.objects.select_related("scope").get(pk=dunkerque_from_grande_synthe.pk)

    assert row.scope_population == 191478
    assert round(row.covered_share, 4) == Decimal("0.1057")
    assert row.is_partial


def test_an_aggregate_covering_its_whole_scope_is_not_partial(sud_avesnois_whole):
    assert sud_avesnois_whole.covered_share == 1
    assert not sud_avesnois_whole.is_partial


def test_the_territory_page_labels_a_partial_aggregate_never_as_a_total(
    client, dunkerque_from_grande_synthe
):
    html = territory_page(client, dunkerque_from_grande_synthe.scope)
    text = text_of(html)

    assert (
        "Agrégat partiel : 20\xa0239 habitants sur 191\xa0478 (10,6\xa0%) — pas le total du "
        "territoire"
    ) in text
    assert "aggregate-partial" in html
    assert not re.search(r"<(th|h\d)[^>]*>\s*Total", html)


def test_the_territory_page_says_a_complete_aggregate_covers_the_whole_territory(
    client, sud_avesnois_whole
):
    html = territory_page(client, sud_avesnois_whole.scope)
    text = text_of(html)

    assert "Total du territoire : 24\xa0208 habitants, toute sa population" in text
    assert "Agrégat partiel" not in text
    assert "aggregate-partial" not in html


def test_the_api_gives_scope_population_covered_share_and_partial_flag(
    client, dunkerque_from_grande_synthe, sud_avesnois_whole
):
    response = client.get("/api/v1/aggregates/", {"scope_kind": "epci"})
    rows = {row["scope_code"]: row for row in response.json()["results"]}

    partial, whole = rows[DUNKERQUE_SIREN], rows[SUD_AVESNOIS_SIREN]
    assert (
        partial["covered_population"],
        partial["scope_population"],
        partial["covered_share"],
        partial["is_partial"],
    ) == (20239, 191478, "0.1057", True)
    assert (whole["scope_population"], whole["covered_share"], whole["is_partial"]) == (
        24208,
        "1",
        False,
    )


def test_the_api_list_reads_the_scope_populations_without_a_query_per_row(
    client, dunkerque_from_grande_synthe, django_assert_max_num_queries
):
    for year in range(1970, 2019):
        aggregate(dunkerque_from_grande_synthe.scope, GRANDE_SYNTHE_POPULATION, year=year)

    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/aggregates/", {"page_size": 100})

    assert len(response.json()["results"]) == 50


def test_the_export_flags_the_partial_aggregate_and_not_the_complete_one(
    client, dunkerque_from_grande_synthe, sud_avesnois_whole
):
    response = client.get("/api/v1/aggregates/", {"scope_kind": "epci", "format": "csv"})
    rows = {
        row["scope_code"]: row
        for row in csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    }

    partial, whole = rows[DUNKERQUE_SIREN], rows[SUD_AVESNOIS_SIREN]
    assert (partial["scope_population"], partial["covered_share"], partial["is_partial"]) == (
        "191478",
        "0.1057",
        "true",
    )
    assert (whole["scope_population"], whole["covered_share"], whole["is_partial"]) == (
        "24208",
        "1",
        "false",
    )


def test_the_data_dictionary_describes_the_coverage_columns(client, db):
    response = client.get(reverse("data_dictionary"))
    text = b"".join(response.streaming_content).decode()

    for column in ("scope_population", "covered_share", "is_partial"):
        assert f"agregats,{column}," in text.replace('"', "")
