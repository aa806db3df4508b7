"""The reporting calendar (contracts.calendar): one definition of the years a contract
reports on and of their deadlines, shared by the officer space, the staff late list,
the reminders, the import template and the services."""

from datetime import date

import pytest

from contracts import services
from contracts.models import HANDED_IN_REPORT_STATUSES
from contracts.officer import officer_contracts
from contracts.reporting import late_reports
from territories.models import OfficerAssignment
from tests.contracts.factories import ContractFactory, TargetFactory
from tests.factories import UserFactory

TODAY = date(2026, 12, 6)


@pytest.fixture
def staff(db):
    return UserFactory(username="agent.region", is_staff=True)


@pytest.fixture
def officer(fourmies):
    user = UserFactory(username="referent.fourmies")
    OfficerAssignment.objects.create(user=user, territory=fourmies)
    return user


@pytest.fixture
def contract(staff, fourmies):
    """2017-10-24 → 2020-10-23, a target from its 2015 baseline: two years before the
    start the officer may fill (the baseline values)."""
    contract = ContractFactory(territory=fourmies)
    TargetFactory(contract=contract)  # cae_2.a: 1000 (2015) → 900 (2020)
    services.sign_contract(contract, staff, signed_on=date(2017, 10, 24))
    services.activate_contract(contract, staff)
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
