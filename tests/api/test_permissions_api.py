"""Who may do what on the reports API: anonymous (401), the officer of the territory
(their own reports), an officer of another territory (404: the report does not exist
for them, and nothing of it shows), staff (everything, and alone validate or reject).
A refused write changes nothing in the database."""

import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from contracts import services
from contracts.models import ProgressReport
from indicators.models import IndicatorValue
from tests.api.conftest import token_client
from tests.contracts.factories import ContractFactory, ReportFactory, indicator
from tri_portal.models import ApiToken

REPORTS = "/api/v1/reports/"
# What must never appear in an answer to someone outside Fourmies' scope.
A_MARKERS = ("COTRI-FOURMIES", "Fourmies", "59249", "Observatoire")


def report_url(report_id: int, action: str = "") -> str:
    return f"{REPORTS}{report_id}/{action + '/' if action else ''}"


def db_state():
    """Everything a write could change: reports, values and their history."""
    return (
        list(
            ProgressReport.objects.order_by("pk").values_list(
                "pk", "contract_id", "year", "status", "rejection_reason", "submitted_at"
            )
        ),
        list(
            IndicatorValue.objects.order_by("pk").values_list(
                "pk", "indicator__identifier", "value", "source", "status"
            )
        ),
        ProgressReport.history.count(),
        IndicatorValue.history.count(),
    )


def report_with_value(contract, officer, year, value="950"):
    report = services.open_report(contract, year, by=officer)
    services.save_report_values(
        report,
        [services.ReportedValue(indicator("cae_2.a"), value, source="Observatoire")],
        by=officer,
    )
    return report


@pytest.fixture
def a_reports(contract_a, officer_a, contract_b, officer_b):
    """A's 2018 report in draft and 2019 report submitted (B's contract exists too)."""
    draft = report_with_value(contract_a, officer_a, 2018)
    submitted = services.submit_report(report_with_value(contract_a, officer_a, 2019), officer_a)
    return {"contract": contract_a, "draft": draft, "submitted": submitted}


@pytest.fixture
def clients(anonymous_api, api_a, api_b, staff_api):
    return {"anonymous": anonymous_api, "officer_a": api_a, "officer_b": api_b, "staff": staff_api}


ACTIONS = {
    "list": lambda c, r: c.get(REPORTS),
    "retrieve": lambda c, r: c.get(report_url(r["draft"].pk)),
    "open": lambda c, r: c.post(
        REPORTS, {"contract": r["contract"].pk, "year": 2017}, format="json"
    ),
    "put_values": lambda c, r: c.put(
        report_url(r["draft"].pk, "values"),
        {"values": [{"indicator": "cae_2.a", "value": "1"}]},
        format="json",
    ),
    "submit": lambda c, r: c.post(report_url(r["draft"].pk, "submit")),
    "validate": lambda c, r: c.post(report_url(r["submitted"].pk, "validate")),
    "reject": lambda c, r: c.post(
        report_url(r["submitted"].pk, "reject"), {"reason": "Valeur douteuse."}, format="json"
    ),
}
READS = {"list", "retrieve"}

EXPECTED = {
    "anonymous": dict.fromkeys(ACTIONS, 401),
    "officer_a": {
        "list": 200,
        "retrieve": 200,
        "open": 201,
        "put_values": 200,
        "submit": 200,
        "validate": 403,
        "reject": 403,
    },
    "officer_b": {
        "list": 200,  # an empty list
        "retrieve": 404,
        "open": 400,  # the contract is a body field: "unknown contract"
        "put_values": 404,
        "submit": 404,
        "validate": 403,  # staff only, checked before the object
        "reject": 403,
    },
    "staff": {
        "list": 200,
        "retrieve": 200,
        "open": 201,
        "put_values": 200,
        "submit": 200,
        "validate": 200,
        "reject": 200,
    },
}
MATRIX = [
    pytest.param(actor, action, status, id=f"{actor}-{action}")
    for actor, statuses in EXPECTED.items()
    for action, status in statuses.items()
]


@pytest.mark.parametrize(("actor", "action", "expected"), MATRIX)
def test_permission_matrix_on_the_reports_of_territory_a(
    clients, a_reports, actor, action, expected
):
    before = db_state()

    response = ACTIONS[action](clients[actor], a_reports)

    assert response.status_code == expected
    body = response.json()
    if expected >= 400:
        assert set(body) <= {"detail", "errors"}
        assert body["detail"]
        assert db_state() == before
    elif action not in READS:
        assert db_state() != before
    if actor in ("anonymous", "officer_b"):
        assert not any(marker in response.content.decode() for marker in A_MARKERS)
    if actor == "anonymous":
        assert response.headers["WWW-Authenticate"] == "Token"
    if (actor, action) == ("officer_b", "list"):
        assert (body["count"], body["results"]) == (0, [])
    if (actor, action) == ("officer_a", "list"):
        assert [r["year"] for r in body["results"]] == [2018, 2019]
    if (actor, action) == ("officer_b", "open"):
        assert body["errors"] == {"contract": ["Contrat inconnu ou hors de votre périmètre."]}
    if expected == 403:
        assert body == {"detail": "Action réservée aux agents de la Région et de l'ADEME."}


# --- No existence leak --------------------------------------------------------------


@pytest.mark.parametrize("action", ["retrieve", "put_values", "submit"])
def test_another_territorys_report_is_answered_exactly_like_a_missing_one(api_b, a_reports, action):
    missing = {"draft": ProgressReport(pk=999_999), "submitted": ProgressReport(pk=999_999)}

    real = ACTIONS[action](api_b, a_reports)
    absent = ACTIONS[action](api_b, missing)

    assert real.status_code == absent.status_code == 404
    assert real.json() == absent.json()
    assert real.headers["Content-Type"] == absent.headers["Content-Type"]


def test_a_missing_report_is_answered_in_french_without_naming_the_model(api_b, a_reports):
    response = api_b.get(report_url(a_reports["draft"].pk))

    assert response.status_code == 404
    detail = response.json()["detail"]
    assert "ProgressReport" not in detail
    assert not re.search(r"\b(No|matches|query)\b", detail)


# --- Authentication -------------------------------------------------------------------


def with_header(value: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=value)
    return client


def test_a_revoked_token_is_refused_and_writes_nothing(officer_a, a_reports):
    token, key = ApiToken.issue(officer_a, "SIG")
    token.revoke()
    client = with_header(f"Token {key}")
    before = db_state()

    read = client.get(REPORTS)
    write = ACTIONS["put_values"](client, a_reports)

    assert (read.status_code, write.status_code) == (401, 401)
    assert write.json() == {"detail": "Jeton invalide ou révoqué."}
    assert db_state() == before


def test_a_revoked_token_is_refused_even_on_public_endpoints(officer_a):
    token, key = ApiToken.issue(officer_a, "SIG")
    token.revoke()

    response = with_header(f"Token {key}").get("/api/v1/indicators/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Jeton invalide ou révoqué."}


def test_the_token_of_a_deactivated_user_is_refused(officer_a, a_reports):
    client = token_client(officer_a)
    officer_a.is_active = False
    officer_a.save()
    before = db_state()

    response = ACTIONS["submit"](client, a_reports)

    assert response.status_code == 401
    assert response.json() == {"detail": "Jeton invalide ou révoqué."}
    assert db_state() == before


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Token", "En-tête Authorization invalide : attendu « Token <jeton> »."),
        ("Token a b", "En-tête Authorization invalide : attendu « Token <jeton> »."),
        ("Token \u00e9t\u00e9", "Jeton invalide."),  # latin-1 bytes, not UTF-8
        ("Token tri_inconnu", "Jeton invalide ou révoqué."),
        ("Bearer tri_inconnu", "Jeton invalide ou révoqué."),
        ("Basic dXNlcjpwYXNz", "Informations d'authentification non fournies."),
    ],
    ids=["no-key", "two-keys", "latin-1", "unknown", "bearer-unknown", "basic"],
)
def test_a_malformed_or_unknown_authorization_header_is_refused(a_reports, header, detail):
    client = with_header(header)
    before = db_state()

    response = ACTIONS["put_values"](client, a_reports)

    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert response.headers["WWW-Authenticate"] == "Token"
    assert db_state() == before


def test_a_browser_session_cannot_write_without_the_csrf_token(officer_a, a_reports):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(officer_a)
    before = db_state()

    response = browser.put(
        report_url(a_reports["draft"].pk, "values"),
        {"values": [{"indicator": "cae_2.a", "value": "1"}]},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert db_state() == before
    assert browser.get(report_url(a_reports["draft"].pk)).status_code == 200


def test_the_csrf_refusal_is_explained_in_french(officer_a, a_reports):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(officer_a)

    response = browser.post(report_url(a_reports["draft"].pk, "submit"))

    assert response.status_code == 403
    assert not response.json()["detail"].startswith("CSRF Failed")


# --- Contracts in preparation -----------------------------------------------------------


@pytest.fixture
def a_draft_contract(fourmies, officer_a):
    return ContractFactory(territory=fourmies, reference="COTRI-FOURMIES-PROJET")


@pytest.mark.parametrize(
    ("actor", "expected"),
    [("anonymous", 404), ("officer_b", 404), ("officer_a", 200), ("staff", 200)],
)
def test_a_draft_contract_exists_only_for_its_officer_and_staff(
    anonymous_api, api_a, api_b, staff_api, a_draft_contract, actor, expected
):
    client = {
        "anonymous": anonymous_api,
        "officer_a": api_a,
        "officer_b": api_b,
        "staff": staff_api,
    }[actor]

    detail = client.get(f"/api/v1/contracts/{a_draft_contract.pk}/")
    listing = client.get("/api/v1/contracts/", {"status": "draft"})

    assert detail.status_code == expected
    references = [c["reference"] for c in listing.json()["results"]]
    if expected == 404:
        assert "COTRI-FOURMIES-PROJET" not in detail.content.decode()
        assert references == []
    else:
        assert detail.json()["reference"] == "COTRI-FOURMIES-PROJET"
        assert references == ["COTRI-FOURMIES-PROJET"]


def test_no_report_can_be_opened_on_a_draft_contract(api_a, a_draft_contract):
    before = db_state()

    response = api_a.post(REPORTS, {"contract": a_draft_contract.pk, "year": 2018}, format="json")

    assert response.status_code == 400
    assert "en préparation" in response.json()["errors"]["non_field_errors"][0]
    assert db_state() == before


def test_an_officer_does_not_see_the_reports_of_another_territory(api_a, contract_b):
    report = ReportFactory(contract=contract_b, year=2018)

    assert api_a.get(report_url(report.pk)).status_code == 404
    assert api_a.get(REPORTS).json()["count"] == 0
