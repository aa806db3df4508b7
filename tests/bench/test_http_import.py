"""The pieces of the HTTP (B3, B4) and import (B5) benchmarks, without any load: the
floors measure the same thing as the figures, wrk's report is read right, the bench
settings keep the API's throttles, and B5 leaves the database as it found it."""

import importlib
import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework.throttling import AnonRateThrottle

from bench import http, imports
from contracts.models import Contract, ProgressReport
from indicators.models import Indicator, IndicatorValue, ValueStatus
from kit.cache import bump_data_version
from territories.models import OfficerAssignment, Territory, TerritoryKind

WRK_REPORT = """Running 5s test @ http://127.0.0.1:41234/api/v1/values/?indicator=cae_2.a&page_size=100
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    55.10ms    9.71ms 103.30ms   71.21%
    Req/Sec   145.22     21.08   191.00     68.00%
  726 requests in 5.01s, 21.74MB read
Requests/sec:    144.93
Transfer/sec:      4.34MB
"""
WRK_REPORT_WITH_ERRORS = """Running 5s test @ http://127.0.0.1:41234/tableau-de-bord/
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.62ms    2.10ms  29.24ms   80.02%
    Req/Sec     1.21k   102.34     1.40k    70.00%
  6031 requests in 5.00s, 196.51MB read
  Socket errors: connect 0, read 3, write 0, timeout 1
  Non-2xx or 3xx responses: 12
Requests/sec:   1205.81
Transfer/sec:     39.29MB
"""


def publish(territories, identifier, years, status=ValueStatus.VALIDATED):
    now = timezone.now()
    IndicatorValue.objects.bulk_create(
        IndicatorValue(
            territory=territory,
            indicator=Indicator.objects.get(identifier=identifier),
            year=year,
            value=Decimal(territory.pk % 97) + Decimal("0.125") + year,
            status=status,
            validated_at=now if status == ValueStatus.VALIDATED else None,
        )
        for territory in territories
        for year in years
    )
    bump_data_version()  # as a validation does


# --- B3: the floor view returns the API's page ---------------------------------------


@pytest.mark.urls("bench.urls")
@pytest.mark.django_db
def test_the_floor_values_view_returns_the_rows_of_the_api_page():
    communes = list(Territory.objects.filter(kind=TerritoryKind.COMMUNE).order_by("-code")[:40])
    publish(communes, "cae_2.a", [2017, 2018, 2019])  # 120 rows: the page holds 100
    publish(communes[:10], "cae_1.a", [2018])  # another indicator
    publish(communes[10:20], "cae_2.a", [2020], status=ValueStatus.SUBMITTED)  # not public
    client = Client()

    api = client.get(http.VALUES_URL.format(page_size=100))
    floor = client.get(http.FLOOR_VALUES_URL)

    assert api.status_code == floor.status_code == 200
    api_rows = api.json()["results"]
    floor_rows = json.loads(floor.content)["results"]
    assert len(api_rows) == len(floor_rows) == 100
    assert [(r["id"], Decimal(r["value"]), r["year"]) for r in api_rows] == [
        (r["id"], Decimal(r["value"]), r["year"]) for r in floor_rows
    ]
    assert {r["indicator__identifier"] for r in floor_rows} == {"cae_2.a"}


@pytest.mark.urls("bench.urls")
@pytest.mark.django_db
def test_the_api_query_count_is_measured_the_same_for_10_and_100_rows():
    publish(
        list(Territory.objects.filter(kind=TerritoryKind.COMMUNE)[:60]), "cae_2.a", [2018, 2019]
    )

    counts = http.api_query_counts()

    assert counts[10] == counts[100] <= 2  # the page (the indicator and the count are cached)


@pytest.mark.urls("bench.urls")
def test_the_constant_floor_page_has_the_size_asked(client):
    response = client.get(http.FLOOR_CONSTANT_URL.format(size=33_336))

    assert response.status_code == 200
    assert 33_336 - 60 <= len(response.content) <= 33_336


# --- wrk's report -------------------------------------------------------------------


def test_wrk_report_is_read():
    run = http.parse_wrk(WRK_REPORT, "/api/v1/values/")

    assert (run.requests_per_second, run.requests, run.errors) == (144.93, 726, 0)


def test_wrk_errors_are_counted():
    run = http.parse_wrk(WRK_REPORT_WITH_ERRORS)

    assert (run.requests_per_second, run.non_2xx, run.socket_errors, run.errors) == (
        1205.81,
        12,
        4,
        16,
    )


def test_an_unreadable_wrk_report_stops_the_bench():
    with pytest.raises(http.BenchError, match="unreadable"):
        http.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


# --- Bench settings -----------------------------------------------------------------


def test_the_bench_settings_keep_the_throttles_with_a_rate_the_load_never_reaches():
    from tri_portal import settings as portal

    bench = importlib.import_module("bench.settings")

    throttles = bench.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]
    assert throttles == portal.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] != []
    for scope in ("anon", "user"):
        requests, seconds = AnonRateThrottle().parse_rate(
            bench.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]
        )
        assert requests / seconds >= 100_000  # per second: far above any loopback load
    assert bench.ROOT_URLCONF == "bench.urls"
    assert bench.DEBUG is False
    assert bench.CACHES["default"]["BACKEND"] == "kit.cache.RedisCache"  # as production


@pytest.mark.django_db
def test_with_the_bench_rates_requests_are_counted_but_not_throttled(settings):
    from django.core.cache import cache

    bench = importlib.import_module("bench.settings")
    settings.REST_FRAMEWORK = bench.REST_FRAMEWORK
    client = Client()

    statuses = {client.get("/api/v1/indicators/").status_code for _ in range(130)}  # > 120/min

    assert statuses == {200}
    history = cache.get(AnonRateThrottle.cache_format % {"scope": "anon", "ident": "127.0.0.1"})
    assert len(history) >= 1  # the throttle ran and recorded the requests


# --- B5: its own data, removed afterwards -------------------------------------------


def table_counts() -> dict[str, int]:
    return {
        "values": IndicatorValue.objects.count(),
        "value history": IndicatorValue.history.count(),
        "reports": ProgressReport.objects.count(),
        "report history": ProgressReport.history.count(),
        "contracts": Contract.objects.count(),
        "contract history": Contract.history.count(),
        "assignments": OfficerAssignment.objects.count(),
        "assignment history": OfficerAssignment.history.count(),
        "users": get_user_model().objects.count(),
    }


@pytest.mark.django_db
def test_b5_measures_the_import_and_leaves_the_database_as_it_found_it():
    publish(list(Territory.objects.filter(kind=TerritoryKind.COMMUNE)[:5]), "cae_2.a", [2018])
    before = table_counts()

    results = imports.run(rows=60)

    assert table_counts() == before
    assert imports.leftovers() == {"users": 0, "contracts": 0, "reports": 0, "values": 0}
    b5, b5x = results
    assert (b5.id, b5x.id) == ("B5", "B5x")
    for result in results:
        assert result.details["rows"] == 60
        assert len(result.details["figure_runs_s"]) == len(result.details["floor_runs_s"]) >= 2
        assert result.figure > 0
        assert result.floor > 0
    assert b5.bound == 3
    assert b5x.bound == imports.XLSX_BOUND


@pytest.mark.django_db
def test_b5_writes_the_same_rows_both_ways():
    plan = imports.prepare(60)
    try:
        imports.floor_write(plan)
        floor = sorted(
            IndicatorValue.objects.filter(status=ValueStatus.DRAFT).values_list(
                "report__contract_id", "report__year", "indicator_id", "year", "value", "source"
            )
        )
        imports.check_written(plan)
        imports.clean_values()

        imports.figure_write(plan, imports.csv_upload(plan))
        figure = sorted(
            IndicatorValue.objects.filter(status=ValueStatus.DRAFT).values_list(
                "report__contract_id", "report__year", "indicator_id", "year", "value", "source"
            )
        )
    finally:
        imports.cleanup()

    assert len(floor) == 60
    assert figure == floor
