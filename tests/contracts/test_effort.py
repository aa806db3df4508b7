"""The contracts' share of the regional effort (``contracts.effort``), computed by hand.

A fictive world (none of these codes exists in the imported Hauts-de-France data)::

    région R "00"
    └── département D "95"
        └── communes c1 … c6, populations 1000 … 6000 (21 000)

    EPCI E1 = {c1, c2}   EPCI E2 = {c3, c4}   EPCI E3 = {c5, c6}
    syndicat S1 = {E1, E2} = {c1 … c4}   syndicat S2 = {E2, E3} = {c3 … c6}

Active contracts with a target on final energy (cae_2.a, GWh):

* A on S1: 500 (2015) → 400 (2025), and an earlier 500 (2015) → 460 (2020) — the
  latest target year counts; ends 2025;
* E on E1 (inside S1): 200 (2016) → 150 (2024) — skipped, already counted; ends 2025;
* B on S2 (shares c3, c4 with S1, not c5, c6): 600 (2015) → 500 (2025) — a conflict;
* C on c5 (uncovered): 300 (2018) → 220 (2034); ends 2026.

Regional goal: 1000 GWh (2012) → 400 GWh (2050), P(y) = 1000 − 600 (y − 2012) / 38.
"""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from contracts import services
from contracts.models import Contract, ContractStatus, EffortHorizon, EffortShare, Target
from contracts.stats import refresh_contract_stats
from indicators.models import Aggregate, Indicator, RegionalGoal
from territories.models import Membership, Territory, TerritoryKind
from territories.services import rebuild_closure
from tests.contracts.factories import ContractFactory, TargetFactory
from tests.factories import UserFactory
from tests.territories.factories import luhn_siren


def indicator(identifier):
    return Indicator.objects.get(identifier=identifier)


def grouping(kind, prefix, name):
    code = luhn_siren(prefix)
    extra = {"epci_nature": "cc"} if kind == TerritoryKind.EPCI else {"syndicat_nature": "other"}
    return Territory.objects.create(kind=kind, code=code, siren=code, name=name, **extra)


def link(parent, *children):
    for child in children:
        Membership.objects.create(parent=parent, child=child)


def active_contract(reference, territory, end_year):
    return ContractFactory(
        reference=reference,
        territory=territory,
        status=ContractStatus.ACTIVE,
        signed_on=date(end_year - 3, 1, 1),
        start_date=date(end_year - 2, 1, 1),
        end_date=date(end_year, 12, 31),
    )


def energy_target(contract, baseline_year, baseline, target_year, target):
    return TargetFactory(
        contract=contract,
        indicator=indicator("cae_2.a"),
        baseline_year=baseline_year,
        baseline_value=Decimal(baseline),
        target_year=target_year,
        target_value=Decimal(target),
    )


@pytest.fixture
def world(db):
    region = Territory.objects.create(kind=TerritoryKind.REGION, code="00", name="Région fictive")
    dept = Territory.objects.create(
        kind=TerritoryKind.DEPARTEMENT, code="95", name="Département fictif"
    )
    c1, c2, c3, c4, c5, c6 = (
        Territory.objects.create(
            kind=TerritoryKind.COMMUNE,
            code=f"9910{n}",
            name=f"Commune fictive {n}",
            population=1000 * n,
            population_year=2021,
        )
        for n in range(1, 7)
    )
    e1 = grouping(TerritoryKind.EPCI, "29990001", "CC fictive 1")
    e2 = grouping(TerritoryKind.EPCI, "29990002", "CC fictive 2")
    e3 = grouping(TerritoryKind.EPCI, "29990003", "CC fictive 3")
    s1 = grouping(TerritoryKind.SYNDICAT, "25990001", "Syndicat fictif 1")
    s2 = grouping(TerritoryKind.SYNDICAT, "25990002", "Syndicat fictif 2")
    link(region, dept)
    link(dept, c1, c2, c3, c4, c5, c6)
    link(e1, c1, c2)
    link(e2, c3, c4)
    link(e3, c5, c6)
    link(s1, e1, e2)
    link(s2, e2, e3)
    rebuild_closure()
    RegionalGoal.objects.create(
        territory=region,
        indicator=indicator("cae_2.a"),
        baseline_year=2012,
        baseline_value=Decimal(1000),
        target_year=2050,
        target_value=Decimal(400),
        adopted_by="Schéma fictif",
    )
    a = active_contract("COTRI-T-A", s1, 2025)
    energy_target(a, 2015, "500", 2025, "400")
    energy_target(a, 2015, "500", 2020, "460")
    energy_target(active_contract("COTRI-T-E", e1, 2025), 2016, "200", 2024, "150")
    energy_target(active_contract("COTRI-T-B", s2, 2025), 2015, "600", 2025, "500")
    energy_target(active_contract("COTRI-T-C", c5, 2026), 2018, "300", 2034, "220")
    return SimpleNamespace(region=region, dept=dept, a=a, s1=s1, c5=c5)


def share(scope, horizon_kind):
    return EffortShare.objects.get(
        scope=scope, indicator__identifier="cae_2.a", horizon_kind=horizon_kind
    )


def energy_2015_of(dept, covered):
    Aggregate.objects.create(
        scope=dept,
        indicator=indicator("cae_2.a"),
        year=2015,
        value=Decimal(900),
        covered_population=covered,
        computed_at=timezone.now(),
    )


def test_nested_contracts_count_once_and_a_partial_overlap_is_a_conflict(world):
    refresh_contract_stats()

    row = share(world.region, EffortHorizon.CONTRACTS_END)
    # Horizon: the latest end of the active contracts, C's 2026. Counted: A (S1, its
    # 2025 target) and C (c5); E inside S1 skipped; B a conflict. Start S = 2015.
    assert row.horizon_year == 2026
    assert row.start_year == 2015
    assert (row.targets_counted, row.targets_skipped, row.conflicts) == (2, 1, ["COTRI-T-B"])
    # A by 2026: its target year 2025 → 400 − 500 = −100.
    # C by 2026: 300 + (220 − 300) × 8 / 16 = 260 → −40.
    assert row.committed_change == Decimal("-140")
    # Population of c1 … c5 = 15 000 of 21 000.
    assert (row.covered_population, row.scope_population) == (15000, 21000)
    # M = P(2026) − P(2015) = −600 × 11 / 38 = −173.684211; P = 140 × 38 / 6600.
    assert row.required_change == Decimal("-173.684211")
    assert row.share == Decimal("0.806061")
    assert row.is_demo is False


def test_the_fixed_horizon_uses_each_target_trajectory_up_to_it(world):
    refresh_contract_stats()

    row = share(world.region, EffortHorizon.FIXED_YEAR)
    assert row.horizon_year == 2030
    # A: −100 (its target year is before 2030); C: (220 − 300) × 12 / 16 = −60.
    assert row.committed_change == Decimal("-160")
    # M = −600 × 15 / 38 = −236.842105; P = 160 × 38 / 9000.
    assert row.required_change == Decimal("-236.842105")
    assert row.share == Decimal("0.675556")


def test_a_departement_scales_its_complete_aggregate_by_the_path(world):
    energy_2015_of(world.dept, covered=21000)

    refresh_contract_stats()

    row = share(world.dept, EffortHorizon.CONTRACTS_END)
    assert row.committed_change == Decimal("-140")
    # M = 900 × (P(2026) / P(2015) − 1) = 900 × (29600 / 36200 − 1) = −164.088398.
    assert row.required_change == Decimal("-164.088398")
    # P = 140 × 36200 / (900 × 6600)
    assert row.share == Decimal("0.853199")


def test_a_departement_without_a_complete_aggregate_has_no_required_figure(world):
    energy_2015_of(world.dept, covered=15000)  # partial: never used as the total

    refresh_contract_stats()

    row = share(world.dept, EffortHorizon.CONTRACTS_END)
    assert row.committed_change == Decimal("-140")
    assert row.required_change is None
    assert row.share is None


def test_an_incremental_recompute_brings_in_a_departement_aggregate_made_complete(world):
    energy_2015_of(world.dept, covered=15000)
    refresh_contract_stats()
    Aggregate.objects.filter(scope=world.dept).update(covered_population=21000)

    refresh_contract_stats([world.c5.pk], values_only=True)  # c5's 2015 value validated

    row = share(world.dept, EffortHorizon.CONTRACTS_END)
    assert row.required_change == Decimal("-164.088398")
    assert row.share == Decimal("0.853199")
    assert share(world.region, EffortHorizon.CONTRACTS_END).required_change == Decimal(
        "-173.684211"
    )


def test_a_scope_without_active_contracts_has_no_row(world):
    Contract.objects.update(status=ContractStatus.COMPLETED)  # completed: no longer active

    refresh_contract_stats()

    assert not EffortShare.objects.filter(scope=world.region).exists()


def test_amending_a_target_refreshes_the_figures_after_commit(
    world, eager_tasks, django_capture_on_commit_callbacks
):
    refresh_contract_stats()
    target = Target.objects.get(contract__reference="COTRI-T-C")

    with django_capture_on_commit_callbacks(execute=True):
        # 300 → 140 by 2034: −80 by 2026 (a signed contract's target changes by amendment)
        services.record_amendment(
            target.contract,
            UserFactory(username="agent.avenant", is_staff=True),
            number=1,
            signed_on=date(2025, 1, 15),
            effective_year=2025,
            reason="Objectif relevé",
            changes=[services.Change("change_target", target=target, target_value=Decimal(140))],
        )

    row = share(world.region, EffortHorizon.CONTRACTS_END)
    assert row.committed_change == Decimal("-180")


def test_editing_the_regional_goal_refreshes_the_figures_after_commit(
    world, eager_tasks, django_capture_on_commit_callbacks
):
    refresh_contract_stats()
    goal = RegionalGoal.objects.get(territory=world.region)

    with django_capture_on_commit_callbacks(execute=True):
        goal.target_value = Decimal(240)  # −760 over 38 years: −20 a year
        goal.save()

    # M = −20 × 11 = −220; P = 140 / 220.
    row = share(world.region, EffortHorizon.CONTRACTS_END)
    assert row.required_change == Decimal("-220")
    assert row.share == Decimal("0.636364")
