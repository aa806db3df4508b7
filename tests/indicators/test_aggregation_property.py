"""Property: the set-based fast path of the aggregation gives what the literal greedy
rule of DESIGN.md (*Regional aggregates*) gives, value for value.

Hypothesis draws small fictitious worlds — a région, one or two départements, a few
communes with populations, EPCIs grouping some of them (one may straddle the two
départements), syndicats grouping EPCIs and communes so that they nest in some places
and overlap partially in others — and validated (or not) values of the stored
components for a few years. The real recompute (``indicators.aggregation.recompute``:
bit masks, kept sets in SQL, the greedy walk redone where kept territories overlap)
runs over the five kinds of aggregation of the catalogue at once; its rows are compared
with the rule restated here in plain Python, from the drawn world alone (no SQL, no
closure table):

* the candidates of a scope are the territories with a validated value of every
  component that year lying inside it — the scope itself, its members (transitively),
  and for a région or a département every EPCI and syndicat whose communes all lie in
  it;
* each candidate is reduced to its communes; walking them from the largest commune set
  down (ties: région, département, syndicat, EPCI, commune, then the code), a candidate
  none of whose communes is covered yet is kept, one wholly covered is skipped, one
  partly covered is a conflict (with the codes of the kept territories it meets);
* sums add the kept values; ratios are recomputed from the summed components (a
  population in a formula is the covered population); a weighted mean weighs each kept
  value by the population of the territory's communes; everything is rounded to 6
  decimal places, and a division by zero gives no value;
* an aggregate is demonstration data as soon as one of the values it sums (of a kept
  territory, any component) is.

The generated groupings always hold communes: a territory without any would be "wholly
uncovered" and "wholly inside" at once, a case the rule does not settle.
"""

from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation
from functools import cache

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from indicators.aggregation import recompute
from indicators.models import Aggregate, Aggregation, Indicator, IndicatorValue, ValueStatus
from territories.models import (
    EpciNature,
    Membership,
    SyndicatNature,
    Territory,
    TerritoryClosure,
    TerritoryKind,
    TerritoryOverlap,
)
from territories.services import compute_closure
from tests.territories.factories import luhn_siren

YEARS = (1990, 2012, 2013, 2018, 2025)  # spans of 1 to 36 years: one mask column or five
STORED = ("cae_2.a", "cae_3.a", "cae_20")
OFTEN, RARELY = (False, True, True, True), (False, False, False, True)
SIXTH = Decimal("0.000001")
# The walk's order among candidates with as many communes.
KIND_ORDER = (
    TerritoryKind.REGION,
    TerritoryKind.DEPARTEMENT,
    TerritoryKind.SYNDICAT,
    TerritoryKind.EPCI,
    TerritoryKind.COMMUNE,
)


def _quotient(compute):
    try:
        return compute()
    except (ZeroDivisionError, DivisionByZero, InvalidOperation):
        return None


# identifier → (stored components, value from (component sums, covered population,
# population-weighted sum of the first component)); the catalogue is checked against it.
RULES = {
    "cae_2.a": (("cae_2.a",), lambda sums, population, weighted: sums[0]),
    "cae_3.a": (("cae_3.a",), lambda sums, population, weighted: sums[0]),
    # val(cae_3.a)/1000/val(cae_2.a)*100: renewable share, in %, from MWh and GWh
    "cae_3.b": (
        ("cae_3.a", "cae_2.a"),
        lambda sums, population, weighted: _quotient(lambda: sums[0] / 1000 / sums[1] * 100),
    ),
    # val(cae_2.a)/val(terr_1)*1000: MWh per inhabitant, over the covered population
    "cae_2.b": (
        ("cae_2.a",),
        lambda sums, population, weighted: _quotient(lambda: sums[0] / population * 1000),
    ),
    # population-weighted mean
    "cae_20": (
        ("cae_20",),
        lambda sums, population, weighted: _quotient(lambda: weighted / population),
    ),
}
CATALOGUE = {
    "cae_2.a": (Aggregation.SUM, ""),
    "cae_3.a": (Aggregation.SUM, ""),
    "cae_3.b": (Aggregation.RATIO, "val(cae_3.a)/1000/val(cae_2.a)*100"),
    "cae_2.b": (Aggregation.RATIO, "val(cae_2.a)/val(terr_1)*1000"),
    "cae_20": (Aggregation.WEIGHTED_MEAN, ""),
}

if connection.vendor == "sqlite":
    # SQLite sums decimals as binary floats: values in quarters add up exactly there.
    AMOUNTS = st.integers(0, 4_000_000).map(lambda n: Decimal(n) / 4)
else:
    AMOUNTS = st.integers(0, 10**12).map(lambda n: Decimal(n).scaleb(-6))


# --- The drawn world ----------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    key: str
    kind: str
    code: str
    population: int | None = None


@dataclass(frozen=True)
class World:
    places: tuple[Place, ...]
    members: tuple[tuple[str, str], ...]  # (parent key, child key)
    # key, identifier, year, value, status, whether it is demonstration data
    values: tuple[tuple[str, str, int, Decimal, str, bool], ...]
    years: tuple[int, ...] | None  # what the recompute is asked for (None: all)
    scopes: tuple[str, ...] | None

    def __repr__(self):  # what Hypothesis prints of a counterexample
        return (
            f"World(places={[(p.key, p.code, p.population) for p in self.places]}, "
            f"members={list(self.members)}, "
            f"values={[(k, i, y, str(v), s, d) for k, i, y, v, s, d in self.values]}, "
            f"years={self.years}, scopes={self.scopes})"
        )


@st.composite
def worlds(draw):
    places = [Place("R", TerritoryKind.REGION, "00")]
    members = []
    departements = draw(st.sampled_from([2, 1]))
    for d in range(departements):
        places.append(Place(f"D{d}", TerritoryKind.DEPARTEMENT, f"9{5 - d}"))
        members.append(("R", f"D{d}"))
    communes = draw(st.integers(2, 7))
    for c in range(communes):
        population = draw(st.none() | st.integers(0, 9000))
        places.append(Place(f"c{c}", TerritoryKind.COMMUNE, f"991{c:02d}", population))
        # every département holds a commune
        d = c if c < departements else draw(st.integers(0, departements - 1))
        members.append((f"D{d}", f"c{c}"))
    # Each commune in at most one EPCI (an EPCI may straddle the two départements).
    epci_of = draw(st.lists(st.none() | st.integers(0, 2), min_size=communes, max_size=communes))
    epcis = sorted({e for e in epci_of if e is not None})
    for e in epcis:
        places.append(Place(f"E{e}", TerritoryKind.EPCI, luhn_siren(f"2999{e:04d}")))
        members.extend((f"E{e}", f"c{c}") for c, mine in enumerate(epci_of) if mine == e)
    # Syndicats: runs of neighbouring EPCIs and communes outside any EPCI (so that they
    # nest in, overlap or equal one another), plus maybe a few communes taken alone
    # (overlapping the EPCI that holds them).
    units = []
    for c, e in enumerate(epci_of):
        unit = f"c{c}" if e is None else f"E{e}"
        if unit not in units:
            units.append(unit)
    for s in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, len(units) - 1))
        chosen = units[start : draw(st.integers(start + 1, len(units)))]
        alone = draw(st.sets(st.integers(0, communes - 1), max_size=2))
        chosen += [f"c{c}" for c in sorted(alone) if f"c{c}" not in chosen]
        places.append(Place(f"S{s}", TerritoryKind.SYNDICAT, luhn_siren(f"2599{s:04d}")))
        members.extend((f"S{s}", member) for member in chosen)
    keys = [place.key for place in places]
    # Values: dense enough that nested and overlapping territories report the same
    # indicator the same year, some of them not validated.
    reported_years = sorted(draw(st.sets(st.sampled_from(YEARS), min_size=1, max_size=2)))
    identifiers = sorted(draw(st.sets(st.sampled_from(STORED), min_size=1)))
    combos = [(identifier, year) for identifier in identifiers for year in reported_years]
    values = []
    for key in keys:
        # Three in four communes and groupings report, one in four régions and
        # départements (whose values hide everything inside them).
        if not draw(st.sampled_from(RARELY if key[0] in "RD" else OFTEN)):
            continue
        # A bit per combination; all report the first one.
        reported = draw(st.integers(0, 2 ** (len(combos) - 1) - 1)) << 1 | 1
        for identifier, year in (c for n, c in enumerate(combos) if reported >> n & 1):
            status = draw(st.sampled_from([ValueStatus.VALIDATED] * 4 + [ValueStatus.SUBMITTED]))
            demo = draw(st.sampled_from(RARELY))
            values.append((key, identifier, year, draw(AMOUNTS), status, demo))
    years = draw(st.none() | st.sets(st.sampled_from(YEARS), min_size=1).map(sorted).map(tuple))
    scope_keys = [key for key in keys if key[0] in "RDES"]
    scopes = draw(st.none() | st.sets(st.sampled_from(scope_keys), min_size=1).map(sorted))
    return World(
        tuple(places),
        tuple(members),
        tuple(values),
        years,
        None if scopes is None else tuple(scopes),
    )


# --- The rule, restated --------------------------------------------------------------


class Rule:
    """The aggregates the greedy rule gives for a world, computed without the database."""

    def __init__(self, world: World):
        self.world = world
        self.places = {place.key: place for place in world.places}
        self.children: dict[str, set[str]] = {key: set() for key in self.places}
        for parent, child in world.members:
            self.children[parent].add(child)
        self.validated = {
            (key, identifier, year): value
            for key, identifier, year, value, status, _demo in world.values
            if status == ValueStatus.VALIDATED
        }
        self.demo = {
            (key, identifier, year)
            for key, identifier, year, _value, status, demo in world.values
            if status == ValueStatus.VALIDATED and demo
        }

    @cache  # noqa: B019 (one Rule per example)
    def communes(self, key: str) -> frozenset[str]:
        if self.places[key].kind == TerritoryKind.COMMUNE:
            return frozenset([key])
        return frozenset().union(*(self.communes(child) for child in self.children[key]))

    @cache  # noqa: B019
    def members(self, key: str) -> frozenset[str]:
        """Members, their members and so on."""
        return frozenset(self.children[key]).union(
            *(self.members(child) for child in self.children[key])
        )

    def inside(self, scope: str, key: str) -> bool:
        if key == scope or key in self.members(scope):
            return True
        return (
            self.places[scope].kind in (TerritoryKind.REGION, TerritoryKind.DEPARTEMENT)
            and self.places[key].kind in (TerritoryKind.EPCI, TerritoryKind.SYNDICAT)
            and self.communes(key) <= self.communes(scope)
        )

    def scopes(self) -> list[str]:
        """Régions, départements, syndicats and EPCIs with something inside them."""
        chosen = self.world.scopes or [p.key for p in self.world.places]
        return [
            scope
            for scope in chosen
            if self.places[scope].kind != TerritoryKind.COMMUNE
            and any(key != scope and self.inside(scope, key) for key in self.places)
        ]

    def population(self, key: str) -> int:
        return sum(self.places[c].population or 0 for c in self.communes(key))

    def walk(self, candidates: list[str]) -> tuple[list[str], list[dict]]:
        def order(key):
            place = self.places[key]
            return (-len(self.communes(key)), KIND_ORDER.index(place.kind), place.code)

        covered: dict[str, str] = {}  # commune → code of the kept territory holding it
        kept, conflicts = [], []
        for key in sorted(candidates, key=order):
            mine = self.communes(key)
            shared = mine & covered.keys()
            if not shared:
                kept.append(key)
                covered.update(dict.fromkeys(mine, self.places[key].code))
            elif shared != mine:
                conflicts.append(
                    {
                        "key": key,
                        "code": self.places[key].code,
                        "overlaps": sorted({covered[c] for c in shared}),
                    }
                )
        return kept, sorted(conflicts, key=lambda conflict: conflict["code"])

    def aggregates(self) -> dict[tuple[str, str, int], dict]:
        found = {}
        years = self.world.years or YEARS
        for scope in self.scopes():
            for identifier, (components, value_of) in RULES.items():
                for year in years:
                    candidates = [
                        key
                        for key in self.places
                        if self.inside(scope, key)
                        and all((key, c, year) in self.validated for c in components)
                    ]
                    if not candidates:
                        continue
                    kept, conflicts = self.walk(candidates)
                    sums = [sum(self.validated[k, c, year] for k in kept) for c in components]
                    population = sum(self.population(k) for k in kept)
                    weighted = sum(
                        self.validated[k, components[0], year] * self.population(k) for k in kept
                    )
                    value = value_of(sums, population, weighted)
                    found[scope, identifier, year] = {
                        "value": None if value is None else value.quantize(SIXTH),
                        "covered_population": population,
                        "contributors": len(kept),
                        "kept": sorted(kept),
                        "candidates": len(candidates),
                        "conflicts": conflicts,
                        # demonstration data as soon as one value summed is
                        "is_demo": any((k, c, year) in self.demo for k in kept for c in components),
                    }
        return found


# --- The world in the database, and the fast path's rows ------------------------------------


def close(territories: dict[str, Territory], members) -> None:
    """What ``territories.services.rebuild_closure`` writes for these territories, which
    no imported one contains nor is inside: their closure, their partial overlaps and
    their flags — without walking the 3 800 imported territories at each example."""
    nesting = compute_closure(
        {t.pk: t.kind for t in territories.values()},
        [(territories[parent].pk, territories[child].pk) for parent, child in members],
    )
    TerritoryClosure.objects.bulk_create(
        TerritoryClosure(ancestor_id=a, descendant_id=d, depth=depth, contains_whole=whole)
        for (a, d), (depth, whole) in nesting.closure.items()
    )
    TerritoryOverlap.objects.bulk_create(
        TerritoryOverlap(territory_id=x, other_id=y)
        for a, b in nesting.overlaps
        for x, y in ((a, b), (b, a))
    )
    Territory.objects.filter(pk__in=nesting.partial_overlaps).update(overlaps_partially=True)


def materialise(world: World) -> dict[str, Territory]:
    territories = {}
    for place in world.places:
        kind = place.kind
        name = f"{kind.label} fictif {place.key}"
        territories[place.key] = Territory(
            kind=kind,
            code=place.code,
            siren=place.code if kind in (TerritoryKind.EPCI, TerritoryKind.SYNDICAT) else "",
            epci_nature=EpciNature.CC if kind == TerritoryKind.EPCI else "",
            syndicat_nature=SyndicatNature.OTHER if kind == TerritoryKind.SYNDICAT else "",
            name=name,
            slug=Territory.make_slug(name, place.code),
            # Groupings carry a misleading population: the rule counts communes.
            population=place.population if kind == TerritoryKind.COMMUNE else 1_000_000,
        )
    Territory.objects.bulk_create(territories.values())
    Membership.objects.bulk_create(
        Membership(parent=territories[parent], child=territories[child])
        for parent, child in world.members
    )
    close(territories, world.members)
    indicators = {i.identifier: i for i in Indicator.objects.filter(identifier__in=STORED)}
    now = timezone.now()
    IndicatorValue.objects.bulk_create(
        IndicatorValue(
            territory=territories[key],
            indicator=indicators[identifier],
            year=year,
            value=value,
            status=status,
            is_demo=demo,
            validated_at=now if status == ValueStatus.VALIDATED else None,
        )
        for key, identifier, year, value, status, demo in world.values
    )
    return territories


def fast_path(world: World, territories: dict[str, Territory]) -> dict[tuple[str, str, int], dict]:
    catalogue = {i.identifier: i for i in Indicator.objects.filter(identifier__in=RULES)}
    recompute(
        indicators=[catalogue[identifier] for identifier in RULES],
        years=world.years,
        scopes=None if world.scopes is None else [territories[k].pk for k in world.scopes],
    )
    key_of = {territory.pk: key for key, territory in territories.items()}
    found = {}
    for row in Aggregate.objects.filter(
        scope__in=territories.values(), indicator__identifier__in=RULES
    ).select_related("indicator"):
        found[key_of[row.scope_id], row.indicator.identifier, row.year] = {
            "value": row.value,
            "covered_population": row.covered_population,
            "contributors": row.contributors,
            "kept": sorted(key_of[pk] for pk in row.computed_from["kept"]),
            "candidates": row.computed_from["candidates"],
            "conflicts": [
                {
                    "key": key_of[conflict["territory_id"]],
                    "code": conflict["code"],
                    "overlaps": conflict["overlaps"],
                }
                for conflict in row.conflicts
            ],
            "is_demo": row.is_demo,
        }
    return found


def describe(rule: Rule, expected: dict) -> None:
    """What the example exercises (``pytest --hypothesis-show-statistics``)."""
    if any(row["conflicts"] for row in expected.values()):
        event("a partial overlap (conflict)")
    if any(row["is_demo"] for row in expected.values()) and not all(
        row["is_demo"] for row in expected.values()
    ):
        event("demonstration and real aggregates side by side")
    if any(row["value"] is None for row in expected.values()):
        event("a ratio or mean without a value (division by zero)")
    years = {year for _key, _identifier, year, _value, _status, _demo in rule.world.values}
    if years and max(years) - min(years) > 12:
        event("years too far apart for the five plans to share a mask column")
    for key, place in rule.places.items():
        if place.kind == TerritoryKind.EPCI:
            departements = {d for d, c in rule.world.members if d[0] == "D" and c[0] == "c"}
            if len({d for d in departements if rule.communes(key) & rule.communes(d)}) > 1:
                event("an EPCI straddling two départements")
                break


# --- The property ---------------------------------------------------------------------


def test_the_rule_restated_here_is_the_catalogue_s(db):
    for identifier, (aggregation, formula) in CATALOGUE.items():
        indicator = Indicator.objects.get(identifier=identifier)
        assert (indicator.aggregation, indicator.formula) == (aggregation, formula)


@pytest.mark.django_db
@settings(
    max_examples=150 if connection.vendor == "sqlite" else 100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_the_fast_path_gives_what_the_greedy_rule_gives(world):
    with transaction.atomic():  # each example sees only its own rows
        territories = materialise(world)
        actual = fast_path(world, territories)
        transaction.set_rollback(True)
    rule = Rule(world)
    expected = rule.aggregates()
    describe(rule, expected)
    for key in sorted(expected.keys() | actual.keys()):
        if expected.get(key) != actual.get(key):
            note(f"{key}: rule {expected.get(key)} ≠ fast path {actual.get(key)}")
    assert actual == expected
