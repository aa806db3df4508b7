"""The officer space end to end: log in, fill, submit, get rejected, correct,
resubmit, get validated — and who may do what."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from contracts import services
from contracts.models import Contract, ProgressReport, ReportStatus
from contracts.reporting import late_reports
from indicators.models import Aggregate, Indicator, IndicatorValue, ValueStatus
from territories.models import OfficerAssignment, Territory, TerritoryKind
from tests.contracts.factories import ContractFactory, TargetFactory, signable
from tests.factories import UserFactory

PASSWORD = "mot-de-passe-solide-2026"


@pytest.fixture
def staff(db):
    return UserFactory(username="agent.region", email="agent@region.example", is_staff=True)


def contract_of(territory, staff, reference):
    contract = ContractFactory(territory=territory, reference=reference)
    TargetFactory(contract=contract)  # cae_2.a: 1000 (2015) → 900 (2020)
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    services.activate_contract(contract, staff, activated_on=contract.signed_on)
    return contract


@pytest.fixture
def fourmies_contract(staff, fourmies):
    return contract_of(fourmies, staff, "COTRI-FOURMIES")


@pytest.fixture
def other_contract(staff):
    grande_synthe = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59271")
    return contract_of(grande_synthe, staff, "COTRI-GRANDE-SYNTHE")


@pytest.fixture
def officer(fourmies):
    user = UserFactory(username="referent.fourmies", email="referent@fourmies.example")
    OfficerAssignment.objects.create(user=user, territory=fourmies)
    return user


def report_url(contract, year=2018):
    return reverse("officer:report", args=[contract.pk, year])


def value_field(identifier):
    return f"valeur-{Indicator.objects.get(identifier=identifier).pk}"


def test_the_whole_path_from_draft_to_published_values(
    client, officer, staff, fourmies_contract, eager_tasks, django_capture_on_commit_callbacks
):
    # The officer logs in and lands on their space.
    response = client.post(reverse("login"), {"username": officer.username, "password": PASSWORD})
    assert response.url == reverse("officer:dashboard")
    assert "COTRI-FOURMIES" in client.get(reverse("officer:dashboard")).content.decode()

    # Fills a draft (French number) then submits.
    response = client.post(
        report_url(fourmies_contract), {value_field("cae_2.a"): "1 234,5", "save": ""}
    )
    assert response.status_code == 302
    report = ProgressReport.objects.get(contract=fourmies_contract, year=2018)
    assert (report.status, report.values.get().value) == (ReportStatus.DRAFT, Decimal("1234.5"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            report_url(fourmies_contract), {value_field("cae_2.a"): "1 234,5", "submit": ""}
        )
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert mail.outbox[-1].to == ["agent@region.example"]
    assert "attend votre validation" in mail.outbox[-1].body

    # Staff rejects with a reason; the officer is told and sees it.
    client.force_login(staff)
    staff_url = reverse("staff_report", args=[report.pk])
    assert "1\xa0234,5" in client.get(staff_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(staff_url, {"action": "reject", "reason": "Valeur en MWh ? Attendu : GWh."})
    report.refresh_from_db()
    assert (report.status, report.rejection_reason) == (
        ReportStatus.REJECTED,
        "Valeur en MWh ? Attendu : GWh.",
    )
    assert mail.outbox[-1].to == ["referent@fourmies.example"]
    assert "Valeur en MWh ? Attendu : GWh." in mail.outbox[-1].body
    assert mail.outbox[-1].alternatives[0][1] == "text/html"

    # The officer corrects and resubmits.
    client.force_login(officer)
    assert (
        "Valeur en MWh ? Attendu : GWh."
        in client.get(reverse("officer:dashboard")).content.decode()
    )
    client.post(report_url(fourmies_contract), {value_field("cae_2.a"): "123,45", "submit": ""})
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED

    # Staff validates: values are published, in history, and the aggregates follow.
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(staff_url, {"action": "validate", "confirm": "on"})
    value = IndicatorValue.objects.get(report=report)
    assert (value.status, value.value, value.validated_by) == (
        ValueStatus.VALIDATED,
        Decimal("123.45"),
        staff,
    )
    assert [h.history_user for h in value.history.order_by("history_date")][-1] == staff
    assert {h.value for h in value.history.all()} == {Decimal("1234.5"), Decimal("123.45")}
    nord = Aggregate.objects.get(
        scope__code="59", scope__kind="departement", indicator__identifier="cae_2.a", year=2018
    )
    assert nord.value == Decimal("123.45")
    assert "est validé" in mail.outbox[-1].subject


def test_a_derived_indicator_is_shown_computed_not_editable(client, officer, fourmies_contract):
    client.force_login(officer)
    client.post(
        report_url(fourmies_contract),
        {value_field("cae_2.a"): "250", value_field("cae_3.a"): "25000", "save": ""},
    )

    html = client.get(report_url(fourmies_contract)).content.decode()

    assert value_field("cae_3.b") not in html
    assert "10,0" in html  # 25 000 MWh / 1000 / 250 GWh × 100
    assert "Calculé à partir de ses composantes" in html


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("douze", "n&#x27;est pas un nombre"),
        ("NaN", "nombre fini"),
        ("inf", "nombre fini"),
        ("-3", "hors des bornes plausibles"),
        ("99999999999", "hors des bornes plausibles"),
    ],
)
def test_bad_numbers_are_refused_next_to_the_field_and_nothing_is_saved(
    client, officer, fourmies_contract, typed, message
):
    client.force_login(officer)

    response = client.post(
        report_url(fourmies_contract),
        {value_field("cae_2.a"): typed, value_field("cae_1.a"): "50", "save": ""},
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "rien n'a été enregistré" in html
    assert message in html
    assert 'aria-invalid="true"' in html
    assert not ProgressReport.objects.exists()
    assert not IndicatorValue.objects.exists()


def test_a_double_submit_is_a_no_op(client, officer, fourmies_contract):
    client.force_login(officer)
    data = {value_field("cae_2.a"): "250", "submit": ""}
    client.post(report_url(fourmies_contract), data)
    history = ProgressReport.history.count()

    response = client.post(report_url(fourmies_contract), data, follow=True)

    assert "déjà soumis : rien n&#x27;a changé" in response.content.decode()
    assert ProgressReport.history.count() == history
    assert IndicatorValue.objects.count() == 1


@pytest.mark.parametrize("status", ["submitted", "validated"])
def test_a_submitted_or_validated_report_cannot_be_edited(
    client, officer, staff, fourmies_contract, status
):
    client.force_login(officer)
    client.post(report_url(fourmies_contract), {value_field("cae_2.a"): "250", "submit": ""})
    report = ProgressReport.objects.get()
    if status == "validated":
        services.validate_report(report, staff)

    response = client.post(
        report_url(fourmies_contract), {value_field("cae_2.a"): "999", "save": ""}, follow=True
    )

    assert "n&#x27;est plus modifiable" in response.content.decode()
    assert IndicatorValue.objects.get().value == Decimal("250")
    html = client.get(report_url(fourmies_contract)).content.decode()
    assert value_field("cae_2.a") not in html  # no input any more


def test_a_post_without_csrf_token_is_refused(officer, fourmies_contract):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)

    response = client.post(
        report_url(fourmies_contract), {value_field("cae_2.a"): "250", "save": ""}
    )

    assert response.status_code == 403
    assert not IndicatorValue.objects.exists()


def test_the_officer_dashboard_lists_years_statuses_and_deadlines(
    client, officer, fourmies_contract
):
    client.force_login(officer)
    client.post(report_url(fourmies_contract, 2017), {value_field("cae_2.a"): "250", "save": ""})

    html = client.get(reverse("officer:dashboard")).content.decode()

    for year in range(2015, 2021):  # baseline year 2015 → end of contract 2020
        assert report_url(fourmies_contract, year) in html
    assert "brouillon" in html
    assert "30 juin 2019" in html  # deadline of the 2018 report


def test_the_officer_dashboard_flags_the_years_past_their_deadline(
    client, officer, staff, fourmies_contract
):
    """Today (December 2026) every year of a 2017–2020 contract is past its deadline:
    those not handed in are flagged late, as on the staff late list; a draft is late
    too; a submitted year and an optional baseline year are not."""
    client.force_login(officer)
    client.post(report_url(fourmies_contract, 2017), {value_field("cae_2.a"): "250", "save": ""})
    client.post(report_url(fourmies_contract, 2018), {value_field("cae_2.a"): "240", "submit": ""})

    html = client.get(reverse("officer:dashboard")).content.decode()
    rows = {
        int(year): re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))
        for year, row in re.findall(r'<tr>\s*<th scope="row">(\d{4})</th>(.*?)</tr>', html, re.S)
    }

    assert "en retard" in rows[2017]  # a draft past its deadline
    assert "en retard" in rows[2019]  # nothing started
    assert "en retard" not in rows[2018]  # submitted
    assert "en retard" not in rows[2015]  # a baseline year before the start: optional
    assert [year for year, row in rows.items() if "en retard" in row] == [
        late.year for late in late_reports(date.today()) if late.contract == fourmies_contract
    ]


def test_the_status_line_does_not_offer_a_year_already_handed_in(
    client, officer, staff, fourmies_contract
):
    client.force_login(officer)
    assert "année à renseigner : 2020" in client.get(reverse("officer:dashboard")).content.decode()

    client.post(report_url(fourmies_contract, 2020), {value_field("cae_2.a"): "230", "submit": ""})
    services.validate_report(ProgressReport.objects.get(year=2020), staff)

    assert "année à renseigner" not in client.get(reverse("officer:dashboard")).content.decode()


# --- Permission matrix ----------------------------------------------------------------


def import_for(client, contract):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = (
        "code_territoire;indicateur;annee;valeur;unite;source;commentaire\n"
        f"{contract.territory.code};cae_2.a;2018;250;GWh;;\n"
    ).encode()
    upload = SimpleUploadedFile("valeurs.csv", content, content_type="text/csv")
    return client.post(reverse("officer:import"), {"file": upload})


ACTIONS = {
    "view": lambda client, contract: client.get(report_url(contract)),
    "edit": lambda client, contract: client.post(report_url(contract), {"save": ""}),
    "submit": lambda client, contract: client.post(report_url(contract), {"submit": ""}),
    "import": import_for,
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize(
    ("role", "whose", "expected"),
    [
        ("officer", "own", {200, 302, 400}),
        ("officer", "other", {404}),
        ("staff", "own", {200, 302, 400}),
        ("staff", "other", {200, 302, 400}),
        ("anonymous", "own", {"login"}),
        ("anonymous", "other", {"login"}),
    ],
)
def test_permission_matrix(
    client, officer, staff, fourmies_contract, other_contract, action, role, whose, expected
):
    if role == "officer":
        client.force_login(officer)
    elif role == "staff":
        client.force_login(staff)
    contract = fourmies_contract if whose == "own" else other_contract

    response = ACTIONS[action](client, contract)

    if expected == {"login"}:
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    elif action == "import" and role == "officer" and whose == "other":
        assert "territoire non attribué" in response.content.decode()  # the whole file refused
    else:
        assert response.status_code in expected
    if response.status_code == 404:
        assert other_contract.reference not in response.content.decode()
        assert not ProgressReport.objects.filter(contract=other_contract).exists()


def test_the_dashboard_of_an_officer_only_shows_their_contracts(
    client, officer, fourmies_contract, other_contract
):
    client.force_login(officer)
    html = client.get(reverse("officer:dashboard")).content.decode()
    assert "COTRI-FOURMIES" in html
    assert "COTRI-GRANDE-SYNTHE" not in html


def test_querysets_scope_officers_to_their_territories(
    officer, staff, fourmies_contract, other_contract
):
    assert list(Contract.objects.reportable_by(officer)) == [fourmies_contract]
    assert set(Contract.objects.reportable_by(staff)) == {fourmies_contract, other_contract}
    from django.contrib.auth.models import AnonymousUser

    assert not Contract.objects.reportable_by(AnonymousUser()).exists()


@pytest.mark.parametrize("url_name", ["staff_reports", "staff_dashboard"])
def test_officers_cannot_open_staff_pages(client, officer, url_name):
    client.force_login(officer)
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_officers_cannot_validate(client, officer, fourmies_contract):
    client.force_login(officer)
    client.post(report_url(fourmies_contract), {value_field("cae_2.a"): "250", "submit": ""})
    report = ProgressReport.objects.get()

    client.post(reverse("staff_report", args=[report.pk]), {"action": "validate", "confirm": "on"})

    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
