"""The reporting calendar (contracts.calendar): one definition of the years a contract
reports on and of their deadlines, shared by the officer space, the staff late list,
the reminders, the import template and the services."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from contracts import calendar, services
from contracts.models import HANDED_IN_REPORT_STATUSES
from contracts.officer import officer_contracts
from contracts.reporting import late_reports
from tests.contracts.factories import ContractFactory, TargetFactory, signable

TODAY = date(2026, 12, 6)


@pytest.fixture
def contract(staff, fourmies):
    """2017-10-24 → 2020-10-23, a target from its 2015 baseline: two years before the
    start the officer may fill (the baseline values)."""
    contract = ContractFactory(territory=fourmies)
    TargetFactory(contract=contract)  # cae_2.a: 1000 (2015) → 900 (2020)
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    services.activate_contract(contract, staff, activated_on=contract.signed_on)
    return contract


def test_every_overdue_year_in_the_officer_space_is_in_the_staff_late_list(contract, officer):
    overdue = {
        (work.contract.pk, entry.year)
        for work in officer_contracts(officer, TODAY)
        for entry in work.years
        if entry.deadline is not None
        and entry.deadline < TODAY
        and entry.status not in HANDED_IN_REPORT_STATUSES
    }

    late = {(late.contract.pk, late.year) for late in late_reports(TODAY)}

    assert overdue == late == {(contract.pk, year) for year in range(2017, 2021)}


def test_a_baseline_year_before_the_start_is_open_to_the_officer_but_never_due(contract):
    assert list(calendar.open_years(contract, TODAY)) == list(range(2015, 2021))
    assert list(calendar.due_years(contract)) == list(range(2017, 2021))
    assert calendar.due_date(contract, 2016) is None
    assert calendar.due_date(contract, 2017) == date(2018, 6, 30)


def test_the_officer_dashboard_shows_baseline_years_as_optional(client, contract, officer):
    client.force_login(officer)

    page = client.get(reverse("officer:dashboard")).content.decode()

    assert page.count("facultatif") == 2  # 2015 and 2016
    assert page.count("aucune (année de référence)") == 2
    assert page.count("à faire") == 4  # 2017 to 2020, all past their deadline


@pytest.mark.parametrize(
    ("today", "year"),
    [(date(2016, 3, 1), 2015), (date(2019, 3, 1), 2018), (date(2026, 3, 1), 2020)],
)
def test_the_year_to_report_is_last_year_within_the_contract(contract, today, year):
    assert calendar.year_to_report(contract, today) == year


def test_the_reminders_the_late_list_and_the_import_template_follow_the_calendar(
    contract, officer, monkeypatch
):
    from contracts import import_templates
    from contracts.notifications import due_reports

    assert [(c.pk, y) for c, y in due_reports(date(2019, 3, 1))] == [(contract.pk, 2018)]
    assert due_reports(date(2017, 3, 1)) == []  # 2016: a baseline year, not due
    assert [late.year for late in late_reports(date(2019, 7, 1))] == [2017, 2018]
    monkeypatch.setattr(import_templates.timezone, "localdate", lambda: date(2019, 3, 1))
    assert {row[2] for row in import_templates.template_rows(officer)[1:]} == {2018}


@pytest.fixture
def renewal(contract, staff):
    """The renewal of ``contract`` (2017-10-24 → 2020-10-23): 2020-10-24 → 2023-10-23,
    its target's baseline in 2019 — two years the first contract already reported on."""
    renewal = ContractFactory(
        territory=contract.territory,
        reference="COTRI-2020-FOURMIES",
        start_date=date(2020, 10, 24),
        end_date=date(2023, 10, 23),
    )
    TargetFactory(contract=renewal, baseline_year=2019, target_year=2023)
    services.sign_contract(signable(renewal), staff, signed_on=date(2020, 10, 24))
    services.activate_contract(renewal, staff, activated_on=renewal.signed_on)
    return renewal


def test_a_renewal_reports_from_the_year_after_its_predecessors_last(contract, renewal):
    assert calendar.earlier_last_year(renewal) == 2020
    assert list(calendar.open_years(renewal, TODAY)) == [2021, 2022, 2023]
    assert list(calendar.due_years(renewal)) == [2021, 2022, 2023]
    assert calendar.due_date(renewal, 2020) is None
    assert calendar.earlier_last_year(contract) is None  # the first contract keeps its years


def test_a_year_reported_under_the_earlier_contract_cannot_be_reported_again(
    contract, renewal, officer
):
    services.open_report(contract, 2020, officer)

    with pytest.raises(ValidationError, match="déjà été rendue sous un contrat précédent"):
        services.open_report(renewal, 2020, officer)

    assert not renewal.reports.exists()


def test_the_officer_space_and_the_late_list_ask_each_year_of_the_territory_once(
    contract, renewal, officer
):
    asked = [
        entry.year
        for work in officer_contracts(officer, TODAY)
        for entry in work.years
        if entry.deadline is not None
    ]
    late = [late.year for late in late_reports(TODAY)]

    assert sorted(asked) == sorted(late) == [2017, 2018, 2019, 2020, 2021, 2022, 2023]
