"""Regional aggregates without double counting (DESIGN.md, "Regional aggregates").

Most tests run on a small fictitious world, built by hand so that every expected
figure can be worked out on paper (the working is in the comments):

    region R "00"
    └── département D "95"
        └── communes c1 … c6 "99101" … "99106", populations 1000 … 6000

    EPCI E1 = {c1, c2}   EPCI E2 = {c3, c4}   EPCI E3 = {c5, c6}
    syndicat S1 = {E1, E2} = {c1, c2, c3, c4}
    syndicat S2 = {E2, E3} = {c3, c4, c5, c6}   (S1 and S2 share E2: partial overlap)

None of these codes exists in the imported Hauts-de-France data (région 32 only).
The groupings carry a deliberately wrong population field: covered populations
must be counted on communes.
"""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from indicators.models import Aggregate, Indicator, IndicatorValue, RecomputeRun, ValueStatus
from territories.models import (
    EpciNature,
    Membership,
    SyndicatNature,
    Territory,
    TerritoryKind,
)
from territories.selectors import communes_of
from territories.services import rebuild_closure
from tests.territories.factories import luhn_siren

COMPARED_FIELDS = (
    "scope_id",
    "indicator_id",
    "year",
    "value",
    "covered_population",
    "contributors",
    "conflicts",
    "computed_from",
)


def recompute(**kwargs):
    from indicators.aggregation import recompute

    return recompute(**kwargs)


def indicator(identifier):
    return Indicator.objects.get(identifier=identifier)


def validated(territory, identifier, year, value):
    return IndicatorValue.objects.create(
        territory=territory,
        indicator=indicator(identifier),
        year=year,
        value=Decimal(value),
        status=ValueStatus.VALIDATED,
        validated_at=timezone.now(),
    )


def aggregate(scope, identifier, year):
    return Aggregate.objects.get(scope=scope, indicator__identifier=identifier, year=year)


def has_aggregate(scope, identifier, year):
    return Aggregate.objects.filter(
        scope=scope, indicator__identifier=identifier, year=year
    ).exists()


def rows():
    return list(
        Aggregate.objects.order_by("scope_id", "indicator_id", "year").values(*COMPARED_FIELDS)
    )


def conflict(territory, *overlapping):
    return {
        "territory_id": territory.pk,
        "code": territory.code,
        "name": territory.name,
        "overlaps": sorted(t.code for t in overlapping),
    }


def syndicat(prefix, name):
    code = luhn_siren(prefix)
    return Territory.objects.create(
        kind=TerritoryKind.SYNDICAT,
        code=code,
        siren=code,
        syndicat_nature=SyndicatNature.OTHER,
        name=name,
        population=7,
    )


def epci(prefix, name):
    code = luhn_siren(prefix)
    return Territory.objects.create(
        kind=TerritoryKind.EPCI,
        code=code,
        siren=code,
        epci_nature=EpciNature.CC,
        name=name,
        population=1_000_000,
    )


def link(parent, *children):
    for child in children:
        Membership.objects.create(parent=parent, child=child)


@pytest.fixture
def world(db):
    region = Territory.objects.create(
        kind=TerritoryKind.REGION, code="00", name="Région fictive", population=7
    )
    dept = Territory.objects.create(
        kind=TerritoryKind.DEPARTEMENT, code="95", name="Département fictif", population=7
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
    e1 = epci("29990001", "CC fictive 1")
    e2 = epci("29990002", "CC fictive 2")
    e3 = epci("29990003", "CC fictive 3")
    s1 = syndicat("25990001", "Syndicat fictif 1")
    s2 = syndicat("25990002", "Syndicat fictif 2")
    link(region, dept)
    link(dept, c1, c2, c3, c4, c5, c6)
    link(e1, c1, c2)
    link(e2, c3, c4)
    link(e3, c5, c6)
    link(s1, e1, e2)
    link(s2, e2, e3)
    rebuild_closure()
    assert s1.code < s2.code  # the tie-break below relies on it
    assert e1.code < e2.code < e3.code
    return SimpleNamespace(
        region=region,
        dept=dept,
        c1=c1,
        c2=c2,
        c3=c3,
        c4=c4,
        c5=c5,
        c6=c6,
        e1=e1,
        e2=e2,
        e3=e3,
        s1=s1,
        s2=s2,
    )


@pytest.fixture
def energy_2018(world):
    """cae_2.a (GWh) validated in 2018 at every level of the nesting c1 ⊂ E1 ⊂ S1,
    by both overlapping syndicats, by E3 and by c6 ⊂ E3."""
    values = {"c1": "10", "e1": "35", "s1": "80", "s2": "90", "e3": "60", "c6": "25"}
    return {name: validated(getattr(world, name), "cae_2.a", 2018, v) for name, v in values.items()}


# --- The no-double-counting rule -------------------------------------------------


def test_a_commune_inside_a_reporting_epci_inside_a_reporting_syndicat_is_counted_once(
    world, energy_2018
):
    recompute(indicators=[indicator("cae_2.a")], years=[2018])

    # Scope S1 = {c1..c4}; candidates wholly inside: S1 (4 communes), E1 (2), c1 (1).
    # S1 is kept first; E1 and c1 are inside it, skipped silently. S2 is not inside S1.
    in_s1 = aggregate(world.s1, "cae_2.a", 2018)
    assert in_s1.value == Decimal("80")
    assert in_s1.contributors == 1
    assert in_s1.covered_population == 1000 + 2000 + 3000 + 4000
    assert in_s1.conflicts == []
    assert in_s1.computed_from["kept"] == [world.s1.pk]
    assert in_s1.computed_from["candidates"] == 3

    # Scope E1 = {c1, c2}: E1 kept, c1 inside it.
    in_e1 = aggregate(world.e1, "cae_2.a", 2018)
    assert in_e1.value == Decimal("35")
    assert in_e1.contributors == 1
    assert in_e1.covered_population == 1000 + 2000
    assert in_e1.computed_from["kept"] == [world.e1.pk]


def test_an_epci_hides_its_reporting_commune(world, energy_2018):
    recompute(indicators=[indicator("cae_2.a")], years=[2018])

    # Scope E3 = {c5, c6}: E3 (60) kept, c6 (25) inside it.
    in_e3 = aggregate(world.e3, "cae_2.a", 2018)
    assert in_e3.value == Decimal("60")
    assert in_e3.contributors == 1
    assert in_e3.covered_population == 5000 + 6000
    assert in_e3.conflicts == []


def test_the_departement_keeps_the_largest_territories_and_reports_the_partial_overlap(
    world, energy_2018
):
    recompute(indicators=[indicator("cae_2.a")], years=[2018])

    # Scope D: all six reporting territories are inside. Walk, largest first:
    #   S1 {c1..c4} and S2 {c3..c6} tie (4 communes, both syndicats) → code order:
    #   S1 kept (80);
    #   S2 shares c3, c4 with S1 but not c5, c6 → conflict, not counted;
    #   E1 {c1, c2} already covered → skipped silently;
    #   E3 {c5, c6} still uncovered → kept (60);
    #   c1 (inside S1) and c6 (inside E3) → skipped silently.
    # value = 80 + 60; covered = c1..c6 = 21000 (not the groupings' population fields).
    in_dept = aggregate(world.dept, "cae_2.a", 2018)
    assert in_dept.value == Decimal("140")
    assert in_dept.contributors == 2
    assert in_dept.covered_population == 21000
    assert in_dept.conflicts == [conflict(world.s2, world.s1)]
    assert in_dept.computed_from["kept"] == sorted([world.s1.pk, world.e3.pk])
    assert in_dept.computed_from["candidates"] == 6


def test_the_region_aggregates_its_departement_the_same_way(world, energy_2018):
    recompute(indicators=[indicator("cae_2.a")], years=[2018])

    in_region = aggregate(world.region, "cae_2.a", 2018)
    assert in_region.value == Decimal("140")
    assert in_region.contributors == 2
    assert in_region.covered_population == 21000
    assert in_region.conflicts == [conflict(world.s2, world.s1)]


def test_a_syndicat_scope_only_sees_territories_wholly_inside_it(world, energy_2018):
    recompute(indicators=[indicator("cae_2.a")], years=[2018])

    # Scope S2 = {c3..c6}: candidates S2, E3, c6. S1 overlaps S2 but is not inside
    # it: it is not a candidate, so there is no conflict here.
    in_s2 = aggregate(world.s2, "cae_2.a", 2018)
    assert in_s2.value == Decimal("90")
    assert in_s2.contributors == 1
    assert in_s2.covered_population == 3000 + 4000 + 5000 + 6000
    assert in_s2.conflicts == []
    assert in_s2.computed_from["candidates"] == 3
    # Scope E2 = {c3, c4}: nobody inside it reported (S1 and S2 are larger).
    assert not has_aggregate(world.e2, "cae_2.a", 2018)


def test_only_regions_departements_and_groupings_with_values_inside_get_a_row(world, energy_2018):
    run = recompute(indicators=[indicator("cae_2.a")], years=[2018], trigger="manual")

    scopes = set(
        Aggregate.objects.filter(indicator__identifier="cae_2.a", year=2018).values_list(
            "scope__code", flat=True
        )
    )
    # No commune is a scope; E2 has no value inside it.
    assert scopes == {
        world.region.code,
        world.dept.code,
        world.s1.code,
        world.s2.code,
        world.e1.code,
        world.e3.code,
    }
    assert isinstance(run, RecomputeRun)
    assert run.trigger == "manual"
    assert run.aggregates_written == 6
    assert run.conflicts == 2  # S2 against S1, in D and in R


def test_a_scope_where_only_communes_report_sums_the_communes(world):
    validated(world.c3, "cae_2.a", 2019, "7.5")
    validated(world.c4, "cae_2.a", 2019, "8.25")

    recompute(indicators=[indicator("cae_2.a")], years=[2019])

    in_e2 = aggregate(world.e2, "cae_2.a", 2019)
    assert in_e2.value == Decimal("15.75")
    assert in_e2.contributors == 2
    assert in_e2.covered_population == 3000 + 4000
    assert in_e2.computed_from["kept"] == sorted([world.c3.pk, world.c4.pk])
    # The same two communes are the whole of S1, S2, D and R's figure.
    for scope in (world.s1, world.s2, world.dept, world.region):
        assert aggregate(scope, "cae_2.a", 2019).value == Decimal("15.75")
    assert not has_aggregate(world.e1, "cae_2.a", 2019)


def test_a_territory_covered_by_several_kept_ones_together_is_skipped_silently(world):
    # Two syndicats of communes straddling the EPCIs: A = {c2, c3}, B = {c4, c5}.
    a = syndicat("25990003", "Syndicat fictif A")
    b = syndicat("25990004", "Syndicat fictif B")
    link(a, world.c2, world.c3)
    link(b, world.c4, world.c5)
    rebuild_closure()
    for territory, value in (
        (a, "5"),
        (b, "7"),
        (world.e1, "3"),
        (world.e2, "11"),
        (world.c6, "2"),
    ):
        validated(territory, "cae_2.a", 2021, value)

    recompute(indicators=[indicator("cae_2.a")], years=[2021])

    # Scope D, all candidates have 2 communes but c6; ties: syndicats before EPCIs.
    #   A {c2, c3} kept (5); B {c4, c5} kept (7);
    #   E1 {c1, c2} shares c2 with A, c1 is uncovered → conflict [A];
    #   E2 {c3, c4}: c3 is in A and c4 in B, so all its communes are already
    #   counted → skipped silently (no double counting, nothing left out);
    #   c6 kept (2).
    in_dept = aggregate(world.dept, "cae_2.a", 2021)
    assert in_dept.value == Decimal("14")
    assert in_dept.contributors == 3
    assert in_dept.covered_population == 2000 + 3000 + 4000 + 5000 + 6000
    assert in_dept.conflicts == [conflict(world.e1, a)]
    assert in_dept.computed_from["kept"] == sorted([a.pk, b.pk, world.c6.pk])
    # E2's own scope only sees E2.
    assert aggregate(world.e2, "cae_2.a", 2021).value == Decimal("11")
    assert aggregate(a, "cae_2.a", 2021).value == Decimal("5")


def test_a_partial_overlap_with_two_kept_territories_lists_both(world):
    c7 = Territory.objects.create(
        kind=TerritoryKind.COMMUNE, code="99107", name="Commune fictive 7", population=7000
    )
    link(world.dept, c7)
    a = syndicat("25990003", "Syndicat fictif A")  # {c1, c2, c3}
    b = syndicat("25990004", "Syndicat fictif B")  # {c4, c5, c6}
    x = syndicat("25990005", "Syndicat fictif X")  # {c3, c4, c7}
    link(a, world.e1, world.c3)
    link(b, world.e3, world.c4)
    link(x, world.e2, c7)
    rebuild_closure()
    for territory, value in ((a, "5"), (b, "7"), (x, "13"), (world.e2, "11"), (c7, "1")):
        validated(territory, "cae_2.a", 2021, value)

    recompute(indicators=[indicator("cae_2.a")], years=[2021])

    # Scope D: A, B, X have 3 communes each (syndicats, code order A < B < X).
    #   A kept (5); B kept (7);
    #   X shares c3 with A and c4 with B, c7 is uncovered → conflict [A, B];
    #   E2 {c3, c4} all covered → skipped silently; c7 uncovered → kept (1).
    in_dept = aggregate(world.dept, "cae_2.a", 2021)
    assert in_dept.value == Decimal("13")
    assert in_dept.contributors == 3
    assert in_dept.covered_population == 21000 + 7000
    assert in_dept.conflicts == [conflict(x, a, b)]
    assert in_dept.computed_from["candidates"] == 5


def test_an_epci_straddling_two_departements_counts_in_the_region_only(world):
    other_dept = Territory.objects.create(
        kind=TerritoryKind.DEPARTEMENT, code="94", name="Autre département fictif"
    )
    c7, c8 = (
        Territory.objects.create(
            kind=TerritoryKind.COMMUNE,
            code=f"9910{n}",
            name=f"Commune fictive {n}",
            population=1000 * n,
        )
        for n in (7, 8)
    )
    e4 = epci("29990004", "CC fictive à cheval")
    link(world.region, other_dept)
    link(world.dept, c7)
    link(other_dept, c8)
    link(e4, c7, c8)
    rebuild_closure()
    for territory, value in ((e4, "40"), (c7, "15"), (c8, "9")):
        validated(territory, "cae_2.a", 2019, value)

    recompute(indicators=[indicator("cae_2.a")], years=[2019])

    # In D, E4 is not a candidate (c8 is outside D): only c7 counts, no conflict.
    in_dept = aggregate(world.dept, "cae_2.a", 2019)
    assert (in_dept.value, in_dept.contributors, in_dept.covered_population) == (
        Decimal("15"),
        1,
        7000,
    )
    assert in_dept.conflicts == []
    assert aggregate(other_dept, "cae_2.a", 2019).value == Decimal("9")
    # In R, E4 holds both communes: E4 kept, c7 and c8 inside it.
    in_region = aggregate(world.region, "cae_2.a", 2019)
    assert (in_region.value, in_region.contributors, in_region.covered_population) == (
        Decimal("40"),
        1,
        15000,
    )
    assert in_region.conflicts == []
    assert aggregate(e4, "cae_2.a", 2019).value == Decimal("40")


# --- Ratios and means ----------------------------------------------------------


# --- Demonstration data -----------------------------------------------------------


def demo(*values):
    IndicatorValue.objects.filter(pk__in=[v.pk for v in values]).update(is_demo=True)


def test_an_aggregate_of_real_values_only_is_not_demonstration_data(world, energy_2018):
    recompute(indicators=[indicator("cae_2.a")], years=[2018])

    assert not Aggregate.objects.filter(is_demo=True).exists()
    assert Aggregate.objects.count() > 0


def test_an_aggregate_summing_a_demonstration_value_is_demonstration_data(world, energy_2018):
    demo(energy_2018["e3"])

    recompute(indicators=[indicator("cae_2.a")], years=[2018])

    # In D: S1 (80, real) and E3 (60, demo) are kept: a mix is demonstration data.
    in_dept = aggregate(world.dept, "cae_2.a", 2018)
    assert in_dept.computed_from["kept"] == sorted([world.s1.pk, world.e3.pk])
    assert in_dept.is_demo
    assert aggregate(world.region, "cae_2.a", 2018).is_demo
    assert aggregate(world.e3, "cae_2.a", 2018).is_demo
    # S1 sums its own (real) value only.
    assert not aggregate(world.s1, "cae_2.a", 2018).is_demo


def test_a_demonstration_value_hidden_by_a_kept_territory_does_not_label_the_aggregate(
    world, energy_2018
):
    demo(energy_2018["c6"])  # inside E3, which is kept instead of it

    recompute(indicators=[indicator("cae_2.a")], years=[2018])

    assert not aggregate(world.e3, "cae_2.a", 2018).is_demo
    assert not aggregate(world.dept, "cae_2.a", 2018).is_demo


def test_the_exact_walk_over_partial_overlaps_labels_demonstration_data_too(world, energy_2018):
    demo(energy_2018["s1"])

    recompute(indicators=[indicator("cae_2.a")], years=[2018])

    # D is redone by the greedy walk (S2 overlaps S1 partially); S1 is kept there.
    in_dept = aggregate(world.dept, "cae_2.a", 2018)
    assert in_dept.conflicts == [conflict(world.s2, world.s1)]
    assert in_dept.is_demo


def test_a_ratio_is_demonstration_data_when_one_of_its_components_is(world):
    validated(world.c1, "cae_2.a", 2020, "40")
    demo(validated(world.c1, "cae_3.a", 2020, "4000"))

    recompute(indicators=[indicator("cae_2.a"), indicator("cae_3.b")], years=[2020])

    assert aggregate(world.e1, "cae_3.b", 2020).is_demo
    assert not aggregate(world.e1, "cae_2.a", 2020).is_demo


@pytest.fixture
def renewables_2020(world):
    """cae_2.a (GWh) and cae_3.a (MWh) in 2020. c4 reports only the consumption,
    c5 only the production: neither may enter the share of renewables."""
    for name, value in (("e1", "40"), ("c1", "12"), ("c3", "20"), ("c4", "30"), ("e3", "50")):
        validated(getattr(world, name), "cae_2.a", 2020, value)
    for name, value in (
        ("e1", "4000"),
        ("c1", "1000"),
        ("c3", "3000"),
        ("e3", "2500"),
        ("c5", "700"),
    ):
        validated(getattr(world, name), "cae_3.a", 2020, value)


def test_a_ratio_is_recomputed_from_the_summed_components_of_territories_reporting_both(
    world, renewables_2020
):
    recompute(indicators=[indicator("cae_3.b")], years=[2020])

    # cae_3.b = val(cae_3.a)/1000/val(cae_2.a)*100. In D, territories with both
    # components: E1, E3, c1, c3. Kept: E1, E3, c3 (c1 is inside E1).
    #   Σ cae_3.a = 4000 + 2500 + 3000 = 9500 MWh; Σ cae_2.a = 40 + 50 + 20 = 110 GWh
    #   9500 / 1000 / 110 * 100 = 8.6363636… → 8.636364
    # (The ratio of the plain sums, 9500/1000/140*100 = 6.79, or the mean of the
    # territories' ratios would be wrong.)
    in_dept = aggregate(world.dept, "cae_3.b", 2020)
    assert in_dept.value == Decimal("8.636364")
    assert in_dept.contributors == 3
    assert in_dept.covered_population == 3000 + 11000 + 3000
    assert in_dept.computed_from["kept"] == sorted([world.e1.pk, world.e3.pk, world.c3.pk])

    # S1 = {c1..c4}: E1 and c3 kept → 7000/1000/60*100 = 11.666666… → 11.666667
    assert aggregate(world.s1, "cae_3.b", 2020).value == Decimal("11.666667")
    # E3: c5 has no consumption, so only E3 → 2500/1000/50*100 = 5
    assert aggregate(world.e3, "cae_3.b", 2020).value == Decimal("5")
    # E2: only c3 has both (c4 has no production) → 3000/1000/20*100 = 15
    in_e2 = aggregate(world.e2, "cae_3.b", 2020)
    assert in_e2.value == Decimal("15")
    assert in_e2.contributors == 1
    assert in_e2.covered_population == 3000


def test_the_components_of_a_ratio_are_aggregated_on_their_own(world, renewables_2020):
    recompute(indicators=[indicator("cae_2.a"), indicator("cae_3.a")], years=[2020])

    # cae_2.a in D: E1, E3 kept; c1 inside E1; c3, c4 kept → 40 + 50 + 20 + 30
    assert aggregate(world.dept, "cae_2.a", 2020).value == Decimal("140")
    # cae_3.a in D: E1, E3 kept; c1 inside E1, c5 inside E3; c3 kept → 4000 + 2500 + 3000
    assert aggregate(world.dept, "cae_3.a", 2020).value == Decimal("9500")


def test_a_per_capita_ratio_divides_by_the_covered_population_when_none_is_reported(
    world, energy_2018
):
    recompute(indicators=[indicator("cae_2.b")], years=[2018])

    # cae_2.b = val(cae_2.a)/val(terr_1)*1000, no terr_1 reported: D keeps S1 and E3,
    # 140 GWh over 21000 inhabitants → 140/21000*1000 = 6.666666… → 6.666667 MWh/hab
    in_dept = aggregate(world.dept, "cae_2.b", 2018)
    assert in_dept.value == Decimal("6.666667")
    assert in_dept.covered_population == 21000
    assert in_dept.contributors == 2
    # E3 keeps E3 alone: 60/11000*1000 = 5.454545…
    assert aggregate(world.e3, "cae_2.b", 2018).value == Decimal("5.454545")


def test_a_weighted_mean_weighs_each_kept_territory_by_the_population_of_its_communes(world):
    for name, value in (("e1", "50"), ("c1", "80"), ("c3", "20"), ("c4", "30")):
        validated(getattr(world, name), "cae_20", 2018, value)

    recompute(indicators=[indicator("cae_20")], years=[2018])

    # D keeps E1 (c1 + c2 = 3000 inhabitants; c1 inside it is skipped), c3 (3000), c4 (4000):
    # (50×3000 + 20×3000 + 30×4000) / 10000 = 330000 / 10000 = 33
    # (E1's own population field, 1 000 000, must not be the weight.)
    in_dept = aggregate(world.dept, "cae_20", 2018)
    assert in_dept.value == Decimal("33")
    assert in_dept.covered_population == 10000
    assert in_dept.contributors == 3


def test_a_weighted_mean_sets_aside_a_partially_overlapping_territory(world):
    for name, value in (("s1", "40"), ("s2", "100"), ("c5", "10"), ("c6", "25")):
        validated(getattr(world, name), "cae_20", 2019, value)

    recompute(indicators=[indicator("cae_20")], years=[2019])

    # D: S1 kept (10000 inhabitants), S2 in conflict with it, c5 (5000) and c6 (6000) kept:
    # (40×10000 + 10×5000 + 25×6000) / 21000 = 600000 / 21000 = 28.5714285… → 28.571429
    in_dept = aggregate(world.dept, "cae_20", 2019)
    assert in_dept.value == Decimal("28.571429")
    assert in_dept.covered_population == 21000
    assert in_dept.contributors == 3
    assert in_dept.conflicts == [conflict(world.s2, world.s1)]


def test_a_ratio_sets_aside_a_partially_overlapping_territory(world, energy_2018):
    for name, value in (("s1", "8000"), ("s2", "9000"), ("e3", "3000")):
        validated(getattr(world, name), "cae_3.a", 2018, value)

    recompute(indicators=[indicator("cae_3.b")], years=[2018])

    # Both components in 2018: S1, S2, E3 (c1, E1, c6 have no production).
    # D: S1 kept, S2 in conflict with it, E3 kept →
    # (8000 + 3000) / 1000 / (80 + 60) * 100 = 7.857142… → 7.857143
    in_dept = aggregate(world.dept, "cae_3.b", 2018)
    assert in_dept.value == Decimal("7.857143")
    assert in_dept.contributors == 2
    assert in_dept.covered_population == 21000
    assert in_dept.conflicts == [conflict(world.s2, world.s1)]
    assert in_dept.computed_from["candidates"] == 3


# --- Which values count, and keeping the rows in line with them ------------------------


@pytest.mark.parametrize(
    "status",
    [ValueStatus.DRAFT, ValueStatus.SUBMITTED, ValueStatus.REJECTED, ValueStatus.SUPERSEDED],
)
def test_values_that_are_not_validated_are_ignored(world, energy_2018, status):
    # Counted, D's own value would replace everything; E2's would give E2 a row.
    for territory in (world.dept, world.e2):
        IndicatorValue.objects.create(
            territory=territory,
            indicator=indicator("cae_2.a"),
            year=2018,
            value=Decimal("5000"),
            status=status,
        )

    recompute(indicators=[indicator("cae_2.a")], years=[2018])

    in_dept = aggregate(world.dept, "cae_2.a", 2018)
    assert in_dept.value == Decimal("140")
    assert in_dept.computed_from["candidates"] == 6
    assert not has_aggregate(world.e2, "cae_2.a", 2018)


def test_a_superseded_value_no_longer_counts_after_a_recompute(world, energy_2018):
    recompute(indicators=[indicator("cae_2.a")], years=[2018])
    energy_2018["e3"].status = ValueStatus.SUPERSEDED
    energy_2018["e3"].save()

    recompute(indicators=[indicator("cae_2.a")], years=[2018])

    # D: S1 kept (80), S2 conflict, E1 and c1 inside S1, c6 now kept (25) → 105
    in_dept = aggregate(world.dept, "cae_2.a", 2018)
    assert in_dept.value == Decimal("105")
    assert in_dept.contributors == 2
    assert in_dept.covered_population == 10000 + 6000
    # E3: only c6 remains.
    in_e3 = aggregate(world.e3, "cae_2.a", 2018)
    assert in_e3.value == Decimal("25")
    assert in_e3.covered_population == 6000


def test_an_aggregate_whose_values_all_disappeared_is_deleted(world, energy_2018):
    recompute(indicators=[indicator("cae_2.a")], years=[2018])
    assert has_aggregate(world.e3, "cae_2.a", 2018)
    energy_2018["e3"].delete()
    energy_2018["c6"].status = ValueStatus.SUPERSEDED
    energy_2018["c6"].save()

    recompute(indicators=[indicator("cae_2.a")], years=[2018])

    assert not has_aggregate(world.e3, "cae_2.a", 2018)
    # D: S1 kept, S2 still in conflict with it, nothing left in c5, c6.
    in_dept = aggregate(world.dept, "cae_2.a", 2018)
    assert in_dept.value == Decimal("80")
    assert in_dept.contributors == 1
    assert in_dept.conflicts == [conflict(world.s2, world.s1)]


def test_recomputing_twice_gives_the_same_rows(world, energy_2018, renewables_2020):
    recompute()
    first = rows()

    recompute()

    assert rows() == first
    assert len(first) > 6


def test_without_years_every_year_with_validated_values_is_recomputed(world, energy_2018):
    validated(world.c3, "cae_2.a", 2019, "7")

    recompute(indicators=[indicator("cae_2.a")])

    assert aggregate(world.dept, "cae_2.a", 2018).value == Decimal("140")
    assert aggregate(world.dept, "cae_2.a", 2019).value == Decimal("7")


def test_after_a_validation_a_scope_whose_walk_met_a_partial_overlap_is_recomputed(
    world, energy_2018
):
    from indicators.aggregation import recompute_pending, record_pending

    recompute(indicators=[indicator("cae_2.a")])
    corrected = energy_2018["e3"]
    corrected.value = Decimal("70")
    corrected.save()
    record_pending([corrected], replaced={(world.e3.pk, corrected.indicator_id, 2018)})

    recompute_pending()

    # E3 lies inside S2, which reports; but the walk set S2 aside in the département
    # (a partial overlap with S1) and kept E3: its new value counts there…
    assert aggregate(world.dept, "cae_2.a", 2018).value == Decimal("150")
    # … not in S2, where S2 itself is kept.
    assert aggregate(world.s2, "cae_2.a", 2018).value == Decimal("90")
    incremental = rows()
    recompute(indicators=[indicator("cae_2.a")])
    assert rows() == incremental


def test_a_restricted_recompute_only_rewrites_the_requested_rows(world, energy_2018):
    validated(world.c3, "cae_2.a", 2019, "7")
    validated(world.e1, "cae_20", 2018, "50")
    recompute(indicators=[indicator("cae_2.a"), indicator("cae_20")], years=[2018, 2019])
    before = {
        (a.scope_id, a.indicator.identifier, a.year): (a.value, a.computed_at)
        for a in Aggregate.objects.select_related("indicator")
    }
    energy_2018["e3"].status = ValueStatus.SUPERSEDED
    energy_2018["e3"].save()
    validated(world.e3, "cae_2.a", 2018, "70")

    recompute(indicators=[indicator("cae_2.a")], years=[2018], scopes=[world.e3.pk])

    assert aggregate(world.e3, "cae_2.a", 2018).value == Decimal("70")
    after = {
        (a.scope_id, a.indicator.identifier, a.year): (a.value, a.computed_at)
        for a in Aggregate.objects.select_related("indicator")
    }
    del before[(world.e3.pk, "cae_2.a", 2018)], after[(world.e3.pk, "cae_2.a", 2018)]
    assert after == before  # D still says 140, with its old computed_at
    assert before[(world.dept.pk, "cae_2.a", 2018)][0] == Decimal("140")

    recompute(indicators=[indicator("cae_2.a")], years=[2018], scopes=[world.dept.pk])

    assert aggregate(world.dept, "cae_2.a", 2018).value == Decimal("150")  # 80 + 70
    assert aggregate(world.region, "cae_2.a", 2018).value == Decimal("140")  # not asked


# --- On the real Hauts-de-France territories ---------------------------------------


def test_in_the_pas_de_calais_the_ca_de_lens_lievin_hides_its_reporting_communes(db):
    lens_lievin = Territory.objects.get(kind=TerritoryKind.EPCI, siren="246200364")
    lens = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="62498")
    lievin = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="62510")
    validated(lens, "cae_2.a", 2018, "300")
    validated(lievin, "cae_2.a", 2018, "250")
    validated(lens_lievin, "cae_2.a", 2018, "1200")
    population = sum(communes_of(lens_lievin).values_list("population", flat=True))
    assert communes_of(lens_lievin).count() == 36

    recompute()

    pas_de_calais = Territory.objects.get(kind=TerritoryKind.DEPARTEMENT, code="62")
    hauts_de_france = Territory.objects.get(kind=TerritoryKind.REGION, code="32")
    for scope in (pas_de_calais, hauts_de_france, lens_lievin):
        row = aggregate(scope, "cae_2.a", 2018)
        assert row.value == Decimal("1200")
        assert row.contributors == 1
        assert row.covered_population == population
        assert row.conflicts == []
        assert row.computed_from["kept"] == [lens_lievin.pk]
        assert row.computed_from["candidates"] == 3
    nord = Territory.objects.get(kind=TerritoryKind.DEPARTEMENT, code="59")
    assert not has_aggregate(nord, "cae_2.a", 2018)


def test_a_commune_of_the_cc_du_ternois_counts_in_its_departement_not_in_the_somme(db):
    # The CC du Ternois straddles the Pas-de-Calais and the Somme; Anvin is one of
    # its Pas-de-Calais communes.
    ternois = Territory.objects.get(kind=TerritoryKind.EPCI, siren="200069672")
    anvin = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="62036")
    assert ternois.child_memberships.filter(child=anvin).exists()
    validated(anvin, "cae_2.a", 2018, "5")

    recompute(indicators=[indicator("cae_2.a")], years=[2018])

    pas_de_calais = Territory.objects.get(kind=TerritoryKind.DEPARTEMENT, code="62")
    somme = Territory.objects.get(kind=TerritoryKind.DEPARTEMENT, code="80")
    assert aggregate(pas_de_calais, "cae_2.a", 2018).value == Decimal("5")
    assert aggregate(ternois, "cae_2.a", 2018).value == Decimal("5")
    assert not has_aggregate(somme, "cae_2.a", 2018)
