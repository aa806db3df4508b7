"""The targets' alignment with the regional 2050 path, stored on ``Target`` by
``contracts.alignment.refresh_alignments`` (figures computed by hand)."""

from decimal import Decimal

import pytest

from contracts.alignment import refresh_alignments
from contracts.models import Target, TargetAlignment
from contracts.stats import refresh_contract_stats
from indicators.models import Indicator
from tests.contracts.factories import ContractFactory, TargetFactory
from tests.indicators.factories import RegionalGoalFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def energy_goal(db):
    """213 000 GWh (2012) → 85 200 GWh (2050): −60 %."""
    return RegionalGoalFactory()


def test_refresh_writes_label_paces_and_gap(energy_goal):
    # 1000 → 900 GWh (2015 → 2020): −2 %/an against −0.6 / 36.2 = −1.657459 %/an → aligned;
    # 1000 → 960 GWh: −0.8 %/an → below, short by 15000/181 − 40 = 42.872928 GWh.
    aligned = TargetFactory()
    below = TargetFactory(target_value=Decimal(960))  # another contract
    assert refresh_alignments() == 2
    aligned.refresh_from_db()
    below.refresh_from_db()
    assert aligned.alignment == TargetAlignment.ALIGNED
    assert aligned.committed_pace == Decimal("-2.000000")
    assert aligned.required_pace == Decimal("-1.657459")
    assert aligned.alignment_gap == Decimal("-17.127072")  # ahead of the path
    assert aligned.alignment_computed_at is not None
    assert below.alignment == TargetAlignment.BELOW
    assert below.committed_pace == Decimal("-0.800000")
    assert below.alignment_gap == Decimal("42.872928")


def test_no_regional_goal_leaves_no_label_but_marks_computed(db):
    target = TargetFactory()
    refresh_alignments(Target.objects.filter(pk=target.pk))
    target.refresh_from_db()
    assert target.alignment == TargetAlignment.NONE
    assert target.get_alignment_display() == "pas de trajectoire régionale"
    assert target.committed_pace is None
    assert target.alignment_gap is None
    assert target.alignment_computed_at is not None


def test_renewable_production_follows_the_derived_path(db):
    # Share 10 % → 100 %, energy 200 000 → 80 000 GWh (2012 → 2050): production
    # 20 000 000 MWh in 2012, 77 000 000 MWh in 2031: +15 %/an required over 2012–2031.
    RegionalGoalFactory(baseline_value=Decimal(200_000), target_value=Decimal(80_000))
    RegionalGoalFactory(indicator="cae_3.b", baseline_value=Decimal(10), target_value=Decimal(100))
    target = TargetFactory(
        indicator=Indicator.objects.get(identifier="cae_3.a"),
        baseline_year=2012,
        baseline_value=Decimal(1000),
        target_year=2031,
        target_value=Decimal(4000),
    )
    refresh_alignments()
    target.refresh_from_db()
    assert target.required_pace == Decimal("15.000000")
    assert target.committed_pace == Decimal("15.789474")  # 3 / 19
    assert target.alignment == TargetAlignment.ALIGNED


def test_renewable_production_without_share_goal_has_no_label(energy_goal):
    target = TargetFactory(indicator=Indicator.objects.get(identifier="cae_3.a"))
    refresh_alignments()
    target.refresh_from_db()
    assert target.alignment == TargetAlignment.NONE


def test_editing_a_target_changes_its_label_at_the_next_refresh(energy_goal):
    target = TargetFactory()
    refresh_alignments()
    Target.objects.filter(pk=target.pk).update(target_value=Decimal(800))
    refresh_alignments()
    target.refresh_from_db()
    assert target.alignment == TargetAlignment.BEYOND  # −4 %/an: r ≈ 2.41


@pytest.mark.parametrize("count", [1, 50])
def test_refresh_query_budget_does_not_grow_with_targets(
    energy_goal, count, django_assert_max_num_queries
):
    contract = ContractFactory()
    for year in range(count):
        TargetFactory(contract=contract, target_year=2020 + year)
    # Targets, regions, goals, one write of the changed figures, one stamp.
    with django_assert_max_num_queries(5):
        assert refresh_alignments() == count
    assert Target.objects.filter(alignment="").count() == 0


def test_contract_stats_refresh_refreshes_the_targets_alignments(energy_goal, fourmies):
    target = TargetFactory()
    refresh_contract_stats([fourmies.pk])
    target.refresh_from_db()
    assert target.alignment == TargetAlignment.ALIGNED


def test_values_only_refresh_leaves_alignments_alone(energy_goal, fourmies):
    target = TargetFactory()
    refresh_contract_stats()
    Target.objects.filter(pk=target.pk).update(alignment_computed_at=None)
    refresh_contract_stats([fourmies.pk], values_only=True)
    target.refresh_from_db()
    assert target.alignment_computed_at is None


def test_alignment_is_left_out_of_the_audit_history(energy_goal):
    target = TargetFactory()
    refresh_alignments()
    fields = {f.name for f in Target.history.model._meta.get_fields()}
    assert "alignment" not in fields
    assert "committed_pace" not in fields
    assert target.history.count() == 1


def test_every_demo_target_is_labelled_after_load_demo(demo):
    targets = list(Target.objects.select_related("indicator"))
    assert targets
    assert all(t.alignment_computed_at for t in targets)
    headline = [
        t for t in targets if t.indicator.identifier in {"cae_2.a", "cae_1.a", "cae_3.a", "cae_3.b"}
    ]
    assert headline
    assert all(t.alignment for t in headline)
    assert {t.alignment for t in headline} <= {"aligned", "below", "beyond"}
    others = [t for t in targets if t not in headline]
    assert all(t.alignment == "" for t in others)


def test_refresh_forgets_the_cached_public_pages(energy_goal, monkeypatch):
    TargetFactory()
    bumps = []
    monkeypatch.setattr("contracts.alignment.bump_data_version_on_commit", lambda: bumps.append(1))
    refresh_alignments()
    assert bumps == [1]


def test_a_second_refresh_writes_nothing_but_the_stamp(energy_goal, django_assert_max_num_queries):
    target = TargetFactory()
    refresh_alignments()
    Target.objects.filter(pk=target.pk).update(alignment_computed_at=None)
    with django_assert_max_num_queries(4):  # targets, regions, goals, stamp
        assert refresh_alignments() == 0
    target.refresh_from_db()
    assert target.alignment == TargetAlignment.ALIGNED
    assert target.alignment_computed_at is not None
