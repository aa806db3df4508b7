"""Concurrent writes on one progress report (PostgreSQL, 20 threads, each with its
own connection): the optimistic version and the row locks let exactly one writer
through and answer the others with a French conflict, never a 500."""

import html
import re
from collections import Counter
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from contracts import imports, services
from contracts.models import ProgressReport, ReportStatus
from indicators.models import IndicatorValue
from tests.faults.conftest import active_contract, energy, officer_of, token_for
from tests.realservices import THREADS, all_at_once

pytestmark = [pytest.mark.fault, pytest.mark.postgres]

STALE = "modifié par quelqu'un d'autre"


@pytest.fixture
def fourmies_contract(staff, reference_data):
    from territories.models import Territory, TerritoryKind

    return active_contract(Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59249"))


@pytest.fixture
def officer(fourmies_contract):
    return officer_of(fourmies_contract.territory, "referent.fourmies")


def api_client(key: str) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def statuses(responses) -> Counter:
    return Counter(getattr(r, "status_code", repr(r)) for r in responses)


def test_twenty_saves_with_the_same_version_one_wins_nineteen_conflict(officer, fourmies_contract):
    report = services.open_report(fourmies_contract, 2018, officer)
    version = report.version
    key = token_for(officer)

    def put(index):
        return api_client(key).put(
            f"/api/v1/reports/{report.pk}/values/",
            {"values": [{"indicator": "cae_2.a", "value": str(500 + index)}], "version": version},
            format="json",
        )

    responses = all_at_once(put)

    assert statuses(responses) == {200: 1, 409: THREADS - 1}
    winner = next(i for i, r in enumerate(responses) if r.status_code == 200)
    for response in responses:
        if response.status_code == 409:
            assert STALE in response.json()["detail"]
    values = IndicatorValue.objects.filter(report=report, indicator=energy())
    assert [v.value for v in values] == [Decimal(500 + winner)]
    report.refresh_from_db()
    assert report.version == version + 1
    # One save in the history: the report's version bump and the value's creation.
    assert ProgressReport.history.filter(id=report.pk, version=version + 1).count() == 1
    assert IndicatorValue.history.filter(report_id=report.pk).count() == 1


def test_an_import_racing_saves_of_the_version_read_before_it_is_never_overwritten(
    officer, fourmies_contract
):
    """One thread imports a spreadsheet, nineteen save through the API with the version
    they all read before: a save may land before the import (which then writes over
    it), never after it; the imported value always stays."""
    report = services.open_report(fourmies_contract, 2018, officer)
    services.save_report_values(report, [services.ReportedValue(energy(), "900")], officer)
    version = ProgressReport.objects.get(pk=report.pk).version
    key = token_for(officer)
    upload = ";".join(imports.COLUMNS) + "\n59249;cae_2.a;2018;1234,5;GWh;ORECA;\n"

    def write(index):
        if index == 0:
            return imports.import_values(
                SimpleUploadedFile("valeurs.csv", upload.encode()), officer
            )
        return api_client(key).put(
            f"/api/v1/reports/{report.pk}/values/",
            {"values": [{"indicator": "cae_2.a", "value": str(500 + index)}], "version": version},
            format="json",
        )

    imported, *saves = all_at_once(write)

    assert (imported.errors, imported.updated) == ([], 1)
    answers = statuses(saves)
    assert set(answers) <= {200, 409}, answers
    assert answers[200] <= 1, answers
    assert all(STALE in r.json()["detail"] for r in saves if r.status_code == 409)
    assert IndicatorValue.objects.get(report=report).value == Decimal("1234.5")
    report.refresh_from_db()
    assert report.version == version + 1 + answers[200]
    assert ProgressReport.history.filter(id=report.pk, version=report.version).count() == 1


def test_twenty_submissions_of_one_report_submit_it_once(
    officer, fourmies_contract, staff, eager_tasks
):
    report = services.open_report(fourmies_contract, 2018, officer)
    services.save_report_values(report, [services.ReportedValue(energy(), "950")], officer)
    key = token_for(officer)
    mail.outbox.clear()

    responses = all_at_once(
        lambda index: api_client(key).post(f"/api/v1/reports/{report.pk}/submit/")
    )

    assert statuses(responses) == {200: 1, 409: THREADS - 1}
    assert {r.json()["status"] for r in responses if r.status_code == 200} == {"submitted"}
    assert all(
        "Passage impossible" in r.json()["detail"] for r in responses if r.status_code == 409
    )
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert ProgressReport.history.filter(id=report.pk, status=ReportStatus.SUBMITTED).count() == 1
    assert [message.to for message in mail.outbox] == [[staff.email]]


def test_twenty_openings_of_one_report_create_one_row(officer, fourmies_contract):
    key = token_for(officer)

    responses = all_at_once(
        lambda index: api_client(key).post(
            "/api/v1/reports/", {"contract": fourmies_contract.pk, "year": 2018}, format="json"
        )
    )

    answers = statuses(responses)
    print(f"\n[20 concurrent openings] answers {dict(answers)}")
    assert answers == {200: THREADS - 1, 201: 1}, answers  # exactly one created it
    assert sum(answers.values()) == THREADS
    report = ProgressReport.objects.get(contract=fourmies_contract, year=2018)
    assert {r.json()["id"] for r in responses} == {report.pk}
    assert ProgressReport.history.filter(id=report.pk).count() == 1


# --- The officer form: two browser sessions --------------------------------------------


def loaded_version(response) -> str:
    match = re.search(r'name="version" value="(\d*)"', response.content.decode())
    return match.group(1) if match else ""


def test_second_officer_posting_a_form_loaded_before_the_first_save_is_refused(
    fourmies_contract,
):
    first = officer_of(fourmies_contract.territory, "referent.fourmies")
    second = officer_of(fourmies_contract.territory, "referent2.fourmies")
    report = services.open_report(fourmies_contract, 2018, first)
    services.save_report_values(report, [services.ReportedValue(energy(), "900")], first)
    url = f"/espace/contrats/{fourmies_contract.pk}/rapports/2018/"
    field = f"valeur-{energy().pk}"
    browsers = [Client(), Client()]
    browsers[0].force_login(first)
    browsers[1].force_login(second)

    versions = [loaded_version(browser.get(url)) for browser in browsers]
    saved = browsers[0].post(url, {field: "800", "version": versions[0]})
    refused = browsers[1].post(url, {field: "700", "version": versions[1]})

    assert versions == ["1", "1"]
    assert saved.status_code == 302
    assert refused.status_code == 400
    assert STALE in html.unescape(refused.content.decode())
    assert IndicatorValue.objects.get(report=report).value == 800


def test_two_officers_starting_a_new_report_at_once_do_not_overwrite_each_other(
    fourmies_contract,
):
    first = officer_of(fourmies_contract.territory, "referent.fourmies")
    second = officer_of(fourmies_contract.territory, "referent2.fourmies")
    url = f"/espace/contrats/{fourmies_contract.pk}/rapports/2019/"
    field = f"valeur-{energy().pk}"
    browsers = [Client(), Client()]
    browsers[0].force_login(first)
    browsers[1].force_login(second)

    versions = [loaded_version(browser.get(url)) for browser in browsers]
    saved = browsers[0].post(url, {field: "800", "version": versions[0]})
    refused = browsers[1].post(url, {field: "700", "version": versions[1]})

    assert saved.status_code == 302
    assert refused.status_code == 400
    assert STALE in html.unescape(refused.content.decode())
    assert IndicatorValue.objects.get(report__year=2019).value == 800
