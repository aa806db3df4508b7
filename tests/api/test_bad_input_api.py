"""Hostile input on the write API: malformed JSON, wrong types, absurd numbers, huge or
strange strings, injections, unknown or derived indicators, impossible years, writes in
the wrong state or in another territory. Every case gets the right 4xx with a French
JSON error, and nothing is saved (never a 500)."""

import json
import re

import pytest
from django.utils import timezone

from contracts import services
from contracts.models import ProgressReport
from indicators.models import IndicatorValue
from tests.contracts.factories import indicator

REPORTS = "/api/v1/reports/"
INVALID = "Requête invalide : voir les messages par champ."
MEGABYTE = 1_000_000
# Words of DRF's or Django's English messages (a French message has none of them).
ENGLISH = re.compile(
    r"\b(this|field|is|not|valid|invalid|expected|ensure|must|error|parse|found|matches|"
    r"query|required|got|failed)\b",
    re.IGNORECASE,
)


@pytest.fixture
def report(contract_a, officer_a):
    """A's 2018 report, in draft, with cae_2.a = 1000 (Observatoire)."""
    report = services.open_report(contract_a, 2018, by=officer_a)
    services.save_report_values(
        report,
        [services.ReportedValue(indicator("cae_2.a"), "1000", source="Observatoire")],
        by=officer_a,
    )
    return report


def values_url(report) -> str:
    return f"{REPORTS}{report.pk}/values/"


def db_state():
    return (
        list(ProgressReport.objects.order_by("pk").values_list("pk", "year", "status")),
        list(
            IndicatorValue.objects.order_by("pk").values_list(
                "pk", "indicator__identifier", "value", "source", "comment", "status"
            )
        ),
        ProgressReport.history.count(),
        IndicatorValue.history.count(),
    )


def messages(body) -> list[str]:
    return [body["detail"], *(m for ms in body.get("errors", {}).values() for m in ms)]


def assert_french_error(response, status):
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) <= {"detail", "errors"}
    for message in messages(body):
        assert message.strip()
        assert not ENGLISH.search(message), message
    return body


def e(value="950", indicator="cae_2.a", **extra):
    return {"indicator": indicator, "value": value, **extra}


# --- PUT values: hostile JSON bodies ---------------------------------------------------

HOSTILE_VALUES = [
    # (id, body, key of the error)
    ("value-true", {"values": [e(True)]}, "values.0.value"),
    ("value-object", {"values": [e({"nombre": 950})]}, "values.0.value"),
    ("value-list", {"values": [e([950])]}, "values.0.value"),
    ("value-1e309", {"values": [e("1e309")]}, "cae_2.a"),
    ("value-float-1e300", {"values": [e(1e300)]}, "cae_2.a"),
    ("value-infinity", {"values": [e("Infinity")]}, "cae_2.a"),
    ("value-nan-string", {"values": [e("NaN")]}, "cae_2.a"),
    ("value-signalling-nan", {"values": [e("sNaN")]}, "cae_2.a"),
    ("value-negative", {"values": [e("-1")]}, "cae_2.a"),
    ("value-words", {"values": [e("neuf cent cinquante")]}, "cae_2.a"),
    ("value-1-mb", {"values": [e("9" * MEGABYTE)]}, "values.0.value"),
    ("source-1-mb", {"values": [e(source="x" * MEGABYTE)]}, "values.0.source"),
    ("comment-1-mb", {"values": [e(comment="x" * MEGABYTE)]}, "values.0.comment"),
    ("value-nul", {"values": [e("95\x000")]}, "values.0.value"),
    ("comment-nul", {"values": [e(comment="avant\x00après")]}, "values.0.comment"),
    ("value-escape-sequence", {"values": [e("950\x1b[2J")]}, "cae_2.a"),
    ("value-rtl-mark", {"values": [e("\u200f950")]}, "cae_2.a"),
    ("value-rtl-override", {"values": [e("\u202e059")]}, "cae_2.a"),
    ("value-zero-width-space", {"values": [e("9\u200b50")]}, "cae_2.a"),
    ("value-sql", {"values": [e("1; DROP TABLE contracts_progressreport")]}, "cae_2.a"),
    ("value-7-decimals", {"values": [e("0,1234567")]}, "cae_2.a"),
    ("value-tiny-exponent", {"values": [e("1e-999999999")]}, "cae_2.a"),
    ("indicator-sql", {"values": [e(indicator="cae_2.a' OR '1'='1")]}, "values.0.indicator"),
    (
        "indicator-html",
        {"values": [e(indicator="<script>alert(1)</script>")]},
        "values.0.indicator",
    ),
    ("indicator-unknown", {"values": [e(indicator="cae_99")]}, "values.0.indicator"),
    ("indicator-null", {"values": [e(indicator=None)]}, "values.0.indicator"),
    ("indicator-number", {"values": [e(indicator=2)]}, "values.0.indicator"),
    ("indicator-derived", {"values": [e("50", indicator="cae_3.b")]}, "cae_3.b"),
    ("indicator-twice", {"values": [e("950"), e("951")]}, "cae_2.a"),
    ("entry-string", {"values": ["cae_2.a"]}, "values.0.non_field_errors"),
    ("entry-without-value", {"values": [{"indicator": "cae_2.a"}]}, "values.0.value"),
    ("values-object", {"values": e()}, "values.non_field_errors"),
    ("values-empty", {"values": []}, "values.non_field_errors"),
    ("values-201", {"values": [e()] * 201}, "values.non_field_errors"),
    ("no-values", {}, "non_field_errors"),  # nor action updates nor a comment
    ("body-list", [e()], "non_field_errors"),
    # One bad entry and the good ones before it are not saved either.
    ("batch-then-not-a-number", {"values": [e("1"), e("x", indicator="cae_3.a")]}, "cae_3.a"),
    ("batch-then-7-decimals", {"values": [e("1", indicator="cae_3.a"), e("0,1234567")]}, "cae_2.a"),
]


@pytest.mark.parametrize(
    ("body", "key"), [pytest.param(body, key, id=id_) for id_, body, key in HOSTILE_VALUES]
)
def test_hostile_values_are_refused_in_french_and_nothing_is_saved(api_a, report, body, key):
    before = db_state()

    response = api_a.put(values_url(report), body, format="json")

    body = assert_french_error(response, 400)
    assert body["detail"] == INVALID
    assert key in body["errors"]
    assert db_state() == before


def test_too_many_decimals_are_reported_against_their_indicator(api_a, report):
    response = api_a.put(
        values_url(report), {"values": [e("1", indicator="cae_3.a"), e("0,1234567")]}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["cae_2.a"]


RAW_BODIES = [
    # (id, bytes, content type, status)
    ("malformed-json", b'{"values": [', "application/json", 400),
    (
        "nan-literal",
        b'{"values": [{"indicator": "cae_2.a", "value": NaN}]}',
        "application/json",
        400,
    ),
    (
        "infinity-literal",
        b'{"values": [{"indicator": "cae_2.a", "value": Infinity}]}',
        "application/json",
        400,
    ),
    # 1e400 is valid JSON; Python reads it as float("inf"), refused as not finite.
    (
        "number-1e400",
        b'{"values": [{"indicator": "cae_2.a", "value": 1e400}]}',
        "application/json",
        400,
    ),
    (
        "integer-of-5000-digits",
        b'{"values": [{"indicator": "cae_2.a", "value": ' + b"9" * 5000 + b"}]}",
        "application/json",
        400,
    ),
    ("invalid-utf8", b'{"values": "\xff\xfe"}', "application/json", 400),
    ("empty-body", b"", "application/json", 400),
    ("text-plain", b"cae_2.a=950", "text/plain", 415),
    ("form-encoded", b"indicator=cae_2.a&value=950", "application/x-www-form-urlencoded", 415),
    ("multipart", b"--x\r\n\r\n--x--\r\n", "multipart/form-data; boundary=x", 415),
]


@pytest.mark.parametrize(
    ("raw", "content_type", "status"),
    [pytest.param(raw, ct, status, id=id_) for id_, raw, ct, status in RAW_BODIES],
)
def test_unparsable_bodies_are_refused_as_json_and_nothing_is_saved(
    api_a, report, raw, content_type, status
):
    before = db_state()

    response = api_a.generic("PUT", values_url(report), raw, content_type=content_type)

    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["detail"]
    assert db_state() == before


def test_a_json_infinity_number_is_refused_as_not_finite(api_a, report):
    response = api_a.generic(
        "PUT",
        values_url(report),
        b'{"values": [{"indicator": "cae_2.a", "value": 1e400}]}',
        content_type="application/json",
    )

    assert assert_french_error(response, 400)["errors"] == {
        "cae_2.a": ["La valeur doit être un nombre fini."]
    }


@pytest.mark.parametrize(
    "raw",
    [b'{"values": [', b'{"values": [{"indicator": "cae_2.a", "value": NaN}]}', b'{"v": "\xff"}'],
    ids=["malformed", "nan-literal", "invalid-utf8"],
)
def test_a_json_parse_error_is_explained_in_french(api_a, report, raw):
    response = api_a.generic("PUT", values_url(report), raw, content_type="application/json")

    assert_french_error(response, 400)


def nested(depth: int) -> bytes:
    return b'{"values": ' + b"[" * depth + b"]" * depth + b"}"


DEEP_BODIES = {
    # Python's JSON parser recurses once per level: thousands overflow its stack.
    "3000-open-brackets": b"[" * 3000,
    "100000-open-braces": b'{"a":' * 100_000,
    "3000-levels-closed": nested(3000),
    # Parsable, but deeper than any body of the API: refused before anything reads it.
    "40-levels-closed": nested(40),
}


@pytest.mark.parametrize("raw", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
@pytest.mark.parametrize("target", ["values", "opening"])
def test_a_deeply_nested_json_body_is_refused_in_french_and_nothing_is_saved(
    api_a, report, contract_a, raw, target
):
    before = db_state()
    url = values_url(report) if target == "values" else REPORTS
    method = "PUT" if target == "values" else "POST"

    response = api_a.generic(method, url, raw, content_type="application/json")

    body = assert_french_error(response, 400)
    assert body == {
        "detail": "Corps de requête trop imbriqué : au plus 20 niveaux de tableaux et d'objets."
    }
    assert db_state() == before


def test_a_body_as_deep_as_the_limit_is_read(api_a, report):
    response = api_a.generic("PUT", values_url(report), nested(19), content_type="application/json")

    assert assert_french_error(response, 400)["errors"]  # read: refused field by field


def test_a_body_over_the_upload_limit_gets_a_json_error(api_a, report):
    before = db_state()

    response = api_a.put(
        values_url(report), {"values": [e(comment="x" * (3 * MEGABYTE))]}, format="json"
    )

    assert response.status_code in (400, 413)
    assert response.headers["Content-Type"] == "application/json"
    assert db_state() == before


def test_negative_zero_is_stored_as_zero(api_a, report):
    response = api_a.put(values_url(report), {"values": [e("-0")]}, format="json")

    assert response.status_code == 200
    assert response.json()["values"][0]["value"] == "0"


# --- POST reports: hostile bodies --------------------------------------------------------

NEXT_YEAR = timezone.localdate().year + 1
HOSTILE_OPENINGS = [
    # (id, body, key of the error); "A"/"B" stand for the contracts' ids
    ("year-1800", {"contract": "A", "year": 1800}, "year"),
    ("year-2999", {"contract": "A", "year": 2999}, "year"),
    ("year-next", {"contract": "A", "year": NEXT_YEAR}, "non_field_errors"),
    ("year-before-contract", {"contract": "A", "year": 2014}, "non_field_errors"),
    ("year-after-contract", {"contract": "A", "year": 2021}, "non_field_errors"),
    ("year-words", {"contract": "A", "year": "deux mille dix-huit"}, "year"),
    ("year-fraction", {"contract": "A", "year": 2018.5}, "year"),
    ("year-bool", {"contract": "A", "year": True}, "year"),
    ("year-null", {"contract": "A", "year": None}, "year"),
    ("year-huge", {"contract": "A", "year": 10**30}, "year"),
    ("contract-of-b", {"contract": "B", "year": 2018}, "contract"),
    ("contract-unknown", {"contract": 999_999, "year": 2018}, "contract"),
    ("contract-string", {"contract": "COTRI-FOURMIES", "year": 2018}, "contract"),
    ("contract-null", {"contract": None, "year": 2018}, "contract"),
    ("contract-object", {"contract": {"id": "A"}, "year": 2018}, "contract"),
    ("empty-object", {}, "contract"),
    ("body-list", ["A", 2018], "non_field_errors"),
]


def resolve(body, ids):
    if isinstance(body, dict):
        return {k: resolve(v, ids) for k, v in body.items()}
    if isinstance(body, list):
        return [resolve(v, ids) for v in body]
    return ids.get(body, body) if isinstance(body, str) else body


@pytest.mark.parametrize(
    ("body", "key"), [pytest.param(body, key, id=id_) for id_, body, key in HOSTILE_OPENINGS]
)
def test_hostile_report_openings_are_refused_in_french_and_nothing_is_created(
    api_a, report, contract_a, contract_b, body, key
):
    before = db_state()

    response = api_a.post(
        REPORTS, resolve(body, {"A": contract_a.pk, "B": contract_b.pk}), format="json"
    )

    body = assert_french_error(response, 400)
    assert key in body["errors"]
    assert db_state() == before


def test_the_reasons_for_refusing_a_year_are_explicit(api_a, contract_a):
    def refusal(year):
        response = api_a.post(REPORTS, {"contract": contract_a.pk, "year": year}, format="json")
        return response.json()["errors"]

    assert refusal(1800) == {
        "year": ["Assurez-vous que cette valeur est supérieure ou égale à\u00a01990."]
    }
    assert refusal(NEXT_YEAR) == {"non_field_errors": [f"L'année {NEXT_YEAR} est dans le futur."]}
    assert refusal(2014) == {
        "non_field_errors": [
            "L'année 2014 est hors du contrat COTRI-FOURMIES (années 2015 à 2020)."
        ]
    }


def test_a_malformed_json_opening_creates_nothing(api_a, contract_a):
    response = api_a.generic("POST", REPORTS, b'{"contract": ', content_type="application/json")

    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert not ProgressReport.objects.exists()


# --- Writes in the wrong state or outside the territory ----------------------------------


def put_one(client, report):
    return client.put(values_url(report), {"values": [e("1")]}, format="json")


CONFLICTS = [
    # (id, state of the report, who acts, action, message fragment)
    ("put-on-submitted", "submitted", "officer", put_one, "n'est plus modifiable"),
    ("put-on-validated", "validated", "officer", put_one, "n'est plus modifiable"),
    (
        "submit-submitted",
        "submitted",
        "officer",
        lambda c, r: c.post(f"{REPORTS}{r.pk}/submit/"),
        "Passage impossible",
    ),
    (
        "submit-validated",
        "validated",
        "officer",
        lambda c, r: c.post(f"{REPORTS}{r.pk}/submit/"),
        "Passage impossible",
    ),
    (
        "validate-draft",
        "draft",
        "staff",
        lambda c, r: c.post(f"{REPORTS}{r.pk}/validate/"),
        "Passage impossible",
    ),
    (
        "validate-validated",
        "validated",
        "staff",
        lambda c, r: c.post(f"{REPORTS}{r.pk}/validate/"),
        "Passage impossible",
    ),
    (
        "reject-validated",
        "validated",
        "staff",
        lambda c, r: c.post(f"{REPORTS}{r.pk}/reject/", {"reason": "Trop tard."}, format="json"),
        "Passage impossible",
    ),
    ("put-on-validated-by-staff", "validated", "staff", put_one, "n'est plus modifiable"),
]


@pytest.mark.parametrize(
    ("state", "actor", "action", "fragment"),
    [pytest.param(*case[1:], id=case[0]) for case in CONFLICTS],
)
def test_writes_in_the_wrong_state_are_a_conflict_and_change_nothing(
    api_a, staff_api, staff, officer_a, report, state, actor, action, fragment
):
    if state in ("submitted", "validated"):
        services.submit_report(report, officer_a)
    if state == "validated":
        services.validate_report(report, staff)
    before = db_state()

    response = action({"officer": api_a, "staff": staff_api}[actor], report)

    body = assert_french_error(response, 409)
    assert fragment in body["detail"]
    assert body["errors"] == {"non_field_errors": [body["detail"]]}
    assert db_state() == before


def test_writes_on_another_territorys_report_are_not_found_and_change_nothing(
    api_a, contract_b, officer_b
):
    b_report = services.open_report(contract_b, 2018, by=officer_b)
    before = db_state()

    put = put_one(api_a, b_report)
    submit = api_a.post(f"{REPORTS}{b_report.pk}/submit/")

    assert (put.status_code, submit.status_code) == (404, 404)
    assert "Grande-Synthe" not in put.content.decode() + submit.content.decode()
    assert db_state() == before


# --- HTML and scripts in free text ---------------------------------------------------------

SCRIPT = "<script>alert('source')</script>"
IMAGE = '<img src=x onerror="alert(1)">'


def test_html_in_source_and_comment_is_returned_verbatim_as_json_strings(api_a, report):
    response = api_a.put(
        values_url(report), {"values": [e(source=SCRIPT, comment=IMAGE)]}, format="json"
    )

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    value = response.json()["values"][0]
    assert (value["source"], value["comment"]) == (SCRIPT, IMAGE)
    # JSON is not HTML: the text is not entity-escaped, only JSON-quoted.
    assert json.dumps(SCRIPT).encode() in response.content
    assert IndicatorValue.objects.get(report=report).source == SCRIPT


def test_html_entered_through_the_api_is_escaped_on_the_staff_review_page(
    client, api_a, staff, officer_a, report
):
    # The `staff_client` fixture would create a second "agent.region" user: log in the
    # API fixtures' staff member instead.
    api_a.put(values_url(report), {"values": [e(source=SCRIPT, comment=IMAGE)]}, format="json")
    services.submit_report(report, officer_a)
    client.force_login(staff)

    page = client.get(f"/gestion/rapports/{report.pk}/")

    assert page.status_code == 200
    html = page.content.decode()
    assert SCRIPT not in html
    assert IMAGE not in html
    assert "&lt;script&gt;alert(&#x27;source&#x27;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
