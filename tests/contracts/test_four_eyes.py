"""Four eyes: whoever entered or submitted a report never validates it; a correction
of a published value by someone involved in it is flagged as self-corrected."""

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from contracts import services
from contracts.models import ReportStatus
from tests.contracts.factories import ContractFactory, TargetFactory, published, reported, signable
from tests.factories import UserFactory

FOUR_EYES = "un autre agent doit le valider (principe des quatre yeux)"


def text(response) -> str:
    html = re.sub(r"<[^>]+>", " ", response.content.decode()).replace("&#x27;", "'")
    return re.sub(r"[\s\u00a0\u202f]+", " ", html)


@pytest.fixture
def contract(staff):
    contract = ContractFactory()
    TargetFactory(contract=contract)
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    return contract


@pytest.fixture
def second_staff(db):
    return UserFactory(username="agent.ademe", is_staff=True)


@pytest.fixture
def filled_by_staff(contract, staff):
    """A report the Region's agent entered and submitted on the collectivity's behalf."""
    report = reported(contract, 2018, {"cae_2.a": "250"}, staff)
    return services.submit_report(report, staff)


def test_staff_cannot_validate_a_report_they_entered(filled_by_staff, staff):
    with pytest.raises(ValidationError, match="principe des quatre yeux"):
        services.validate_report(filled_by_staff, staff)

    filled_by_staff.refresh_from_db()
    assert filled_by_staff.status == ReportStatus.SUBMITTED


def test_a_second_staff_member_validates_a_staff_entered_report(filled_by_staff, second_staff):
    services.validate_report(filled_by_staff, second_staff)

    filled_by_staff.refresh_from_db()
    assert filled_by_staff.status == ReportStatus.VALIDATED
    assert filled_by_staff.reviewed_by == second_staff


def test_staff_who_changed_one_value_cannot_validate(contract, officer, staff):
    report = reported(contract, 2018, {"cae_2.a": "250"}, officer)
    services.save_report_values(
        report, [services.ReportedValue(report.values.get().indicator, "251")], staff
    )
    reported(contract, 2018, {"cae_2.a": "250"}, officer)  # the officer writes last
    services.submit_report(report, officer)

    assert services.validation_refusal(report, staff)


def test_the_queue_marks_the_reports_an_agent_entered_for_another_agent(
    client, filled_by_staff, staff, second_staff, contract, officer
):
    by_officer = services.submit_report(
        reported(contract, 2019, {"cae_2.a": "245"}, officer), officer
    )
    marker = "saisi ou soumis par vous : un autre agent le valide"

    assert services.reports_edited_by([filled_by_staff, by_officer], staff) == {filled_by_staff.pk}
    client.force_login(staff)
    page = client.get(reverse("staff_reports")).content.decode()
    assert page.count(f"/gestion/rapports/{by_officer.pk}/") == 1  # both listed,
    assert page.count(marker) == 1  # one marked
    client.force_login(second_staff)
    assert marker not in client.get(reverse("staff_reports")).content.decode()


def test_the_same_person_may_reject(filled_by_staff, staff):
    """Four eyes guards publication: a rejection publishes nothing."""
    services.reject_report(filled_by_staff, staff, "Valeur à revoir")

    filled_by_staff.refresh_from_db()
    assert filled_by_staff.status == ReportStatus.REJECTED


def test_the_staff_page_disables_validation_and_says_why(client, filled_by_staff, staff):
    client.force_login(staff)
    url = reverse("staff_report", args=[filled_by_staff.pk])

    page = client.get(url)
    assert FOUR_EYES in text(page)
    assert re.search(r"<button[^>]*disabled", page.content.decode())

    response = client.post(url, {"action": "validate", "confirm": "on"})

    assert response.status_code == 403
    assert FOUR_EYES in text(response)
    filled_by_staff.refresh_from_db()
    assert filled_by_staff.status == ReportStatus.SUBMITTED


def test_validation_on_the_staff_page_asks_for_confirmation(client, filled_by_staff, second_staff):
    client.force_login(second_staff)
    url = reverse("staff_report", args=[filled_by_staff.pk])

    response = client.post(url, {"action": "validate"})

    assert response.status_code == 400
    assert "Cochez la case de confirmation" in text(response)
    filled_by_staff.refresh_from_db()
    assert filled_by_staff.status == ReportStatus.SUBMITTED

    response = client.post(url, {"action": "validate", "confirm": "on"})

    assert response.status_code == 302
    filled_by_staff.refresh_from_db()
    assert filled_by_staff.status == ReportStatus.VALIDATED


def test_the_api_answers_403_in_french(filled_by_staff, staff):
    api = APIClient()
    api.force_authenticate(staff)

    response = api.post(f"/api/v1/reports/{filled_by_staff.pk}/validate/")

    assert response.status_code == 403
    assert FOUR_EYES in response.json()["detail"]
    filled_by_staff.refresh_from_db()
    assert filled_by_staff.status == ReportStatus.SUBMITTED


# --- Corrections ------------------------------------------------------------------


@pytest.fixture
def value(contract, officer, staff):
    report = published(contract, 2018, {"cae_2.a": "250"}, officer, staff)
    return report.values.get()


def test_the_validator_correcting_alone_is_flagged_self_corrected(value, staff):
    services.correct_validated_value(value, "245", "Erreur de saisie", staff)

    value.refresh_from_db()
    assert value.self_corrected
    assert value.corrected_by == staff
    assert value.corrected_at is not None
    assert value.history.first().self_corrected  # in the history too


def test_a_correction_by_a_second_person_is_not_self_corrected(value, second_staff):
    services.correct_validated_value(value, "245", "Erreur de saisie", second_staff)

    value.refresh_from_db()
    assert value.corrected_by == second_staff
    assert not value.self_corrected


def test_the_public_page_says_the_value_was_corrected(client, contract, value, staff):
    services.correct_validated_value(value, "245", "Erreur de saisie", staff)
    value.refresh_from_db()
    services.activate_contract(contract, staff, activated_on=date(2017, 10, 24))

    page = text(client.get(reverse("contract", args=[contract.pk])))

    day = value.corrected_at.astimezone().strftime("%d/%m/%Y")
    assert f"valeur corrigée le {day} (sans second contrôle)" in page


def test_the_values_api_says_the_value_was_corrected(client, value, staff):
    services.correct_validated_value(value, "245", "Erreur de saisie", staff)

    response = client.get("/api/v1/values/", {"indicator": "cae_2.a", "year": 2018})

    [row] = [r for r in response.json()["results"] if r["id"] == value.pk]
    assert row["corrected_at"] is not None
    assert row["self_corrected"] is True
