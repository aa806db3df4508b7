"""Fixtures of the API tests: two territories each with an active contract and its
officer (Fourmies = A, Grande-Synthe = B), staff, and API clients authenticated with
real personal tokens."""

from datetime import date

import pytest
from rest_framework.test import APIClient

from contracts import services
from territories.models import OfficerAssignment, Territory, TerritoryKind
from tests.contracts.factories import ContractFactory, TargetFactory, signable
from tests.factories import UserFactory
from tri_portal.models import ApiToken


@pytest.fixture(autouse=True)
def _no_dashboard_figures(monkeypatch):
    """Signing a contract refreshes the dashboards' materialised figures (seconds on
    the whole region): the API does not read them, so these tests skip it."""
    monkeypatch.setattr(
        "contracts.services.contract_status.refresh_contract_stats", lambda territories=None: 0
    )


def active_contract(territory, staff, reference):
    contract = ContractFactory(territory=territory, reference=reference)
    TargetFactory(contract=contract)  # cae_2.a: 1000 (2015) → 900 (2020)
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    services.activate_contract(contract, staff, activated_on=contract.signed_on)
    return contract


def token_client(user) -> APIClient:
    client = APIClient()
    _, key = ApiToken.issue(user, "tests")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def staff(db):
    return UserFactory(username="agent.region", email="agent@region.example", is_staff=True)


@pytest.fixture
def grande_synthe(db):
    return Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59271")


@pytest.fixture
def contract_a(staff, fourmies):
    return active_contract(fourmies, staff, "COTRI-FOURMIES")


@pytest.fixture
def contract_b(staff, grande_synthe):
    return active_contract(grande_synthe, staff, "COTRI-GRANDE-SYNTHE")


@pytest.fixture
def officer_a(fourmies):
    user = UserFactory(username="referent.fourmies", email="referent@fourmies.example")
    OfficerAssignment.objects.create(user=user, territory=fourmies)
    return user


@pytest.fixture
def officer_b(grande_synthe):
    user = UserFactory(username="referent.grande-synthe", email="referent@gs.example")
    OfficerAssignment.objects.create(user=user, territory=grande_synthe)
    return user


@pytest.fixture
def anonymous_api():
    return APIClient()


@pytest.fixture
def api_a(officer_a):
    return token_client(officer_a)


@pytest.fixture
def api_b(officer_b):
    return token_client(officer_b)


@pytest.fixture
def staff_api(staff):
    return token_client(staff)
