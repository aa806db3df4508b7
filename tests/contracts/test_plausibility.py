"""Plausibility checks: a value far from the previous validated one needs a
justification before its report is submitted (form, import and API alike), and the
reviewer sees the change in %."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from contracts import imports, services
from contracts.models import ReportStatus
from indicators.models import Indicator
from indicators.plausibility import FindingKind, check_plausibility, format_change
from tests.contracts.factories import ContractFactory, TargetFactory, published, reported, signable
from tests.factories import UserFactory


def text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'").replace("&quot;", '"')
    return re.sub(r"[\s\u00a0\u202f]+", " ", html)


def plain(message: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", message)


@pytest.fixture
def contract(staff):
    contract = ContractFactory()
    TargetFactory(contract=contract)
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    return contract


@pytest.fixture
def last_year(contract, officer, staff):
    """2018 published: consumption 100 GWh."""
    return published(contract, 2018, {"cae_2.a": "100"}, officer, staff)


def energy():
    return Indicator.objects.get(identifier="cae_2.a")


# --- The rule (indicators.plausibility) -------------------------------------------


def test_the_catalogue_is_seeded_with_bounds(db):
    assert energy().max_change_percent == 30
    assert Indicator.objects.get(identifier="tri_amenagements_cyclables").is_cumulative


def test_a_hundredfold_jump_is_flagged_with_its_change(db):
    finding = check_plausibility(energy(), Decimal(100), Decimal(10000), 2020)

    assert finding.kind == FindingKind.CHANGE_BEYOND_BOUND
    assert finding.change == Decimal(9900)
    assert plain(finding.message) == (
        "+9 900 % par rapport à 2020 (au-delà de ±30 %), justification requise"
    )


def test_a_change_within_the_bound_is_plausible(db):
    assert check_plausibility(energy(), Decimal(100), Decimal(125), 2020) is None


def test_a_cumulative_count_that_decreases_is_flagged(db):
    lanes = Indicator.objects.get(identifier="tri_amenagements_cyclables")

    finding = check_plausibility(lanes, Decimal(40), Decimal(39), 2020)

    assert finding.kind == FindingKind.CUMULATIVE_DECREASE
    assert "un cumul ne baisse pas" in finding.message


def test_a_zero_where_there_was_a_value_is_always_flagged(db):
    lanes = Indicator.objects.get(identifier="tri_points_recharge_ve")  # no change bound

    assert check_plausibility(lanes, Decimal(12), Decimal(0), 2020).kind == (
        FindingKind.ZERO_AFTER_VALUE
    )


def test_without_a_previous_value_there_is_nothing_to_flag(db):
    assert check_plausibility(energy(), None, Decimal(10000)) is None


def test_changes_read_in_french():
    assert plain(format_change(Decimal("-35.4"))) == "\u2212" + "35 %"


# --- Submission -------------------------------------------------------------------


def test_a_draft_with_an_implausible_value_saves_but_cannot_be_submitted(
    contract, last_year, officer
):
    report = reported(contract, 2019, {"cae_2.a": "10000"}, officer)

    with pytest.raises(ValidationError) as excinfo:
        services.submit_report(report, officer)

    [message] = excinfo.value.message_dict["cae_2.a"]
    assert "+9 900 % par rapport à 2018" in plain(message)
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT
    assert report.values.get().value == Decimal(10000)


def test_a_justified_implausible_value_is_submitted(contract, last_year, officer):
    report = reported(contract, 2019, {"cae_2.a": "10000"}, officer, {"cae_2.a": "Nouvelle usine"})

    services.submit_report(report, officer)

    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


def test_the_form_asks_for_the_justification_next_to_the_value(
    client, contract, last_year, officer
):
    client.force_login(officer)
    url = reverse("officer:report", args=[contract.pk, 2019])
    key = energy().pk

    response = client.post(url, {f"valeur-{key}": "10000", "submit": "1"})

    assert response.status_code == 400
    page = text(response)
    assert "+9 900 % par rapport à 2018" in page
    assert "justification requise" in page
    assert f'id="id_justification-{key}-erreur"' in response.content.decode()
    assert not contract.reports.filter(year=2019, status=ReportStatus.SUBMITTED).exists()

    response = client.post(
        url,
        {f"valeur-{key}": "10000", f"justification-{key}": "Nouvelle usine", "submit": "1"},
    )

    assert response.status_code == 302
    assert contract.reports.get(year=2019).status == ReportStatus.SUBMITTED


def test_the_import_lists_the_lines_to_justify(contract, last_year, officer):
    rows = (
        "code_territoire,indicateur,annee,valeur,unite,source,commentaire,justification\n"
        "59249,cae_2.a,2019,10000,GWh,,,\n"
    )

    result = imports.import_values(SimpleUploadedFile("valeurs.csv", rows.encode()), officer)

    assert result.ok
    assert any(
        "ligne 2 : cae_2.a +9 900 % par rapport à 2018" in plain(warning)
        and "justification requise" in warning
        for warning in result.warnings
    ), result.warnings


def test_the_import_stores_the_justification(contract, last_year, officer):
    rows = (
        "code_territoire,indicateur,annee,valeur,unite,source,commentaire,justification\n"
        "59249,cae_2.a,2019,10000,GWh,,,Nouvelle usine\n"
    )

    result = imports.import_values(SimpleUploadedFile("valeurs.csv", rows.encode()), officer)

    assert result.ok
    assert not any("justification" in w for w in result.warnings)
    report = contract.reports.get(year=2019)
    assert report.values.get().justification == "Nouvelle usine"
    services.submit_report(report, officer)


def test_the_api_refuses_the_submission_with_a_message_per_value(contract, last_year, officer):
    api = APIClient()
    api.force_authenticate(officer)
    report = reported(contract, 2019, {"cae_2.a": "10000"}, officer)
    url = f"/api/v1/reports/{report.pk}/"

    response = api.post(url + "submit/")

    assert response.status_code == 400
    assert "+9 900 % par rapport à 2018" in plain(response.json()["errors"]["cae_2.a"][0])

    response = api.put(
        url + "values/",
        {"values": [{"indicator": "cae_2.a", "value": "10000", "justification": "Usine"}]},
        format="json",
    )
    assert response.json()["values"][0]["justification"] == "Usine"
    assert api.post(url + "submit/").status_code == 200


def test_the_reviewer_sees_the_change_and_the_justification(client, contract, last_year, officer):
    report = reported(contract, 2019, {"cae_2.a": "10000"}, officer, {"cae_2.a": "Nouvelle usine"})
    services.submit_report(report, officer)
    client.force_login(UserFactory(username="agent.ademe", is_staff=True))

    page = text(client.get(reverse("staff_report", args=[report.pk])))

    assert "+9 900 %" in page
    assert "Hors borne de plausibilité" in page
    assert "Justification : Nouvelle usine" in page


def test_the_review_page_shows_the_previous_computed_share(client, contract, officer, staff):
    published(contract, 2018, {"cae_2.a": "100", "cae_3.a": "10000"}, officer, staff)
    report = reported(contract, 2019, {"cae_2.a": "100", "cae_3.a": "12000"}, officer)
    services.submit_report(report, officer)
    client.force_login(UserFactory(username="agent.ademe", is_staff=True))

    page = text(client.get(reverse("staff_report", args=[report.pk])))

    # cae_3.b = cae_3.a / 1000 / cae_2.a × 100: 10 % in 2018, 12 % now (+20 %).
    share = re.search(r"Part de la production d'énergie renouvelable[^|]*?\(%\)(.{0,80})", page)
    assert share, page
    assert share.group(1).startswith(" 12,0 10,0 (2018) +20 %")


def test_staff_set_the_bounds_in_the_admin(client, db):
    client.force_login(UserFactory(username="admin.test", is_staff=True, is_superuser=True))
    url = reverse("admin:indicators_indicator_change", args=[energy().pk])

    page = client.get(url).content.decode()

    assert "annuelle plausible (± %)" in page
    assert 'name="is_cumulative"' in page
