"""Which public TRI contracts cover a territory: its own, its EPCI's, its syndicat's."""

from datetime import date

import pytest

from contracts.coverage import covering_contracts, covering_contracts_of_many
from contracts.models import ContractStatus
from territories.models import Territory, TerritoryKind
from tests.contracts.factories import ContractFactory


def epci(name):
    return Territory.objects.get(kind=TerritoryKind.EPCI, name=name)


def commune(code):
    return Territory.objects.get(kind=TerritoryKind.COMMUNE, code=code)


def contract(territory, status=ContractStatus.ACTIVE, **kwargs):
    signed_on = None if status == ContractStatus.DRAFT else date(2017, 10, 24)
    return ContractFactory(territory=territory, status=status, signed_on=signed_on, **kwargs)


@pytest.fixture
def sud_avesnois(db):
    return epci("CC du Sud Avesnois")


def test_a_commune_is_covered_by_its_own_contract_then_its_epcis(fourmies, sud_avesnois):
    of_epci = contract(sud_avesnois)
    own = contract(fourmies, ContractStatus.COMPLETED)

    coverages = covering_contracts(fourmies)

    assert [(c.contract, c.depth, c.via) for c in coverages] == [
        (own, 0, fourmies),
        (of_epci, 1, sud_avesnois),
    ]


@pytest.mark.parametrize("status", [ContractStatus.DRAFT, ContractStatus.TERMINATED])
def test_a_contract_that_is_not_public_covers_nothing(fourmies, sud_avesnois, status):
    terminated = status == ContractStatus.TERMINATED
    contract(
        sud_avesnois,
        status,
        termination_reason="Résilié d'un commun accord" if terminated else "",
        terminated_on=date(2019, 6, 30) if terminated else None,
    )

    assert covering_contracts(fourmies) == []


def test_a_contract_never_covers_a_territory_outside_it(fourmies, sud_avesnois):
    contract(fourmies)

    assert covering_contracts(sud_avesnois) == []


def test_many_communes_cost_one_query(fourmies, sud_avesnois, django_assert_num_queries):
    contract(sud_avesnois)
    communes = list(Territory.objects.communes().descendants_of(sud_avesnois))
    arras = commune("62041")

    with django_assert_num_queries(1):
        coverages = covering_contracts_of_many([*communes, arras])

    assert all(len(coverages[c.pk]) == 1 for c in communes)
    assert coverages[arras.pk] == []
