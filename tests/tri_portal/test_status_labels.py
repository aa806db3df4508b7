"""No raw status value (the English word stored in the database) reaches a page: every
page a visitor, an officer or an agent reaches shows the French label. CSS classes and
other attributes may carry the value; the visible text never does."""

import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from contracts import services
from contracts.models import Contract, ContractStatus, ProgressReport, ReportStatus
from indicators.models import Indicator
from indicators.trajectory import TrackStatus
from territories.models import Territory, TerritoryKind
from tests.contracts.factories import ContractFactory, signable
from tests.pages import visible_text

RAW_STATUSES = sorted(
    {*ContractStatus.values, *ReportStatus.values, *(status.value for status in TrackStatus)}
)
RAW_STATUS = re.compile(rf"\b({'|'.join(RAW_STATUSES)})\b")


def test_the_guard_knows_every_status_of_the_brief():
    assert set(RAW_STATUSES) >= {
        "draft", "submitted", "validated", "rejected", "signed", "active",
        "completed", "terminated", "on_track", "late", "no_data",
    }  # fmt: skip


@pytest.fixture
def every_status(demo_recomputed):
    """The demo (six completed contracts, validated reports) plus what it lacks: an
    active contract, a signed one whose reports are rejected, draft (late) and
    submitted."""
    users = {user.username: user for user in get_user_model().objects.all()}
    region, ademe = users["agent.region"], users["agent.ademe"]
    lens = Contract.objects.get(reference="COTRI-2017-LENS-LIEVIN")
    Contract.objects.filter(pk=lens.pk).update(status=ContractStatus.ACTIVE)
    fourmies = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59249")
    contract = ContractFactory(
        territory=fourmies, start_date=date(2023, 3, 1), end_date=date(2026, 2, 28)
    )
    services.sign_contract(signable(contract), region, signed_on=date(2023, 2, 1))
    energy = Indicator.objects.get(identifier="cae_2.a")
    officer = users["referent.fourmies"]
    reports = {}
    for year in (2023, 2024, 2025):
        report = services.open_report(contract, year, officer)
        services.save_report_values(report, [services.ReportedValue(energy, "250")], officer)
        reports[year] = report
    services.submit_report(reports[2023], officer)
    services.reject_report(reports[2023], ademe, "Valeur à vérifier.")
    services.submit_report(reports[2025], officer)
    assert {r.status for r in ProgressReport.objects.filter(contract=contract)} == {
        ReportStatus.REJECTED, ReportStatus.DRAFT, ReportStatus.SUBMITTED
    }  # fmt: skip
    return {"contract": contract, "reports": reports, "users": users, "territory": fourmies}


def public_urls(every_status) -> list[str]:
    contracts = Contract.objects.all()
    territories = Territory.objects.filter(contracts__in=contracts).distinct()
    return [
        reverse("home"),
        reverse("contracts"),
        *(reverse("contract", args=[c.pk]) for c in contracts),
        *(reverse("territory", args=[t.slug]) for t in territories),
        reverse("regional_dashboard"),
        reverse("map"),
        reverse("open_data"),
        reverse("legal_notice"),
        reverse("privacy"),
        reverse("accessibility"),
        reverse("method"),
    ]


def officer_urls(every_status) -> list[str]:
    contract = every_status["contract"]
    demo_contract = Contract.objects.get(reference="COTRI-2017-FOURMIES")
    return [
        reverse("officer:dashboard"),
        *(reverse("officer:report", args=[contract.pk, year]) for year in every_status["reports"]),
        reverse("officer:report", args=[contract.pk, 2026]),  # not started yet
        reverse("officer:report", args=[demo_contract.pk, 2018]),  # validated
        reverse("officer:import"),
        reverse("api_tokens"),
    ]


def staff_urls(every_status) -> list[str]:
    return [
        reverse("staff_dashboard"),
        reverse("staff_reports"),
        *(reverse("staff_report", args=[r.pk]) for r in every_status["reports"].values()),
        reverse(
            "staff_report",
            args=[ProgressReport.objects.filter(status=ReportStatus.VALIDATED).first().pk],
        ),
    ]


# The open-data page's data dictionary documents the codes the files hold next to their
# French meaning ("on_track : dans la trajectoire"): codes there are its subject.
DATA_DICTIONARY = re.compile(r'<section aria-labelledby="dictionnaire">.*?</section>', re.S)


def raw_statuses_on(client, urls: list[str]) -> dict[str, list[str]]:
    found = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        page = DATA_DICTIONARY.sub("", response.content.decode())
        if words := RAW_STATUS.findall(visible_text(page)):
            found[url] = sorted(set(words))
    return found


def test_public_pages_show_no_raw_status(client, every_status):
    assert raw_statuses_on(client, public_urls(every_status)) == {}


def test_officer_pages_show_no_raw_status(client, every_status):
    client.force_login(every_status["users"]["referent.fourmies"])

    assert raw_statuses_on(client, officer_urls(every_status)) == {}


def test_staff_pages_show_no_raw_status(client, every_status):
    client.force_login(every_status["users"]["agent.region"])

    assert raw_statuses_on(client, staff_urls(every_status)) == {}


def test_late_reports_name_their_status_in_french(client, every_status):
    client.force_login(every_status["users"]["agent.region"])

    text = visible_text(client.get(reverse("staff_dashboard")).content.decode())

    assert "attendu au 30 juin 2024 (rejeté)" in text
    assert "attendu au 30 juin 2025 (brouillon)" in text
