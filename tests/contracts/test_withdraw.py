"""An officer (or whoever submitted) takes a submitted report back before review."""

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from contracts import services
from contracts.models import ReportStatus
from indicators.models import ValueStatus
from territories.models import OfficerAssignment, Territory, TerritoryKind
from tests.contracts.factories import ContractFactory, TargetFactory, reported, signable
from tests.factories import UserFactory


@pytest.fixture
def submitted(officer, staff):
    contract = ContractFactory()
    TargetFactory(contract=contract)
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    report = reported(contract, 2018, {"cae_2.a": "250"}, officer)
    return services.submit_report(report, officer)


@pytest.fixture
def other_officer(db):
    user = UserFactory(username="referent.arras")
    territory = Territory.objects.exclude(kind=TerritoryKind.COMMUNE, code="59249").filter(
        kind=TerritoryKind.EPCI
    )[0]
    OfficerAssignment.objects.create(user=user, territory=territory)
    return user


def test_the_officer_withdraws_a_submitted_report_to_a_draft(client, submitted, officer):
    client.force_login(officer)
    url = reverse("officer:withdraw", args=[submitted.pk])

    confirm = client.get(url)
    assert "Oui, retirer le rapport" in confirm.content.decode()

    response = client.post(url)

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.DRAFT
    assert submitted.submitted_by is None
    assert submitted.values.get().status == ValueStatus.DRAFT
    latest = submitted.history.first()
    assert (latest.history_user, latest.history_change_reason) == (officer, "Retiré avant examen")


def test_the_report_page_offers_to_withdraw(client, submitted, officer):
    client.force_login(officer)

    html = client.get(reverse("officer:report", args=[submitted.contract_id, 2018])).content
    assert reverse("officer:withdraw", args=[submitted.pk]) in html.decode()


@pytest.mark.parametrize("status", ["draft", "validated"])
def test_only_a_submitted_report_is_withdrawn(submitted, officer, staff, status):
    if status == "draft":
        services.withdraw_report(submitted, officer)
    else:
        services.validate_report(submitted, staff)

    with pytest.raises(ValidationError, match="Passage impossible"):
        services.withdraw_report(submitted, officer)


def test_a_reviewer_who_did_not_submit_cannot_withdraw(submitted, staff):
    with pytest.raises(ValidationError, match="Seuls la personne qui l'a soumis"):
        services.withdraw_report(submitted, staff)


def test_another_territorys_officer_gets_a_404(client, submitted, other_officer):
    client.force_login(other_officer)

    response = client.post(reverse("officer:withdraw", args=[submitted.pk]))

    assert response.status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.SUBMITTED


def test_the_api_withdraws(submitted, officer, other_officer):
    api = APIClient()
    api.force_authenticate(other_officer)
    url = f"/api/v1/reports/{submitted.pk}/withdraw/"
    assert api.post(url).status_code == 404

    api.force_authenticate(officer)
    response = api.post(url)

    assert response.status_code == 200
    assert response.json()["status"] == "draft"
    assert re.search("brouillon|draft", response.json()["status"])


def test_the_dashboard_offers_to_withdraw_a_submitted_report(client, submitted, officer):
    client.force_login(officer)

    html = client.get(reverse("officer:dashboard")).content.decode()

    assert reverse("officer:withdraw", args=[submitted.pk]) in html
