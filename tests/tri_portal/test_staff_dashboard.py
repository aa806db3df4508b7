from datetime import date

import pytest
from django.urls import reverse

from contracts import services
from contracts.calendar import deadline
from contracts.models import ProgressReport
from contracts.reporting import late_reports
from indicators.models import Aggregate, Indicator, RecomputeRun
from territories.models import Territory
from tests.contracts.factories import ContractFactory, signable
from tests.factories import UserFactory

URL = reverse("staff_dashboard")


@pytest.fixture
def agent_client(client, db):
    client.force_login(UserFactory(username="agent.dashboard", is_staff=True))
    return client


@pytest.mark.parametrize("role", ["anonymous", "officer"])
def test_only_staff_see_the_dashboard(client, db, role):
    if role == "officer":
        client.force_login(UserFactory(username="referent.x"))

    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_the_dashboard_shows_the_2050_goals_against_the_regional_aggregates(
    demo_recomputed, agent_client
):
    html = agent_client.get(URL).content.decode()

    assert "<h1>Tableau de bord des agents</h1>" in html
    # GHG: 58 540 kteq in 2012, 48 000 in 2021, goal ÷4 = 14 635 in 2050
    assert "58\xa0540,0 (2012)" in html
    assert "48\xa0000,0 (2021)" in html
    assert "14\xa0635,0 (2050)" in html
    assert "dans la trajectoire" in html
    assert "en retard" in html  # energy and renewables lag behind their trajectory


def test_the_dashboard_shows_the_coverage_counted_on_communes(demo_recomputed, agent_client):
    html = agent_client.get(URL).content.decode()
    assert (
        "Contrats signés, en cours ou achevés : 931\xa0522 habitants (15,5\xa0% de la population)"
        in html
    )


def test_submitted_reports_are_listed_for_validation(demo_recomputed, agent_client):
    staff = UserFactory(username="agent.region.test", is_staff=True)
    contract = ContractFactory(start_date=date(2024, 1, 1), end_date=date(2026, 12, 31))
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    report = services.open_report(contract, 2024, staff)
    services.save_report_values(
        report, [services.ReportedValue(Indicator.objects.get(identifier="cae_2.a"), "250")], staff
    )
    services.submit_report(report, staff)

    html = agent_client.get(URL).content.decode()

    assert "Rapports à valider (2)" in html  # the demo's report waiting, and this one
    assert reverse("staff_report", args=[report.pk]) in html


def test_a_missing_report_after_its_deadline_is_late():
    assert deadline(2024) == date(2025, 6, 30)


def test_late_reports_are_those_past_deadline_not_submitted(db):
    staff = UserFactory(username="agent.late", is_staff=True)
    contract = ContractFactory(start_date=date(2023, 3, 1), end_date=date(2026, 2, 28))
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    ProgressReport.objects.create(contract=contract, year=2024)  # draft only

    late = late_reports(date(2025, 7, 1))

    assert [(r.contract, r.year, r.status) for r in late] == [
        (contract, 2023, None),
        (contract, 2024, "draft"),
    ]
    assert late_reports(date(2025, 6, 30))[-1].year == 2023  # 2024 is due that very day


def test_overlap_conflicts_are_listed(demo_recomputed, agent_client):
    aggregate = Aggregate.objects.filter(scope__code="59").first()
    aggregate.conflicts = [
        {
            "territory_id": 1,
            "code": "999000011",
            "name": "Syndicat d'essai",
            "overlaps": ["999000003"],
        }
    ]
    aggregate.save()

    html = agent_client.get(URL).content.decode()

    assert "Syndicat d&#x27;essai (999000011)" in html


def test_recompute_now_runs_a_full_recompute(demo_recomputed, agent_client, monkeypatch):
    from tri_portal.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)  # run it here, not on a worker
    before = RecomputeRun.objects.count()

    response = agent_client.post(reverse("recompute_now"), follow=True)

    assert response.redirect_chain[-1][0] == URL
    assert RecomputeRun.objects.count() == before + 1
    assert RecomputeRun.objects.first().trigger == "staff"
    assert "Recalcul complet des agrégats lancé." in response.content.decode()


def test_recompute_now_only_accepts_post(agent_client):
    assert agent_client.get(reverse("recompute_now")).status_code == 405


def test_staff_see_the_dashboard_link_in_the_navigation(agent_client):
    assert 'href="/gestion/"' in agent_client.get("/").content.decode()
    assert 'href="/gestion/"' in agent_client.get(reverse("admin:index")).content.decode()


def test_the_public_does_not_see_the_dashboard_link(client, db):
    assert 'href="/gestion/"' not in client.get("/").content.decode()
    assert Territory.objects.exists()
