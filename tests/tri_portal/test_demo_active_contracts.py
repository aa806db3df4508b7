"""The demo lives on the day it is loaded: later contracts active that day, a report to
fill in for every demo officer, one waiting in the staff queue, one overdue, one rejected,
and figures that move like real ones — checked on the demo loaded as of two days
(``demo_day``: after and before the deadline of last year's reports)."""

from datetime import date
from itertools import pairwise

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from contracts import calendar
from contracts.models import (
    Contract,
    ContractStats,
    ContractStatus,
    ProgressReport,
    ReportStatus,
    three_year_end_dates,
)
from contracts.officer import officer_contracts
from contracts.reporting import late_reports
from contracts.selectors import target_standings
from indicators.models import IndicatorValue
from indicators.trajectory import TrackStatus
from tri_portal.demo import DEMO_USERS
from tri_portal.demo_contracts import END, LATER_CONTRACTS, REJECTION_REASON

OFFICERS = sorted(name for name, (_, is_staff, _) in DEMO_USERS.items() if not is_staff)
RENEWALS = [spec for spec in LATER_CONTRACTS if spec.renews]


def later_contracts():
    return Contract.objects.filter(is_demo=True, start_date__gt=END).select_related("territory")


def test_later_contracts_are_active_three_year_contracts_signed_before_the_day(demo_day):
    contracts = list(later_contracts())

    assert len(contracts) == len(LATER_CONTRACTS) >= 5
    for contract in contracts:
        assert contract.status == ContractStatus.ACTIVE
        assert contract.signed_on == contract.start_date < demo_day < contract.end_date
        assert contract.end_date in three_year_end_dates(contract.start_date)
        assert contract.targets.count() >= 5


@pytest.mark.parametrize("spec", RENEWALS, ids=lambda spec: spec.key)
def test_a_renewal_follows_the_completed_2017_contract_of_its_territory(demo_day, spec):
    first = Contract.objects.get(reference=spec.renews)
    renewal = later_contracts().get(territory=first.territory)

    assert first.status == ContractStatus.COMPLETED
    assert spec.renews in renewal.summary
    assert calendar.earlier_last_year(renewal) == first.end_date.year == 2020
    assert calendar.first_year(renewal) > 2020


def test_the_public_dashboard_counts_the_population_under_an_active_contract(demo_day, client):
    page = client.get(reverse("regional_dashboard")).content.decode()

    assert "Contrats signés ou en cours : 0 habitants" not in page
    region_stats = ContractStats.objects.get(scope__kind="region", scope__code="32")
    assert region_stats.covered_population > 0
    assert region_stats.covered_share > 0


@pytest.mark.parametrize("username", OFFICERS)
def test_each_demo_officer_has_last_years_report_to_fill_in(demo_day, username):
    officer = get_user_model().objects.get(username=username)
    last_year = demo_day.year - 1

    to_fill = [
        work.contract
        for work in officer_contracts(officer, demo_day)
        if work.current_year == last_year
    ]

    assert [c.status for c in to_fill] == [ContractStatus.ACTIVE]
    assert not ProgressReport.objects.filter(
        contract=to_fill[0], year=last_year, status__in=[ReportStatus.SUBMITTED, "validated"]
    ).exists()


def test_one_report_waits_in_the_staff_queue(demo_day, client):
    submitted = ProgressReport.objects.filter(status=ReportStatus.SUBMITTED)

    assert submitted.count() == 1
    report = submitted.get()
    assert report.contract in later_contracts()
    assert report.submitted_at.date() <= demo_day
    client.force_login(get_user_model().objects.get(username="agent.region"))
    page = client.get(reverse("staff_reports")).content.decode()
    assert report.contract.reference in page


def test_one_report_of_an_earlier_year_is_overdue(demo_day):
    last_year = demo_day.year - 1

    overdue = [late for late in late_reports(demo_day) if late.year < last_year]

    assert [(late.year, late.status) for late in overdue] == [(last_year - 1, "draft")]
    assert overdue[0].contract in later_contracts()


def test_before_the_deadline_of_last_years_reports_the_overdue_one_is_the_only_late(demo_day):
    if demo_day > calendar.deadline(demo_day.year - 1):
        pytest.skip("after 30 June every report on last year not handed in is late too")

    assert len(late_reports(demo_day)) == 1


def test_one_report_was_rejected_with_its_reason(demo_day):
    rejected = ProgressReport.objects.get(status=ReportStatus.REJECTED)

    assert rejected.rejection_reason == REJECTION_REASON
    assert rejected.year == demo_day.year - 1
    assert rejected.reviewed_at.date() <= demo_day


def _standing(contract) -> str:
    """« ahead » when every target is on track and would be reached before its year at
    the current pace, « on track » when every target is on track, else « late »."""
    rows = target_standings(contract)
    if any(row.standing.status == TrackStatus.LATE for row in rows):
        return "late"
    assert all(row.standing.status == TrackStatus.ON_TRACK for row in rows)
    if all(
        row.standing.projected_year is not None
        and row.standing.projected_year < row.target.target_year
        for row in rows
    ):
        return "ahead"
    return "on track"


def test_some_contracts_are_on_track_some_late_and_one_ahead(demo_day):
    standings = [_standing(contract) for contract in later_contracts()]

    assert standings.count("ahead") == 1
    assert standings.count("on track") >= 2
    assert standings.count("late") >= 2


def test_yearly_figures_are_noisy_not_straight_lines(demo_day):
    for contract in later_contracts():
        values = dict(
            IndicatorValue.objects.validated()
            .filter(territory=contract.territory, indicator__identifier="cae_2.a")
            .filter(year__gt=2020)
            .values_list("year", "value")
        )
        years = sorted(values)
        steps = {values[b] - values[a] for a, b in pairwise(years)}
        assert len(years) >= 2
        assert len(steps) == len(years) - 1, contract.reference  # no two equal steps


def test_later_figures_are_plausible_for_the_size_of_the_territory(demo_day):
    for contract in later_contracts():
        territory = contract.territory
        energy = IndicatorValue.objects.validated().filter(
            territory=territory, indicator__identifier="cae_2.a", year__gt=2020
        )
        for value in energy.values_list("value", flat=True):
            assert 15 <= value * 1000 / territory.population <= 60  # MWh per inhabitant


def test_the_history_of_later_reports_is_dated_before_the_day_of_loading(demo_day):
    reports = ProgressReport.objects.filter(contract__in=later_contracts())
    history = ProgressReport.history.filter(id__in=reports.values("id"))

    dates = {row.history_date.date() for row in history}
    assert max(dates) <= demo_day
    assert min(dates) < date(demo_day.year - 1, 1, 1)  # the baseline years, long ago
