"""Query budgets of the read API: a list costs the same number of queries whatever
the number of rows on the page (no query per row), measured with 1 row and with 100."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contracts.models import ContractStatus, ContractTheme, Signatory
from indicators.models import Aggregate, Indicator, IndicatorValue, ValueStatus
from kit.cache import bump_data_version
from territories.models import Territory, TerritoryKind
from tests.contracts.factories import ContractFactory, TargetFactory, indicator
from tests.indicators.factories import RegionalGoalFactory

API = "/api/v1"

# Upper bounds, for an anonymous client (a token adds its own look-up): count, page,
# then one query per prefetched relation and one for the progress of all the targets.
BUDGETS = {
    "territories/": 3,  # count, page, départements and region of the page
    "indicators/": 2,
    "contracts/": 8,  # + themes, signatories, targets, documents, amendments, validated values
    "targets/": 3,  # + validated values
    "values/": 2,
    "aggregates/": 2,
    "regional-goals/": 3,  # + the region's aggregates of every goal of the page
}


# --- Helpers ----------------------------------------------------------------------


def measure(client, path, **params):
    """(number of queries, body) of one request, a streamed file read in full; warm:
    the same request is made once before (public lists cache their row count)."""
    client.get(f"{API}/{path}", params)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{API}/{path}", params)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, body[:500]
    return len(queries), body


def rows_of(body):
    return json.loads(body)["results"]


def communes(count, offset=0):
    """Communes of the Nord other than Fourmies, in code order."""
    return list(
        Territory.objects.filter(kind=TerritoryKind.COMMUNE, code__startswith="59")
        .exclude(code="59249")
        .order_by("code")[offset : offset + count]
    )


def publish_values(territories, years):
    now = timezone.now()
    IndicatorValue.objects.bulk_create(
        IndicatorValue(
            territory=territory,
            indicator=indicator("cae_2.a"),
            year=year,
            value=Decimal("950.5"),
            status=ValueStatus.VALIDATED,
            validated_at=now,
        )
        for territory in territories
        for year in years
    )
    bump_data_version()  # as a validation does (bulk writes send no signal)


def publish_aggregates(scope, years):
    now = timezone.now()
    Aggregate.objects.bulk_create(
        Aggregate(
            scope=scope,
            indicator=indicator("cae_2.a"),
            year=year,
            value=Decimal("6000.5"),
            covered_population=scope.population or 30000,  # the whole scope
            contributors=2,
            conflicts=[{"territory": 1}],
            computed_at=now,
        )
        for year in years
    )
    bump_data_version()  # as a recompute does


def active_contracts(territories, *, draft_for=None):
    """One active contract per territory, with a theme, a signatory, two targets and a
    validated value (so the progress has something to compute); plus a draft contract
    for ``draft_for`` if given (seen by its officer only)."""
    themes = list(ContractTheme.objects.order_by("slug")[:2])
    for territory in territories:
        contract = ContractFactory(
            territory=territory,
            status=ContractStatus.ACTIVE,
            signed_on=date(2017, 10, 24),
        )
        contract.themes.set(themes)
        Signatory.objects.create(contract=contract, organisation="ADEME")
        TargetFactory(contract=contract)
        TargetFactory(contract=contract, indicator=indicator("cae_3.b"), target_value=20)
    if draft_for is not None:
        TargetFactory(contract=ContractFactory(territory=draft_for))
    publish_values(territories, [2018])


# --- Lists of reference data ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "params", "many", "budget"),
    [
        ("territories/", {"kind": "commune"}, 100, BUDGETS["territories/"]),
        ("territories/", {"departement": "59"}, 100, BUDGETS["territories/"] + 1),  # its code
        ("indicators/", {}, 28, BUDGETS["indicators/"]),
    ],
)
def test_reference_lists_cost_the_same_for_one_row_and_a_full_page(
    anonymous_api, path, params, many, budget
):
    anonymous_api.get(f"{API}/{path}", params)  # warm-up: one-time caches

    one, body_one = measure(anonymous_api, path, page_size=1, **params)
    full, body_full = measure(anonymous_api, path, page_size=many, **params)

    assert (len(rows_of(body_one)), len(rows_of(body_full))) == (1, many)
    assert one == full <= budget


# --- Contracts and targets ---------------------------------------------------------


@pytest.mark.parametrize("client_name", ["anonymous_api", "api_a"])
def test_contracts_and_targets_cost_the_same_for_1_and_100_contracts(
    request, fourmies, officer_a, client_name
):
    """An officer also sees their territory's draft contract (one target)."""
    client = request.getfixturevalue(client_name)
    active_contracts(communes(1), draft_for=fourmies)
    for path in ("contracts/", "targets/"):
        client.get(f"{API}/{path}")  # warm-up: one-time caches, token bookkeeping

    contracts_one, contracts = measure(client, "contracts/", page_size=1000)
    targets_one, targets = measure(client, "targets/", page_size=1000)
    counts_one = (len(rows_of(contracts)), len(rows_of(targets)))
    active_contracts(communes(99, offset=1))
    contracts_hundred, contracts = measure(client, "contracts/", page_size=1000)
    targets_hundred, targets = measure(client, "targets/", page_size=1000)
    counts_hundred = (len(rows_of(contracts)), len(rows_of(targets)))

    draft = 1 if client_name == "api_a" else 0
    assert counts_one == (1 + draft, 2 + draft)
    assert counts_hundred == (100 + draft, 200 + draft)
    assert contracts_one == contracts_hundred
    assert targets_one == targets_hundred
    if client_name == "anonymous_api":
        assert contracts_one <= BUDGETS["contracts/"]
        assert targets_one <= BUDGETS["targets/"]


def test_progress_of_100_contracts_is_computed_from_their_values(anonymous_api, db):
    """The budget above is not met by skipping the progress: every target has it."""
    active_contracts(communes(100))

    rows = rows_of(measure(anonymous_api, "targets/", indicator="cae_2.a", page_size=1000)[1])

    assert len(rows) == 100
    assert {row["progress"]["latest_value"] for row in rows} == {"950.5"}


# --- The region's goals -----------------------------------------------------------


@pytest.mark.django_db
def test_regional_goals_cost_the_same_for_1_goal_and_one_per_indicator(
    anonymous_api, hauts_de_france
):
    identifiers = list(
        Indicator.objects.order_by("identifier").values_list("identifier", flat=True)
    )
    publish_aggregates(hauts_de_france, [2018, 2019])
    RegionalGoalFactory(indicator="cae_2.a")
    anonymous_api.get(f"{API}/regional-goals/")

    one, body_one = measure(anonymous_api, "regional-goals/", page_size=1000)
    for identifier in identifiers:
        if identifier != "cae_2.a":
            RegionalGoalFactory(indicator=identifier, baseline_value=10, target_value=5)
    bump_data_version()
    every, body_every = measure(anonymous_api, "regional-goals/", page_size=1000)

    assert (len(rows_of(body_one)), len(rows_of(body_every))) == (1, len(identifiers))
    assert rows_of(body_one)[0]["progress"]["latest_value"] == "6000.5"
    assert one == every <= BUDGETS["regional-goals/"]


# --- Values and aggregates --------------------------------------------------------


@pytest.mark.django_db
def test_values_cost_the_same_for_1_and_100_rows(anonymous_api):
    places = communes(100)
    publish_values(places[:1], [2018])
    anonymous_api.get(f"{API}/values/")

    one, body_one = measure(anonymous_api, "values/", page_size=1000)
    publish_values(places[1:], [2018])
    hundred, body_hundred = measure(anonymous_api, "values/", page_size=1000)

    assert (len(rows_of(body_one)), len(rows_of(body_hundred))) == (1, 100)
    assert one == hundred <= BUDGETS["values/"]


@pytest.mark.django_db
def test_values_page_size_does_not_change_the_query_count(anonymous_api):
    publish_values(communes(50), [2017, 2018])
    anonymous_api.get(f"{API}/values/")

    ten, body_ten = measure(anonymous_api, "values/", page_size=10)
    hundred, body_hundred = measure(anonymous_api, "values/", page_size=100)

    assert (len(rows_of(body_ten)), len(rows_of(body_hundred))) == (10, 100)
    assert ten == hundred


@pytest.mark.django_db
def test_aggregates_cost_the_same_for_1_and_100_rows(anonymous_api, hauts_de_france):
    nord = Territory.objects.get(kind=TerritoryKind.DEPARTEMENT, code="59")
    publish_aggregates(hauts_de_france, [2018])
    anonymous_api.get(f"{API}/aggregates/")

    one, body_one = measure(anonymous_api, "aggregates/", page_size=1000)
    publish_aggregates(hauts_de_france, range(1990, 2018))
    publish_aggregates(nord, range(1990, 2061))
    hundred, body_hundred = measure(anonymous_api, "aggregates/", page_size=1000)

    assert (len(rows_of(body_one)), len(rows_of(body_hundred))) == (1, 100)
    assert one == hundred <= BUDGETS["aggregates/"]


# --- Open-data files --------------------------------------------------------------


def add_rows(path, count, offset):
    """``count`` more rows of the dataset behind ``path``."""
    if path in ("contracts/", "targets/"):
        active_contracts(communes(count, offset))
    elif path == "values/":
        publish_values(communes(count, offset), [2018])
    else:
        region = Territory.objects.get(kind=TerritoryKind.REGION, code="32")
        publish_aggregates(region, range(1990 + offset, 1990 + offset + count))


@pytest.mark.parametrize("path", ["contracts/", "targets/", "values/", "aggregates/"])
def test_exports_cost_the_same_for_1_and_100_rows(anonymous_api, db, path):
    add_rows(path, 1, 0)
    anonymous_api.get(f"{API}/{path}")

    one = {fmt: measure(anonymous_api, path, format=fmt)[0] for fmt in ("csv", "xlsx")}
    add_rows(path, 99, 1)
    hundred = {fmt: measure(anonymous_api, path, format=fmt)[0] for fmt in ("csv", "xlsx")}
    lines = measure(anonymous_api, path, format="csv")[1].decode("utf-8").splitlines()

    assert one == hundred
    # header + every row (a target twice; a consumption and its derived per inhabitant)
    assert len(lines) == 1 + (200 if path in ("targets/", "values/") else 100)
