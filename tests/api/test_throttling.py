"""Throttling: anonymous clients per IP address, authenticated ones per token, at the
rates of settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (read at each request).
A throttled client gets 429, a Retry-After header and a French message."""

import pytest

from indicators.models import IndicatorValue
from tests.api.conftest import token_client
from tests.contracts.factories import ReportFactory

PUBLIC = "/api/v1/indicators/"
REPORTS = "/api/v1/reports/"


def set_rates(settings, anon="3/min", user="3/min"):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": anon, "user": user},
    }


@pytest.fixture
def low_rates(settings):
    set_rates(settings)


def statuses(client, url, times, **extra):
    return [client.get(url, **extra).status_code for _ in range(times)]


def assert_throttled(response):
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    detail = response.json()["detail"]
    assert detail.startswith("Requête ralentie.")
    assert "secondes" in detail


def test_an_anonymous_client_is_throttled_at_the_configured_rate(db, low_rates, anonymous_api):
    assert statuses(anonymous_api, PUBLIC, 3) == [200, 200, 200]

    assert_throttled(anonymous_api.get(PUBLIC))


def test_the_anonymous_budget_is_shared_by_every_public_endpoint(db, low_rates, anonymous_api):
    anonymous_api.get(PUBLIC)
    anonymous_api.get("/api/v1/territories/", {"code": "59249"})
    anonymous_api.get("/api/v1/values/")

    assert_throttled(anonymous_api.get("/api/v1/contracts/"))


def test_the_anonymous_throttle_is_per_ip_address(db, low_rates, anonymous_api):
    statuses(anonymous_api, PUBLIC, 3, REMOTE_ADDR="192.0.2.1")

    assert anonymous_api.get(PUBLIC, REMOTE_ADDR="192.0.2.1").status_code == 429
    assert anonymous_api.get(PUBLIC, REMOTE_ADDR="192.0.2.2").status_code == 200


def test_an_anonymous_client_cannot_escape_the_throttle_with_x_forwarded_for(
    db, low_rates, anonymous_api
):
    """With no trusted proxy configured (the default), the address is REMOTE_ADDR;
    behind a proxy, only the entries that proxy appends may be trusted."""
    codes = [
        anonymous_api.get(PUBLIC, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(5)
    ]

    assert codes == [200, 200, 200, 429, 429]


def test_a_token_is_throttled_at_the_user_rate(low_rates, api_a):
    assert statuses(api_a, REPORTS, 3) == [200, 200, 200]

    assert_throttled(api_a.get(REPORTS))


def test_each_token_has_its_own_budget(low_rates, api_a, api_b):
    statuses(api_a, REPORTS, 3)
    assert api_a.get(REPORTS).status_code == 429

    assert statuses(api_b, REPORTS, 3) == [200, 200, 200]


def test_two_tokens_of_the_same_user_are_counted_separately(low_rates, officer_a, api_a):
    statuses(api_a, REPORTS, 4)

    assert token_client(officer_a).get(REPORTS).status_code == 200


def test_a_throttled_anonymous_client_does_not_throttle_a_token_client_at_the_same_address(
    low_rates, anonymous_api, api_a
):
    statuses(anonymous_api, PUBLIC, 4)
    assert anonymous_api.get(PUBLIC).status_code == 429

    assert api_a.get(PUBLIC).status_code == 200
    assert api_a.get(REPORTS).status_code == 200


def test_token_requests_do_not_use_the_anonymous_budget(settings, anonymous_api, api_a):
    set_rates(settings, anon="3/min", user="100/min")
    statuses(api_a, PUBLIC, 5)

    assert statuses(anonymous_api, PUBLIC, 3) == [200, 200, 200]


def test_a_throttled_write_saves_nothing(low_rates, api_a, contract_a):
    report = ReportFactory(contract=contract_a, year=2018)
    statuses(api_a, REPORTS, 3)

    response = api_a.put(
        f"{REPORTS}{report.pk}/values/",
        {"values": [{"indicator": "cae_2.a", "value": "950"}]},
        format="json",
    )

    assert_throttled(response)
    assert not IndicatorValue.objects.exists()


def test_the_rates_are_read_from_the_settings_at_each_request(db, settings, anonymous_api):
    set_rates(settings, anon="2/min")
    statuses(anonymous_api, PUBLIC, 2)
    assert anonymous_api.get(PUBLIC).status_code == 429

    set_rates(settings, anon="10/min")

    assert anonymous_api.get(PUBLIC).status_code == 200
