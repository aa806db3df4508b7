"""State-changing use cases of the territories app."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from django.db import transaction

from territories.models import (
    Membership,
    Territory,
    TerritoryClosure,
    TerritoryKind,
    TerritoryOverlap,
)
from territories.selectors import commune_population_totals

GROUPING_KINDS = (TerritoryKind.EPCI, TerritoryKind.SYNDICAT)
BATCH_SIZE = 5000


@dataclass
class Nesting:
    """The closure of the membership graph: ``{(ancestor, descendant): (depth, whole)}``
    (``whole``: every commune of the descendant is in the ancestor) and the territories
    that share communes with a territory that neither contains them nor is inside them."""

    closure: dict[tuple[int, int], tuple[int, bool]]
    overlaps: set[tuple[int, int]]  # (a, b) with a < b: partially overlapping pairs

    @property
    def partial_overlaps(self) -> set[int]:
        return {t for pair in self.overlaps for t in pair}


def compute_closure(kinds: dict[int, str], memberships: Iterable[tuple[int, int]]) -> Nesting:
    """Shortest depths, whole containment and partial overlaps of the membership graph.

    Besides the stored memberships, an EPCI or a syndicat belongs to the
    département(s) of its communes (so "the EPCIs of the Nord" is one query) — not
    always wholly: an EPCI may straddle two départements."""
    parents: dict[int, set[int]] = defaultdict(set)
    children: dict[int, set[int]] = defaultdict(set)
    for parent, child in memberships:
        parents[child].add(parent)
        children[parent].add(child)

    @cache
    def communes_of(territory: int) -> frozenset[int]:
        if kinds[territory] == TerritoryKind.COMMUNE:
            return frozenset([territory])
        found: set[int] = set()
        for child in children[territory]:
            found |= communes_of(child)
        return frozenset(found)

    for grouping in (t for t, kind in kinds.items() if kind in GROUPING_KINDS):
        for commune in communes_of(grouping):
            parents[grouping].update(
                p for p in parents[commune] if kinds[p] == TerritoryKind.DEPARTEMENT
            )

    @cache
    def ancestors_of(territory: int) -> dict[int, int]:
        found = {territory: 0}
        for parent in parents[territory]:
            for ancestor, depth in ancestors_of(parent).items():
                if depth + 1 < found.get(ancestor, depth + 2):
                    found[ancestor] = depth + 1
        return found

    # Keep only ancestors that really hold communes of the territory: an EPCI
    # straddling two départements must not make its communes of one département
    # descendants of the other.
    closure = {}
    ancestors: dict[int, list[int]] = defaultdict(list)
    for territory in kinds:
        mine = communes_of(territory)
        for ancestor, depth in ancestors_of(territory).items():
            theirs = communes_of(ancestor)
            if mine and ancestor != territory and not mine & theirs:
                continue
            closure[(ancestor, territory)] = (depth, mine <= theirs)
            ancestors[territory].append(ancestor)

    def nested(a: int, b: int) -> bool:
        return closure.get((a, b), (0, False))[1] or closure.get((b, a), (0, False))[1]

    overlaps = set()
    for territory, kind in kinds.items():
        if kind == TerritoryKind.COMMUNE:
            continue
        for commune in communes_of(territory):
            for other in ancestors[commune]:
                if other != territory and not nested(territory, other):
                    overlaps.add((min(territory, other), max(territory, other)))
    return Nesting(closure, overlaps)


@transaction.atomic
def rebuild_closure() -> tuple[int, int]:
    """Bring the closure table (the partial-overlap flags, and the populations of the
    territories holding communes) in line with the memberships; returns (closure rows
    added, removed).

    Writes only the difference, so a rebuild after a small change is cheap and a
    rebuild with nothing changed writes nothing."""
    kinds = dict(Territory.objects.values_list("id", "kind"))
    nesting = compute_closure(kinds, Membership.objects.values_list("parent_id", "child_id"))
    wanted = nesting.closure
    stale_ids = []
    for pk, ancestor, descendant, depth, whole in TerritoryClosure.objects.values_list(
        "id", "ancestor_id", "descendant_id", "depth", "contains_whole"
    ).iterator(chunk_size=BATCH_SIZE):
        if wanted.get((ancestor, descendant)) == (depth, whole):
            del wanted[(ancestor, descendant)]
        else:
            stale_ids.append(pk)
    for start in range(0, len(stale_ids), BATCH_SIZE):
        TerritoryClosure.objects.filter(id__in=stale_ids[start : start + BATCH_SIZE]).delete()
    TerritoryClosure.objects.bulk_create(
        (
            TerritoryClosure(ancestor_id=a, descendant_id=d, depth=depth, contains_whole=whole)
            for (a, d), (depth, whole) in wanted.items()
        ),
        batch_size=BATCH_SIZE,
    )
    wanted_pairs = {p for a, b in nesting.overlaps for p in ((a, b), (b, a))}
    stored_pairs = set(TerritoryOverlap.objects.values_list("territory_id", "other_id"))
    for territory_id, other_id in stored_pairs - wanted_pairs:
        TerritoryOverlap.objects.filter(territory_id=territory_id, other_id=other_id).delete()
    TerritoryOverlap.objects.bulk_create(
        TerritoryOverlap(territory_id=a, other_id=b) for a, b in wanted_pairs - stored_pairs
    )
    flagged = set(Territory.objects.filter(overlaps_partially=True).values_list("id", flat=True))
    Territory.objects.filter(pk__in=flagged - nesting.partial_overlaps).update(
        overlaps_partially=False
    )
    Territory.objects.filter(pk__in=nesting.partial_overlaps - flagged).update(
        overlaps_partially=True
    )
    refresh_populations()
    return len(wanted), len(stale_ids)


def refresh_populations() -> int:
    """Store in ``Territory.population`` (and its year) the population of every EPCI,
    syndicat, département and region: the sum of its communes' populations in the
    portal's territory set (``selectors.commune_population_totals``, the one rule);
    ``None`` for one without communes. Writes only what changed; returns how many."""
    totals = commune_population_totals()
    changed = []
    for territory in Territory.objects.exclude(kind=TerritoryKind.COMMUNE).only(
        "id", "population", "population_year"
    ):
        population, year = totals.get(territory.pk, (None, None))
        if (territory.population, territory.population_year) != (population, year):
            territory.population, territory.population_year = population, year
            changed.append(territory)
    Territory.objects.bulk_update(changed, ["population", "population_year"], batch_size=BATCH_SIZE)
    return len(changed)


@transaction.atomic
def set_members(grouping: Territory, members: Iterable[Territory]) -> None:
    """Replace the direct members of a syndicat (or EPCI) and refresh the closure
    (and so its population: the sum of its communes')."""
    members = list(members)
    for member in members:
        Membership(parent=grouping, child=member).clean()
    grouping.child_memberships.exclude(child__in=members).delete()
    existing = set(grouping.child_memberships.values_list("child_id", flat=True))
    for member in members:
        if member.pk not in existing:
            Membership.objects.create(parent=grouping, child=member)
    rebuild_closure()
