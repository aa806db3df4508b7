"""The officer journey through the write API, with a personal token: open the report
of a year, enter values, submit; staff validate it or reject it with a reason; the
officer corrects and resubmits. The API calls the same services as the web form, so
it has the same side effects: history rows with the acting user, e-mails, values
published in /api/v1/values/ only once validated."""

from decimal import Decimal

import pytest
from django.core import mail

from contracts.models import ProgressReport, ReportStatus
from indicators.models import IndicatorValue, ValueStatus

REPORTS = "/api/v1/reports/"


def report_url(report_id: int, action: str = "") -> str:
    return f"{REPORTS}{report_id}/{action + '/' if action else ''}"


def open_report(client, contract, year=2018):
    return client.post(REPORTS, {"contract": contract.pk, "year": year}, format="json")


def put_values(client, report_id, *entries):
    return client.put(report_url(report_id, "values"), {"values": list(entries)}, format="json")


def entry(value, indicator="cae_2.a", **extra):
    return {"indicator": indicator, "value": value, **extra}


@pytest.fixture
def draft_id(api_a, contract_a):
    """A's 2018 report, opened through the API, with cae_2.a = 950.5."""
    report_id = open_report(api_a, contract_a).json()["id"]
    assert put_values(api_a, report_id, entry("950.5", source="Observatoire")).status_code == 200
    return report_id


@pytest.fixture
def submitted_id(api_a, draft_id):
    assert api_a.post(report_url(draft_id, "submit")).status_code == 200
    return draft_id


# --- Opening a report -------------------------------------------------------------


def test_opening_a_report_creates_it_then_finds_the_same_one(api_a, contract_a):
    created = open_report(api_a, contract_a)

    assert created.status_code == 201
    assert created.json() == {
        "id": created.json()["id"],
        "contract": contract_a.pk,
        "contract_reference": "COTRI-FOURMIES",
        "territory_code": "59249",
        "territory_name": "Fourmies",
        "year": 2018,
        "status": "draft",
        "submitted_at": None,
        "reviewed_at": None,
        "rejection_reason": "",
        "version": 0,
        "values": [],
        "comment": "",
        "actions": [],
        "evidence": [],
    }
    again = open_report(api_a, contract_a)
    assert again.status_code == 200
    assert again.json() == created.json()
    assert ProgressReport.objects.filter(contract=contract_a).count() == 1


def test_the_creation_of_a_report_is_in_its_history_with_the_officer(api_a, officer_a, contract_a):
    report_id = open_report(api_a, contract_a).json()["id"]

    creation = ProgressReport.objects.get(pk=report_id).history.get()
    assert (creation.history_type, creation.history_user) == ("+", officer_a)


def test_the_officer_reads_their_reports_back_with_filters(api_a, contract_a, draft_id):
    open_report(api_a, contract_a, year=2019)

    listing = api_a.get(REPORTS, {"year": 2018, "status": "draft"})

    assert listing.status_code == 200
    assert listing.json()["count"] == 1
    assert [(r["id"], r["year"]) for r in listing.json()["results"]] == [(draft_id, 2018)]
    assert api_a.get(REPORTS, {"contract": contract_a.pk}).json()["count"] == 2
    assert api_a.get(REPORTS, {"status": "submitted"}).json()["count"] == 0
    detail = api_a.get(report_url(draft_id))
    assert detail.status_code == 200
    assert detail.json()["values"] == [
        {
            "indicator": "cae_2.a",
            "unit": "GWh",
            "value": "950.5",
            "source": "Observatoire",
            "comment": "",
            "justification": "",
            "status": "draft",
        }
    ]


def test_an_unknown_filter_of_the_report_list_is_refused(api_a):
    response = api_a.get(REPORTS, {"annee": 2018})

    assert response.status_code == 400
    assert response.json()["errors"] == {"annee": ["Paramètre inconnu."]}


# --- Entering values ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("950.5", "950.5"),
        (950.5, "950.5"),
        (950, "950"),
        ("950,5", "950.5"),  # French decimal comma (Indicator.check_value)
        ("1 234,5", "1234.5"),  # space as thousands separator
        ("1\u202f234,5", "1234.5"),  # narrow no-break space, as French locales print
        ("  950.50 ", "950.5"),
        ("0", "0"),
    ],
    ids=["string", "float", "integer", "comma", "space", "narrow-nbsp", "padded", "zero"],
)
def test_a_value_is_accepted_as_a_string_a_number_or_a_french_number(
    api_a, contract_a, sent, stored
):
    report_id = open_report(api_a, contract_a).json()["id"]

    response = put_values(api_a, report_id, entry(sent))

    assert response.status_code == 200
    assert [(v["indicator"], v["value"], v["status"]) for v in response.json()["values"]] == [
        ("cae_2.a", stored, "draft")
    ]
    assert IndicatorValue.objects.get(report_id=report_id).value == Decimal(stored)


def test_a_value_with_a_no_break_space_thousands_separator_is_accepted(api_a, contract_a):
    report_id = open_report(api_a, contract_a).json()["id"]

    response = put_values(api_a, report_id, entry("1\u00a0234,5"))

    assert response.status_code == 200
    assert response.json()["values"][0]["value"] == "1234.5"


def test_values_are_entered_with_their_source_and_comment_and_updated_in_place(
    api_a, officer_a, draft_id
):
    response = put_values(
        api_a,
        draft_id,
        entry("940", source="  Observatoire régional  ", comment="Hors industrie"),
        entry("12345.678", indicator="cae_3.a"),
    )

    assert response.status_code == 200
    assert [
        (v["indicator"], v["value"], v["source"], v["comment"]) for v in response.json()["values"]
    ] == [
        ("cae_2.a", "940", "Observatoire régional", "Hors industrie"),
        ("cae_3.a", "12345.678", "", ""),
    ]
    value = IndicatorValue.objects.get(report_id=draft_id, indicator__identifier="cae_2.a")
    assert (value.value, value.entered_by, value.territory.code, value.year) == (
        Decimal("940"),
        officer_a,
        "59249",
        2018,
    )
    assert IndicatorValue.objects.filter(report_id=draft_id).count() == 2
    assert [h.history_user for h in value.history.order_by("history_date")] == [
        officer_a,
        officer_a,
    ]


@pytest.mark.parametrize("blank", [None, "", "   "], ids=["null", "empty", "spaces"])
def test_a_null_or_empty_value_deletes_the_entered_value(api_a, officer_a, draft_id, blank):
    value = IndicatorValue.objects.get(report_id=draft_id)

    response = put_values(api_a, draft_id, entry(blank))

    assert response.status_code == 200
    assert response.json()["values"] == []
    assert not IndicatorValue.objects.filter(report_id=draft_id).exists()
    deletion = value.history.order_by("history_date").last()
    assert (deletion.history_type, deletion.history_user) == ("-", officer_a)


def test_deleting_a_value_that_was_never_entered_changes_nothing(api_a, draft_id):
    response = put_values(api_a, draft_id, entry(None, indicator="cae_1.a"))

    assert response.status_code == 200
    assert [v["indicator"] for v in response.json()["values"]] == ["cae_2.a"]


# --- Submitting -------------------------------------------------------------------


def test_submitting_marks_the_report_and_its_values_and_emails_the_staff(
    api_a, officer_a, staff, draft_id, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_a.post(report_url(draft_id, "submit"))

    assert response.status_code == 200
    assert response.json()["status"] == "submitted"
    assert response.json()["submitted_at"] is not None
    assert [v["status"] for v in response.json()["values"]] == ["submitted"]
    report = ProgressReport.objects.get(pk=draft_id)
    assert (report.status, report.submitted_by) == (ReportStatus.SUBMITTED, officer_a)
    assert mail.outbox[-1].to == ["agent@region.example"]
    assert "attend votre validation" in mail.outbox[-1].body


def test_an_empty_report_cannot_be_submitted(api_a, contract_a):
    report_id = open_report(api_a, contract_a).json()["id"]

    response = api_a.post(report_url(report_id, "submit"))

    assert response.status_code == 409  # the request is right, the report is empty
    assert response.json()["errors"] == {
        "non_field_errors": ["Le rapport ne contient aucune valeur : rien à soumettre."]
    }
    assert ProgressReport.objects.get(pk=report_id).status == ReportStatus.DRAFT


def test_submitted_values_are_not_published_before_validation(anonymous_api, submitted_id):
    response = anonymous_api.get("/api/v1/values/", {"territory_code": "59249"})

    assert response.status_code == 200
    assert response.json()["count"] == 0


# --- Staff review -------------------------------------------------------------------


def test_staff_validation_publishes_the_values_with_history_and_email(
    api_a,
    staff_api,
    anonymous_api,
    officer_a,
    staff,
    submitted_id,
    eager_tasks,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api.post(report_url(submitted_id, "validate"))

    assert response.status_code == 200
    assert response.json()["status"] == "validated"
    assert response.json()["reviewed_at"] is not None
    assert [v["status"] for v in response.json()["values"]] == ["validated"]
    published = anonymous_api.get(
        "/api/v1/values/", {"territory_code": "59249", "indicator": "cae_2.a", "year": 2018}
    ).json()
    assert published["count"] == 1
    assert {k: published["results"][0][k] for k in ("indicator", "year", "value", "source")} == {
        "indicator": "cae_2.a",
        "year": 2018,
        "value": "950.5",
        "source": "Observatoire",
    }
    assert published["results"][0]["validated_at"] is not None

    report = ProgressReport.objects.get(pk=submitted_id)
    trail = [(h.status, h.history_user) for h in report.history.order_by("history_date")]
    assert trail == [
        (ReportStatus.DRAFT, officer_a),  # opened
        (ReportStatus.DRAFT, officer_a),  # values saved (version + 1)
        (ReportStatus.SUBMITTED, officer_a),
        (ReportStatus.VALIDATED, staff),
    ]
    value = report.values.get()
    assert (value.status, value.validated_by) == (ValueStatus.VALIDATED, staff)
    assert [(h.status, h.history_user) for h in value.history.order_by("history_date")] == [
        (ValueStatus.DRAFT, officer_a),
        (ValueStatus.SUBMITTED, officer_a),
        (ValueStatus.VALIDATED, staff),
    ]
    assert mail.outbox[-1].to == ["referent@fourmies.example"]
    assert "est validé" in mail.outbox[-1].subject


@pytest.mark.parametrize(
    "body", [{}, {"reason": ""}, {"reason": "   "}], ids=["missing", "empty", "spaces"]
)
def test_a_rejection_requires_a_reason(staff_api, submitted_id, body):
    response = staff_api.post(report_url(submitted_id, "reject"), body, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == "Requête invalide : voir les messages par champ."
    assert list(response.json()["errors"]) == ["reason"]
    report = ProgressReport.objects.get(pk=submitted_id)
    assert (report.status, report.rejection_reason) == (ReportStatus.SUBMITTED, "")
    assert report.values.get().status == ValueStatus.SUBMITTED


def test_a_rejected_report_is_corrected_and_resubmitted_by_the_officer(
    api_a,
    staff_api,
    anonymous_api,
    officer_a,
    staff,
    submitted_id,
    eager_tasks,
    django_capture_on_commit_callbacks,
):
    reason = "Valeur en MWh ? Attendu : GWh."
    with django_capture_on_commit_callbacks(execute=True):
        rejected = staff_api.post(
            report_url(submitted_id, "reject"), {"reason": reason}, format="json"
        )

    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["rejection_reason"]) == ("rejected", reason)
    assert [v["status"] for v in rejected.json()["values"]] == ["rejected"]
    assert mail.outbox[-1].to == ["referent@fourmies.example"]
    assert reason in mail.outbox[-1].body
    # The officer sees the reason, corrects and resubmits.
    assert api_a.get(report_url(submitted_id)).json()["rejection_reason"] == reason
    corrected = put_values(api_a, submitted_id, entry("0,9505", source="Observatoire"))
    assert corrected.status_code == 200
    assert corrected.json()["status"] == "rejected"
    assert [(v["value"], v["status"]) for v in corrected.json()["values"]] == [("0.9505", "draft")]
    with django_capture_on_commit_callbacks(execute=True):
        resubmitted = api_a.post(report_url(submitted_id, "submit"))
    assert resubmitted.status_code == 200
    assert resubmitted.json()["status"] == "submitted"
    assert mail.outbox[-1].to == ["agent@region.example"]
    # Validated, the corrected value (only) is published.
    assert staff_api.post(report_url(submitted_id, "validate")).status_code == 200
    published = anonymous_api.get("/api/v1/values/", {"territory_code": "59249"}).json()
    assert [(v["indicator"], v["year"], v["value"]) for v in published["results"]] == [
        ("cae_2.a", 2018, "0.9505")
    ]
    report = ProgressReport.objects.get(pk=submitted_id)
    assert [(h.status, h.history_user) for h in report.history.order_by("history_date")] == [
        (ReportStatus.DRAFT, officer_a),  # opened
        (ReportStatus.DRAFT, officer_a),  # values saved
        (ReportStatus.SUBMITTED, officer_a),
        (ReportStatus.REJECTED, staff),
        (ReportStatus.REJECTED, officer_a),  # corrected values saved
        (ReportStatus.SUBMITTED, officer_a),
        (ReportStatus.VALIDATED, staff),
    ]
