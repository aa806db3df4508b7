"""The rule of DESIGN.md, literally — the reference the set-based fast path equals.

For a scope S (region, département, syndicat or EPCI with members), an indicator and a
year, the candidates are the territories with a validated value lying inside S: S
itself and its members, transitively (the closure table), and for a région or a
département also every EPCI and syndicat whose communes all lie in it (an EPCI is not a
member of a département). A territory whose communes happen to lie inside a syndicat or
an EPCI without being one of its members is not a candidate there: membership, as
staff declare it, says what a grouping reports for. Walking candidates from the largest commune set down, a candidate is kept if
none of its communes is covered yet, skipped if all are (already counted), and recorded
as a *conflict* if it overlaps partially.

Runs use it where the fast path cannot: territories that share communes with a
territory neither containing them nor inside them (two syndicats sharing an EPCI, an
EPCI straddling two départements) are flagged by the closure rebuild
(``Territory.overlaps_partially``). Only the (scope, year) groups whose kept set
includes such a territory are recomputed by this walk (``writer``), from the
candidates read by ``candidate_rows``.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection

from indicators.aggregation.plans import Plan
from indicators.aggregation.sql import TABLES, _in_list, _scopes, _tpop
from indicators.models import ValueStatus
from territories.models import TerritoryClosure, TerritoryKind

KIND_RANK = {
    TerritoryKind.REGION: 0,
    TerritoryKind.DEPARTEMENT: 1,
    TerritoryKind.SYNDICAT: 2,
    TerritoryKind.EPCI: 3,
    TerritoryKind.COMMUNE: 4,
}


def _cand(plan: Plan, years, scopes, params: list) -> str:
    """(territory, year, component values, whether one of them is demonstration data)
    of the territories having every component (the exact path)."""
    columns = [f"v{i}.value AS x{i}" for i in range(len(plan.components))]
    demo = " OR ".join(f"v{i}.is_demo" for i in range(len(plan.components)))
    columns.append(f"CASE WHEN {demo} THEN 1 ELSE 0 END AS demo")
    joins = []
    for index, component in enumerate(plan.components[1:], start=1):
        joins.append(
            f"JOIN {TABLES['iv']} v{index} ON v{index}.territory_id = v0.territory_id "
            f"AND v{index}.year = v0.year AND v{index}.indicator_id = %s "
            f"AND v{index}.status = %s"
        )
        params.extend([component.pk, ValueStatus.VALIDATED])
    where = ["v0.indicator_id = %s", "v0.status = %s"]
    params.extend([plan.components[0].pk, ValueStatus.VALIDATED])
    if years is not None:
        where.append(_in_list("v0.year", years, params))
    if scopes is not None:  # only the territories inside these scopes can count in them
        where.append(
            f"v0.territory_id IN (SELECT i.descendant_id FROM {TABLES['c']} i "
            f"WHERE i.contains_whole = %s AND {_in_list('i.ancestor_id', scopes, [])})"
        )
        params.append(True)
        params.extend(scopes)
    return (
        f"SELECT v0.territory_id AS territory_id, v0.year AS year, {', '.join(columns)} "
        f"FROM {TABLES['iv']} v0 {' '.join(joins)} WHERE {' AND '.join(where)}"
    )


def _pairs_cte(plan: Plan, years, scopes, params: list) -> str:
    """Every candidate under every scope wholly containing it (``pairs``), with the
    population of each (``tpop``): the exact path, for one scope and year."""
    cand = _cand(plan, years, scopes, params)
    scope_sql = _scopes(scopes, params)
    params.append(True)
    return f"""
    WITH cand AS ({cand}),
    scopes AS ({scope_sql}),
    pairs AS (
        SELECT c.ancestor_id AS scope_id, cand.*
        FROM cand JOIN {TABLES["c"]} c ON c.descendant_id = cand.territory_id
        WHERE c.contains_whole = %s AND c.ancestor_id IN (SELECT id FROM scopes)
    ),
    tpop AS ({_tpop("pairs", params)})"""


def candidate_rows(plan: Plan, scope_id: int, year: int) -> list[tuple]:
    """(territory id, kind, code, name, covered population, component values…, whether
    one of them is demonstration data) of every candidate of one scope and year, for the
    exact path."""
    params: list = []
    cte = _pairs_cte(plan, [year], [scope_id], params)
    values = ", ".join([*(f"p.x{i}" for i in range(len(plan.components))), "p.demo"])
    sql = f"""{cte}
    SELECT p.territory_id, tt.kind, tt.code, tt.name, COALESCE(tp.population, 0), {values}
    FROM pairs p
    JOIN {TABLES["t"]} tt ON tt.id = p.territory_id
    LEFT JOIN tpop tp ON tp.territory_id = p.territory_id
    WHERE p.scope_id = %s AND p.year = %s"""
    params.extend([scope_id, year])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor)


@dataclass
class Selection:
    kept: list[tuple] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)


def communes_by_territory(territory_ids: Iterable[int]) -> dict[int, frozenset[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    rows = TerritoryClosure.objects.filter(
        ancestor_id__in=list(territory_ids), descendant__kind=TerritoryKind.COMMUNE
    ).values_list("ancestor_id", "descendant_id")
    for territory, commune in rows:
        found[territory].add(commune)
    return {territory: frozenset(communes) for territory, communes in found.items()}


def greedy_selection(
    candidates: list[tuple], communes: dict[int, frozenset[int]] | None = None
) -> Selection:
    """The rule of DESIGN.md, literally: largest commune set first. ``candidates``: rows
    (territory id, kind, code, name, …); ``communes``: the communes of each territory,
    when the caller has read them already (else one query)."""
    if communes is None:
        communes = communes_by_territory(row[0] for row in candidates)
    order = sorted(
        candidates, key=lambda row: (-len(communes.get(row[0], ())), KIND_RANK[row[1]], row[2])
    )
    selection = Selection()
    covered: set[int] = set()
    owner: dict[int, str] = {}
    for row in order:
        mine = communes.get(row[0], frozenset())
        overlap = mine & covered
        if not overlap:
            selection.kept.append(row)
            covered |= mine
            owner.update(dict.fromkeys(mine, row[2]))
        elif overlap != mine:
            selection.conflicts.append(
                {
                    "territory_id": row[0],
                    "code": row[2],
                    "name": row[3],
                    "overlaps": sorted({owner[c] for c in overlap}),
                }
            )
    selection.conflicts.sort(key=lambda conflict: conflict["code"])
    return selection
