"""Regional aggregates without double counting (DESIGN.md, *Regional aggregates*).

For a scope S (region, département, syndicat or EPCI with members), an indicator
and a year, the candidates are the territories with a validated value whose
communes are all inside S. Walking candidates from the largest commune set down,
a candidate is kept if none of its communes is covered yet, skipped if all are
(already counted), and recorded as a *conflict* if it overlaps partially.

How it is computed:

* **Set-based fast path (SQL, PostgreSQL and SQLite alike).** When territories
  nest (commune ⊂ EPCI ⊂ syndicat ⊂ département ⊂ région), the greedy walk keeps
  exactly the candidates that no other candidate of the scope contains. The
  closure table says who contains whom (``contains_whole``); the years each territory
  is a candidate of each indicator are bit masks (``_Layout``), so the kept sets of
  all indicators, scopes and years are worked out once per territory in a few
  statements over temporary tables (``_kept_sets``), and one aggregation sums the
  values of the kept territories (``fast_path_rows``).
* **Exact path (Python) for partial overlaps.** Territories that share communes
  with a territory neither containing them nor inside them (two syndicats sharing
  an EPCI, an EPCI straddling two départements) are flagged by the closure
  rebuild (``Territory.overlaps_partially``). Only the (scope, year) groups whose
  kept set includes such a territory are recomputed by the greedy walk itself.

Ratios (``cae_3.b``) are recomputed from the sums of their components over one
kept set (territories having every component that year), never averaged; a
population in a formula is the covered population (counted on communes).
Each indicator's rows are replaced in one transaction, under a lock on the
indicator row, so readers never see a half-written set and concurrent
recomputes serialise.
"""

import io
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Max, Min, OuterRef, Subquery
from django.utils import timezone

from indicators import formulas
from indicators.models import (
    Aggregate,
    Aggregation,
    Indicator,
    IndicatorValue,
    PendingRecompute,
    RecomputeRun,
    ValueStatus,
)
from indicators.signals import aggregates_recomputed
from territories.models import Territory, TerritoryClosure, TerritoryKind, TerritoryOverlap
from tri_portal.progress import ProgressBar

logger = logging.getLogger(__name__)

POPULATION = "terr_1"
SCOPE_KINDS = (
    TerritoryKind.REGION,
    TerritoryKind.DEPARTEMENT,
    TerritoryKind.SYNDICAT,
    TerritoryKind.EPCI,
)
KIND_RANK = {
    TerritoryKind.REGION: 0,
    TerritoryKind.DEPARTEMENT: 1,
    TerritoryKind.SYNDICAT: 2,
    TerritoryKind.EPCI: 3,
    TerritoryKind.COMMUNE: 4,
}
PRECISION = Decimal("0.000001")
MAX_KEPT_IDS = 1000  # beyond, computed_from keeps the count only

TABLES = {
    "t": Territory._meta.db_table,
    "c": TerritoryClosure._meta.db_table,
    "o": TerritoryOverlap._meta.db_table,
    "iv": IndicatorValue._meta.db_table,
}


# --- What to compute ---------------------------------------------------------------


@dataclass
class Plan:
    """How one indicator is aggregated: which stored indicators are summed."""

    indicator: Indicator
    components: list[Indicator]  # summed over the kept set
    uses_population: bool = False

    @property
    def weighted(self) -> bool:
        return self.indicator.aggregation == Aggregation.WEIGHTED_MEAN

    def value(self, sums: list[Decimal | None], weighted_sum, population) -> Decimal | None:
        if self.indicator.aggregation == Aggregation.RATIO:
            values = {c.identifier: s for c, s in zip(self.components, sums, strict=True)}
            if self.uses_population:
                values[POPULATION] = Decimal(population) if population else None
            result = formulas.evaluate(self.indicator.formula, values)
        elif self.weighted:
            result = Decimal(weighted_sum) / Decimal(population) if population else None
        else:
            result = sums[0]
        return None if result is None else Decimal(result).quantize(PRECISION)


def plan_for(indicator: Indicator, catalogue: dict[str, Indicator]) -> Plan | None:
    if indicator.aggregation == Aggregation.NONE:
        return None
    if indicator.aggregation == Aggregation.RATIO:
        names = indicator.components
        components = [catalogue[n] for n in names if n != POPULATION and n in catalogue]
        if not components or len(components) != len([n for n in names if n != POPULATION]):
            return None
        return Plan(indicator, components, uses_population=POPULATION in names)
    return Plan(indicator, [indicator])


def dependents_of(identifiers: set[str], catalogue: dict[str, Indicator]) -> set[str]:
    """The indicators to recompute when these change: themselves and the ratios using them."""
    found = set(identifiers)
    for indicator in catalogue.values():
        if indicator.is_derived and found & set(indicator.components):
            found.add(indicator.identifier)
    return found


# --- SQL ---------------------------------------------------------------------------------


def _in_list(column: str, values, params: list) -> str:
    values = list(values)
    params.extend(values)
    return f"{column} IN ({', '.join(['%s'] * len(values))})"


MASK_BITS = 62  # bits per mask column (a signed 64-bit integer, kept positive)


def _cand(plan: Plan, years, scopes, params: list) -> str:
    """(territory, year, component values) of the territories having every component
    (the exact path)."""
    columns = [f"v{i}.value AS x{i}" for i in range(len(plan.components))]
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


def _scopes(scopes, params: list) -> str:
    scope_where = [_in_list("s.kind", SCOPE_KINDS, params)]
    if scopes is not None:
        scope_where.append(_in_list("s.id", scopes, params))
    return f"""
        SELECT s.id AS id FROM {TABLES["t"]} s
        WHERE {" AND ".join(scope_where)}
          AND EXISTS (SELECT 1 FROM {TABLES["c"]} m WHERE m.ancestor_id = s.id AND m.depth > 0)"""


def _tpop(source: str, params: list) -> str:
    """Population of the communes of the territories of ``source``."""
    params.append(True)
    return f"""
        SELECT cp.ancestor_id AS territory_id, SUM(COALESCE(tc.population, 0)) AS population
        FROM {TABLES["c"]} cp JOIN {TABLES["t"]} tc ON tc.id = cp.descendant_id
        WHERE tc.kind = 'commune' AND cp.contains_whole = %s
          AND cp.ancestor_id IN (SELECT territory_id FROM {source})
        GROUP BY cp.ancestor_id"""


@dataclass(frozen=True)
class _Layout:
    """Where the years of each plan sit in the bit masks: year ``y`` of plan ``no`` is bit
    ``offset(no) + y - first`` of mask column ``column(no)`` (several plans share one
    64-bit column, so that the territory hierarchy is walked once for all of them)."""

    first: int
    span: int  # years per plan
    plans: int

    @property
    def per_column(self) -> int:
        return MASK_BITS // self.span

    @property
    def columns(self) -> int:
        return -(-self.plans // self.per_column)

    def column(self, no: int) -> int:
        return no // self.per_column

    def offset(self, no: int) -> int:
        return (no % self.per_column) * self.span

    def bit(self, masks: str, prefix: str, plan: str, year: str) -> str:
        """SQL: 1 when the bit of a plan (alias ``plan`` with its ``col`` and ``off``) and
        ``year`` is set in the columns ``{prefix}0``, ``{prefix}1``… of alias ``masks``."""
        column = (
            f"{masks}.{prefix}0"
            if self.columns == 1
            else "CASE {p}.col {w} END".format(
                p=plan,
                w=" ".join(f"WHEN {j} THEN {masks}.{prefix}{j}" for j in range(self.columns)),
            )
        )
        return f"(({column}) >> ({plan}.off + {year} - {self.first})) & 1"


STAGES = ("agg_pc", "agg_cm", "agg_st", "agg_cand", "agg_kept")  # temporary tables


def _create(cursor, name: str, select: str, params=()) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(f"CREATE TEMPORARY TABLE {name} AS {select}", params)
    if connection.vendor == "postgresql":
        # Temporary tables have no statistics until analysed: without them the planner
        # guesses a few rows where there are hundreds of thousands, and picks badly.
        cursor.execute(f"ANALYZE {name}")


def _drop_stages(cursor) -> None:
    for name in STAGES:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")


def _kept_sets(cursor, plans: list[Plan], years: list[int], scopes) -> _Layout:
    """Work out the kept set of every plan (indicator), scope and year, all plans at
    once, on *bit masks* rather than rows, in temporary tables (each step a simple
    statement the planner estimates well, with statistics):

    * ``agg_pc``: the components of each plan and where the plan sits in the masks;
    * ``agg_cm``: the years each territory has every component of each plan (is a
      candidate), packed in one row per territory, so that the hierarchy is walked
      for 36 000 territories nationally, not 4 million values;
    * ``agg_st``: every candidate under every scope wholly containing it, with its
      masks; ``agg_cand``: how many candidates of each scope share each masks;
    * ``agg_kept``: (scope, territory, masks of the plans and years it is kept): a
      candidate under the scope, minus the years it lies inside another candidate of
      the scope (already counted through it) — with the population of its communes
      and the bits where a partially overlapping territory is kept in the same scope
      (the only groups the greedy walk redoes in Python).
    """
    layout = _Layout(years[0], years[-1] - years[0] + 1, len(plans))
    first, columns = layout.first, range(layout.columns)
    indicators = sorted({component.pk for plan in plans for component in plan.components})

    def masks(expression: str) -> str:
        return ", ".join(expression.format(j=j) for j in columns)

    components = ", ".join(
        f"({no}, {index}, {int(component.pk)}, {layout.column(no)}, {layout.offset(no)}, "
        f"{len(plan.components)})"
        for no, plan in enumerate(plans)
        for index, component in enumerate(plan.components)
    )
    _create(
        cursor,
        "agg_pc",
        "WITH pc (plan_no, comp, indicator_id, col, off, ncomp) "
        f"AS (VALUES {components}) SELECT * FROM pc",
    )
    params: list = [ValueStatus.VALIDATED]
    where = f"v.status = %s AND {_years_in('v.year', years, params)}"
    where += f" AND {_in_list('v.indicator_id', indicators, params)}"
    if scopes is not None:  # only the territories inside these scopes can count in them
        params.append(True)
        where += (
            f" AND v.territory_id IN (SELECT i.descendant_id FROM {TABLES['c']} i "
            f"WHERE i.contains_whole = %s AND {_in_list('i.ancestor_id', scopes, params)})"
        )
    # The years each territory has each indicator, one column per indicator…
    has = ", ".join(
        f"BIT_OR(CASE WHEN im.indicator_id = {int(pk)} THEN im.ym ELSE 0 END) AS i{pk}"
        for pk in indicators
    )
    # … and, per plan, the years it has all of its components, at the plan's place.
    by_column: dict[int, list[str]] = defaultdict(list)
    for no, plan in enumerate(plans):
        every = " & ".join(f"h.i{c.pk}" for c in plan.components)
        by_column[layout.column(no)].append(f"(({every}) << {layout.offset(no)})")
    packed = [" | ".join(by_column[j]) for j in columns]
    scoped = scopes is not None and connection.vendor == "postgresql"
    if scoped:
        # A few scopes: read their territories' values and closure rows through the
        # indexes, not all of France's then filtered — which the planner prefers,
        # and which is twice slower for a large region.
        cursor.execute("SET LOCAL enable_hashjoin = off")
    _create(
        cursor,
        "agg_cm",
        f"""
        SELECT * FROM (
            SELECT h.territory_id, {", ".join(f"{m} AS m{j}" for j, m in enumerate(packed))}
            FROM (
                SELECT im.territory_id, {has}
                FROM (
                    SELECT v.indicator_id, v.territory_id,
                           BIT_OR(CAST(1 AS BIGINT) << (v.year - {first})) AS ym
                    FROM {TABLES["iv"]} v WHERE {where}
                    GROUP BY v.indicator_id, v.territory_id
                ) im
                GROUP BY im.territory_id
            ) h
        ) m
        WHERE {" OR ".join(f"m.m{j} <> 0" for j in columns)}""",
        params,
    )
    if scoped:
        cursor.execute("SET LOCAL enable_hashjoin = on")

    def under_scopes(column: str, params: list) -> str:
        """Restricted runs name the scopes too: the planner then reads the closure rows
        of these scopes through its index instead of all of them."""
        chosen = f"{column} IN (SELECT id FROM scopes)"
        return chosen if scopes is None else f"{chosen} AND {_in_list(column, scopes, params)}"

    params = []
    scope_sql = _scopes(scopes, params)
    params.append(True)
    _create(
        cursor,
        "agg_st",
        f"""
        WITH scopes AS ({scope_sql})
        SELECT c.ancestor_id AS scope_id, m.territory_id, {masks("m.m{j}")}
        FROM agg_cm m JOIN {TABLES["c"]} c ON c.descendant_id = m.territory_id
        WHERE c.contains_whole = %s AND {under_scopes("c.ancestor_id", params)}""",
        params,
    )
    _create(
        cursor,
        "agg_cand",
        f"SELECT scope_id, {masks('m{j}')}, COUNT(*) AS n FROM agg_st "
        f"GROUP BY scope_id, {masks('m{j}')}",
    )
    params = []
    scope_sql = _scopes(scopes, params)
    params.extend([True, True])
    blocked_scopes = under_scopes("cs.ancestor_id", params)
    tpop = _tpop("kept", params)
    _create(
        cursor,
        "agg_kept",
        f"""
        WITH scopes AS ({scope_sql}),
        blocked AS (
            SELECT cs.ancestor_id AS scope_id, cq.descendant_id AS territory_id,
                   {masks("BIT_OR(a.m{j}) AS m{j}")}
            FROM agg_cm a
            JOIN {TABLES["c"]} cq ON cq.ancestor_id = a.territory_id
                AND cq.depth > 0 AND cq.contains_whole = %s
            JOIN {TABLES["c"]} cs ON cs.descendant_id = a.territory_id
                AND cs.contains_whole = %s
            WHERE {blocked_scopes}
            GROUP BY cs.ancestor_id, cq.descendant_id
        ),
        kept AS (
            SELECT * FROM (
                SELECT st.scope_id, st.territory_id,
                       {masks("st.m{j} & ~COALESCE(b.m{j}, 0) AS m{j}")}
                FROM agg_st st LEFT JOIN blocked b
                    ON b.scope_id = st.scope_id AND b.territory_id = st.territory_id
            ) k
            WHERE {" OR ".join(f"k.m{j} <> 0" for j in columns)}
        ),
        tpop AS ({tpop}),
        kept_o AS MATERIALIZED (
            SELECT k1.*, o.other_id FROM kept k1
            JOIN {TABLES["o"]} o ON o.territory_id = k1.territory_id
        ),
        ov AS (
            SELECT k1.scope_id, k1.territory_id,
                   {masks("BIT_OR(k1.m{j} & k2.m{j}) AS m{j}")}
            FROM kept_o k1
            JOIN kept k2 ON k2.scope_id = k1.scope_id AND k2.territory_id = k1.other_id
            GROUP BY k1.scope_id, k1.territory_id
        )
        SELECT k.scope_id, k.territory_id, {masks("k.m{j}")},
               COALESCE(tp.population, 0) AS population,
               {masks("COALESCE(ov.m{j}, 0) AS o{j}")}
        FROM kept k
        LEFT JOIN tpop tp ON tp.territory_id = k.territory_id
        LEFT JOIN ov ON ov.scope_id = k.scope_id AND ov.territory_id = k.territory_id""",
        params,
    )
    return layout


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


def _year_chunks(plans: list[Plan], years) -> list[list[int]]:
    """The years to compute, in runs that fit a bit mask (all of them, nearly always)."""
    if years is None:
        found = set()
        for component in {c for plan in plans for c in plan.components}:
            # Two index probes per indicator, not a scan of its values.
            bounds = (
                IndicatorValue.objects.validated()
                .filter(indicator=component)
                .aggregate(first=Min("year"), last=Max("year"))
            )
            if bounds["first"] is not None:
                found.update(range(bounds["first"], bounds["last"] + 1))
        years = found
    chunks: list[list[int]] = []
    for year in sorted(set(years)):
        if chunks and year - chunks[-1][0] < MASK_BITS:
            chunks[-1].append(year)
        else:
            chunks.append([year])
    return chunks


class _KeptSets:
    """The kept territories of every scope (``agg_kept``), grouped by identical masks:
    nearly every territory kept in a scope is kept there for the same plans and years,
    so the kept set of a (plan, scope, year) is the union of a group or two — no work
    per territory and per year."""

    def __init__(self, cursor, layout: _Layout):
        self.layout = layout
        self.places = [
            (layout.column(no), layout.offset(no) - layout.first) for no in range(layout.plans)
        ]
        n = layout.columns
        masks = ", ".join(f"m{j}" for j in range(n))
        overlaps = ", ".join(f"o{j}" for j in range(n))
        cursor.execute(
            f"SELECT scope_id, territory_id, population, {masks}, {overlaps} "
            "FROM agg_kept ORDER BY scope_id, territory_id"
        )
        groups: dict[int, dict[tuple, list]] = defaultdict(dict)
        self.overlaps: dict[int, list[tuple]] = defaultdict(list)
        for scope, territory, population, *bits in cursor.fetchall():
            group = groups[scope].setdefault(tuple(bits[:n]), [[], 0])
            group[0].append(territory)
            group[1] += population
            if any(bits[n:]):
                self.overlaps[scope].append(tuple(bits[n:]))
        self.groups = {scope: list(found.items()) for scope, found in groups.items()}
        cursor.execute(f"SELECT scope_id, n, {masks} FROM agg_cand")
        self.candidates: dict[int, list[tuple]] = defaultdict(list)
        for scope, count, *bits in cursor.fetchall():
            self.candidates[scope].append((tuple(bits), count))

    def of(self, plan_no: int, scope: int, year: int) -> tuple[list[int], int, bool, int]:
        """(kept ids in order, covered population, whether two of them overlap, number
        of candidates of the scope)."""
        column, offset = self.places[plan_no]
        bit = offset + year
        groups = self.groups.get(scope, ())
        if len(groups) == 1:  # most scopes: every territory kept there for the same bits
            masks, (ids, population) = groups[0]  # the group's list, shared, never mutated
            if not masks[column] >> bit & 1:
                ids, population = [], 0
        else:
            ids, population, matched = [], 0, 0
            for masks, (members, members_population) in groups:
                if masks[column] >> bit & 1:
                    ids.extend(members)
                    population += members_population
                    matched += 1
            if matched > 1:
                ids.sort()
        prone = any(o[column] >> bit & 1 for o in self.overlaps.get(scope, ()))
        candidates = sum(
            count for masks, count in self.candidates.get(scope, ()) if masks[column] >> bit & 1
        )
        return ids, population, prone, candidates


def fast_path_rows(plans: list[Plan], years, scopes):
    """One row per (plan, scope, year) with a kept territory: plan number, scope, year,
    kept count, covered population, whether two kept territories overlap, kept ids,
    candidate count, population-weighted sum of the first component, component sums.
    The sums come from one aggregation over the values of the kept territories,
    streamed (a server-side cursor on PostgreSQL): memory does not grow with the data."""
    width = max(len(plan.components) for plan in plans)
    weighted = [no for no, plan in enumerate(plans) if plan.weighted] or [-1]
    for chunk in _year_chunks(plans, years):
        with connection.cursor() as cursor:
            layout = _kept_sets(cursor, plans, chunk, scopes)
            kept = _KeptSets(cursor, layout)
        sums = ", ".join(f"SUM(CASE WHEN pc.comp = {i} THEN v.value END)" for i in range(width))
        params: list = [ValueStatus.VALIDATED]
        years_in = _years_in("v.year", chunk, params)
        sql = f"""
        SELECT pc.plan_no, kp.scope_id, v.year,
               SUM(CASE WHEN pc.comp = 0 AND pc.plan_no IN ({", ".join(map(str, weighted))})
                   THEN v.value * kp.population END),
               {sums}
        FROM agg_kept kp
        JOIN {TABLES["iv"]} v ON v.territory_id = kp.territory_id
        JOIN agg_pc pc ON pc.indicator_id = v.indicator_id
        WHERE v.status = %s AND {years_in} AND {layout.bit("kp", "m", "pc", "v.year")} = 1
        GROUP BY pc.plan_no, kp.scope_id, v.year"""
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(2000):
                for no, scope, year, weighted_sum, *values in batch:
                    ids, population, prone, candidates = kept.of(no, scope, year)
                    yield (
                        no,
                        scope,
                        year,
                        len(ids),
                        population,
                        prone,
                        ids,
                        candidates,
                        weighted_sum,
                        *values,
                    )
        with connection.cursor() as cursor:
            _drop_stages(cursor)


def _years_in(column: str, years: list[int], params: list) -> str:
    """``years`` are consecutive when all the years are computed: a range test is
    cheaper than a list over millions of values."""
    if years == list(range(years[0], years[-1] + 1)):
        params.extend([years[0], years[-1]])
        return f"{column} BETWEEN %s AND %s"
    return _in_list(column, years, params)


def candidate_rows(plan: Plan, scope_id: int, year: int) -> list[tuple]:
    """(territory id, kind, code, name, covered population, component values…) of every
    candidate of one scope and year, for the exact path."""
    params: list = []
    cte = _pairs_cte(plan, [year], [scope_id], params)
    values = ", ".join(f"p.x{i}" for i in range(len(plan.components)))
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


# --- Exact greedy walk ------------------------------------------------------------------


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


def greedy_selection(candidates: list[tuple]) -> Selection:
    """The rule of DESIGN.md, literally: largest commune set first."""
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


# --- Writing ---------------------------------------------------------------------------------


def _computed_from(kept_ids: list[int], candidates: int, last_validated: str | None) -> dict:
    data = {
        "kept_count": len(kept_ids),
        "candidates": int(candidates),
        "last_validated_at": last_validated,
    }
    data["kept"] = kept_ids if len(kept_ids) <= MAX_KEPT_IDS else kept_ids[:MAX_KEPT_IDS]
    data["kept_truncated"] = len(kept_ids) > MAX_KEPT_IDS
    return data


class Row(NamedTuple):
    """One aggregate to write (the columns of Aggregate, without building a model
    instance per row: 200 000 rows in a national run)."""

    scope_id: int
    indicator_id: int
    year: int
    value: Decimal | None
    covered_population: int
    contributors: int
    conflicts: list
    computed_at: object
    computed_from: dict


WRITE_BATCH = 2000  # rows built and written at a time: memory does not grow with the data


def build_aggregates(plans: list[Plan], years, scopes, now):
    """Yield lists of at most WRITE_BATCH rows to write (the rows come grouped by
    hashing, plans mixed: sorting 1.4 million rows to group them costs more)."""
    last_validated: dict[int, object] = {}
    batch: list[tuple] = []
    for row in fast_path_rows(plans, years, scopes):
        batch.append(row)
        if len(batch) >= WRITE_BATCH:
            yield _batch_rows(plans, batch, now, last_validated)
            batch = []
    if batch:
        yield _batch_rows(plans, batch, now, last_validated)


def _batch_rows(plans: list[Plan], batch: list[tuple], now, last_validated: dict) -> list[Row]:
    by_plan: dict[int, list] = defaultdict(list)
    for no, *row in batch:
        by_plan[no].append(row)
    return [
        row
        for no, raw in sorted(by_plan.items())
        for row in _plan_rows(plans[no], raw, now, last_validated)
    ]


def _last_validated(plan: Plan, known: dict) -> str | None:
    """The latest validation of the plan's components (``known``: by indicator, filled)."""
    _learn_last_validations(known, [c.pk for c in plan.components])
    last = max((known[c.pk] for c in plan.components if known[c.pk]), default=None)
    return last.isoformat() if last else None


def _learn_last_validations(known: dict, indicators: Iterable[int]) -> None:
    """Add the latest validation of these indicators to ``known``: one query, one index
    probe per indicator (not a scan of their values)."""
    missing = sorted(set(indicators) - known.keys())
    if missing:
        latest = (
            IndicatorValue.objects.validated()
            .filter(indicator=OuterRef("pk"))
            .order_by("-validated_at")
            .values("validated_at")[:1]
        )
        known.update(
            Indicator.objects.filter(pk__in=missing)
            .annotate(last=Subquery(latest))
            .values_list("pk", "last")
        )


def _plan_rows(plan: Plan, raw: list[tuple], now, last_validated: dict) -> list[Row]:
    last = _last_validated(plan, last_validated)
    n = len(plan.components)
    value_of = plan.value
    if plan.indicator.aggregation == Aggregation.SUM:

        def value_of(sums, _weighted, _population):
            return None if sums[0] is None else sums[0].quantize(PRECISION)

    rows = []
    for scope_id, year, count, population, prone, kept_ids, candidates, weighted, *sums in raw:
        sums = sums[:n]
        conflicts: list[dict] = []
        if prone:
            every = candidate_rows(plan, scope_id, year)
            selection = greedy_selection(every)
            candidates = len(every)
            conflicts = selection.conflicts
            kept_ids = sorted(row[0] for row in selection.kept)
            count = len(selection.kept)
            population = sum(row[4] for row in selection.kept)
            sums = [sum(row[5 + i] for row in selection.kept) for i in range(n)]
            weighted = sum(row[5] * row[4] for row in selection.kept)
        value = value_of([None if s is None else Decimal(s) for s in sums], weighted, population)
        rows.append(
            Row(
                scope_id,
                plan.indicator.pk,
                year,
                value,
                int(population or 0),
                count,
                conflicts,
                now,
                _computed_from(kept_ids, candidates, last),
            )
        )
    return rows


NULL_TEXT = "\\N"  # NULL in PostgreSQL's COPY text format


def _copy_text(text: str) -> str:
    """A field of PostgreSQL's COPY text format (backslash is its escape character)."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _computed_from_json(data: dict) -> str:
    """``_computed_from``'s dictionary as JSON, written out directly (json.dumps on
    200 000 of them is a noticeable share of a national run)."""
    last = data["last_validated_at"]
    return (
        f'{{"kept_count": {data["kept_count"]:d}, "candidates": {data["candidates"]:d}, '
        f'"last_validated_at": {"null" if last is None else json.dumps(last)}, '
        f'"kept": [{", ".join(map(str, data["kept"]))}], '
        f'"kept_truncated": {"true" if data["kept_truncated"] else "false"}}}'
    )


def write_rows(rows: list[Row]) -> None:
    """PostgreSQL: one COPY (Django's bulk_create spends more time preparing 14 000
    rows in Python than the database spends storing them); elsewhere bulk_create."""
    if connection.vendor != "postgresql":
        Aggregate.objects.bulk_create([Aggregate(**row._asdict()) for row in rows], 2000)
        return
    stamps: dict = {}
    lines = []
    for row in rows:
        if row.computed_at not in stamps:
            stamps[row.computed_at] = row.computed_at.isoformat()
        conflicts = (
            _copy_text(json.dumps(row.conflicts, ensure_ascii=False)) if row.conflicts else "[]"
        )
        value = NULL_TEXT if row.value is None else row.value
        lines.append(
            f"{row.scope_id}\t{row.indicator_id}\t{row.year}\t"
            f"{value}\t{row.covered_population}\t"
            f"{row.contributors}\t{conflicts}\t{stamps[row.computed_at]}\t"
            f"{_copy_text(_computed_from_json(row.computed_from))}\n"
        )
    columns = ", ".join(Row._fields)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {Aggregate._meta.db_table} ({columns}) FROM STDIN", io.StringIO("".join(lines))
        )


def _plan_for_analytics() -> None:
    """Planner settings for the recompute transaction (only): the statements work on
    temporary tables with statistics, but the bit tests of their joins still make the
    estimated sizes far off; hash joins and hash aggregates are right for all of them,
    and their hash tables need more than the default 4 MB in a national run."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_mergejoin = off")
            cursor.execute("SET LOCAL work_mem = '128MB'")
            # Compiling these statements costs seconds and saves less.
            cursor.execute("SET LOCAL jit = off")
            # With estimated sizes far off (bit tests), the planner sorts a million
            # rows on disk to group them where hashing them is cheaper.
            cursor.execute("SET LOCAL enable_sort = off")
            # The commit need not wait for the disk: the run's next write (its
            # RecomputeRun, the deletion of the pending work) commits synchronously
            # and flushes this one with it; aggregates are derived data anyway.
            cursor.execute("SET LOCAL synchronous_commit = off")


def replace_aggregates(plans: list[Plan], years, scopes, bar=None) -> tuple[int, int]:
    """Recompute and replace these indicators' rows (restricted to years/scopes) in one
    transaction — readers see the old rows until it commits; the locks on the
    indicator rows serialise concurrent recomputes. Returns (rows, conflicts)."""
    written = conflicts = 0
    with transaction.atomic():
        indicators = sorted(plan.indicator.pk for plan in plans)
        list(Indicator.objects.select_for_update().filter(pk__in=indicators).order_by("pk"))
        _plan_for_analytics()
        stale = Aggregate.objects.filter(indicator__in=indicators)
        if years is not None:
            stale = stale.filter(year__in=list(years))
        if scopes is not None:
            stale = stale.filter(scope_id__in=list(scopes))
        stale.delete()
        for rows in build_aggregates(plans, years, scopes, database_now()):
            write_rows(rows)
            written += len(rows)
            conflicts += sum(len(row.conflicts) for row in rows)
    if bar is not None:  # the indicators of one statement are done together
        bar.advance(len(plans))
    return written, conflicts


def recompute(
    indicators: Iterable[Indicator] | None = None,
    years: Iterable[int] | None = None,
    scopes: Iterable[int] | None = None,
    trigger: str = "manual",
    stream=None,
) -> RecomputeRun:
    """Recompute the aggregates of these indicators (default: all), years and scopes
    (default: all) and record the run."""
    catalogue = {i.identifier: i for i in Indicator.objects.all()}
    chosen = list(indicators) if indicators is not None else list(catalogue.values())
    years = None if years is None else sorted(set(years))
    scopes = None if scopes is None else sorted(set(scopes))
    return _run([(i, years, scopes) for i in chosen], catalogue, trigger, stream)


def _run(
    work,
    catalogue,
    trigger,
    stream,
    pending_handled: int = 0,
    territories=None,
    started_at=None,
    updated: int = 0,
) -> RecomputeRun:
    """``work``: (indicator, years or None, scope ids or None) triples; ``territories``:
    the territories whose values changed (None: all), passed on to the receivers;
    ``updated``: aggregates already updated in place by this run."""
    started_at = started_at or timezone.now()
    jobs = [(plan_for(i, catalogue), y, s) for i, y, s in work]
    jobs = [(p, y, s) for p, y, s in jobs if p is not None and y != [] and s != []]
    groups: dict[tuple, list[Plan]] = defaultdict(list)  # same years and scopes: one statement
    for plan, years, scopes in jobs:
        groups[
            (None if years is None else tuple(years), None if scopes is None else tuple(scopes))
        ].append(plan)
    written, conflicts = updated, 0
    with ProgressBar("Agrégats", len(jobs), stream) as bar:
        for (years, scopes), plans in groups.items():
            rows, found = replace_aggregates(plans, years, scopes, bar)
            written += rows
            conflicts += found
    run = RecomputeRun.objects.create(
        started_at=started_at,
        finished_at=timezone.now(),
        trigger=trigger,
        indicators=len(jobs),
        aggregates_written=written,
        conflicts=conflicts,
        pending_handled=pending_handled,
    )
    aggregates_recomputed.send(sender=RecomputeRun, run=run, territories=territories)
    return run


# --- Incremental recompute after validations ------------------------------------------------------


def database_now():
    """The database's clock — one clock for the web processes and the workers, whatever
    their hosts (the current time, not the transaction's start)."""
    if connection.vendor != "postgresql":
        return timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def record_pending(values: Iterable[IndicatorValue], replaced=None) -> None:
    """Called inside the validating transaction: the work survives a broker outage.
    ``replaced``: the (territory id, indicator id, year) whose new value replaced a
    validated one (None: not known).

    The transaction holds a share lock on the indicators until it commits, and dates
    the pending rows once it has it: a recompute (which locks them for update) never
    runs alongside, so an aggregate dated before these rows cannot include their values
    — which the incremental run relies on to add a new candidate to the count in place
    (``_Changes``)."""
    values = list(values)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {Indicator._meta.db_table} ORDER BY id FOR SHARE")
    started = database_now()
    PendingRecompute.objects.bulk_create(
        PendingRecompute(
            territory_id=v.territory_id,
            indicator_id=v.indicator_id,
            year=v.year,
            replaced=None
            if replaced is None
            else (v.territory_id, v.indicator_id, v.year) in replaced,
            created_at=started,
        )
        for v in values
    )


class _Changes:
    """The pending changes, and which aggregates above them they leave as they are but
    for the number of candidates. A changed territory counts in a scope only if it is
    kept there; where, before and after the change, it is either no candidate or lies
    inside a candidate that lies in the scope (counted instead of it), the scope's kept
    set, sums, population and conflicts are those of the last run — a new value only
    adds a candidate, a replaced one not even that. (A commune reporting what its EPCI
    also reports changes no figure of the EPCI, the département or the région.)"""

    def __init__(self, pending: list[tuple], plans: dict[str, Plan]):
        self.plans = plans
        # (territory, year) → {indicator id: whether a validated value was there before
        # the earliest pending row, i.e. when the aggregates below were computed}
        self.changed: dict[tuple[int, int], dict[int, bool | None]] = defaultdict(dict)
        for _id, indicator_id, year, territory, replaced, _at in pending:
            self.changed[territory, year].setdefault(indicator_id, replaced)
        earliest = min(row[5] for row in pending)
        territories = {territory for territory, _year in self.changed}
        years = sorted({year for _territory, year in self.changed})
        self.above: dict[int, set[int]] = defaultdict(set)  # scopes wholly containing
        self.containers: dict[int, set[int]] = defaultdict(set)  # territories likewise
        for ancestor, descendant, kind, depth in TerritoryClosure.objects.filter(
            descendant_id__in=territories, contains_whole=True
        ).values_list("ancestor_id", "descendant_id", "ancestor__kind", "depth"):
            if depth > 0:
                self.containers[descendant].add(ancestor)
            if kind in SCOPE_KINDS:  # a scope is one of its own candidates (depth 0)
                self.above[descendant].add(ancestor)
        self.under: dict[tuple[int, int], list[int]] = defaultdict(list)  # changed, by scope
        for territory, year in self.changed:
            for scope in self.above[territory]:
                self.under[scope, year].append(territory)
        containers = set().union(*self.containers.values())
        self.inside = set(  # (scope, container) pairs, the container wholly inside
            TerritoryClosure.objects.filter(
                ancestor_id__in=set().union(*self.above.values()),
                descendant_id__in=containers,
                contains_whole=True,
            ).values_list("ancestor_id", "descendant_id")
        )
        components = {c.pk for plan in plans.values() for c in plan.components}
        self.has = set(  # validated values, now
            IndicatorValue.objects.validated()
            .filter(
                territory_id__in=territories | containers,
                indicator_id__in=components,
                year__in=years,
            )
            .values_list("territory_id", "indicator_id", "year")
        )
        # The aggregates that may be updated in place: dated before the changes were
        # recorded, so they cannot include them (see record_pending) — one recomputed
        # since, or already updated by an interrupted or concurrent run, is dated after
        # and is recomputed, never counted twice; and without partial overlaps, so
        # their kept set is every candidate no other candidate of the scope contains
        # (with partial overlaps the greedy walk may keep a territory inside a skipped one).
        self.settled = {
            (scope, indicator, year)
            for scope, indicator, year, conflicts in Aggregate.objects.filter(
                scope_id__in=set().union(*self.above.values()),
                indicator__in=[plan.indicator for plan in plans.values()],
                year__in=years,
                computed_at__lt=earliest,
            ).values_list("scope_id", "indicator_id", "year", "conflicts")
            if not conflicts
        }

    def work(self) -> tuple[dict[str, tuple[set[int], set[int]]], dict[tuple, int]]:
        """What to do for every scope above a changed territory, for the plans using
        the changed indicators: ``{identifier: (years, scopes)}`` to recompute, and
        ``{(identifier, scope, year): change in the number of candidates}`` of the
        aggregates whose figures stay as they are (``refresh_candidates``)."""
        needed: dict[str, tuple[set, set]] = defaultdict(lambda: (set(), set()))
        counts: dict[tuple, int] = {}
        for (territory, year), indicators in self.changed.items():
            for identifier, plan in self.plans.items():
                if not indicators.keys() & {c.pk for c in plan.components}:
                    continue
                for scope in self.above[territory]:
                    key = (identifier, scope, year)
                    if key in counts:
                        continue
                    delta = self._candidates_change(plan, scope, year)
                    if delta is None:
                        years, scopes = needed[identifier]
                        years.add(year)
                        scopes.add(scope)
                    else:
                        counts[key] = delta
        for identifier, (years, scopes) in needed.items():  # recomputed all the same
            for key in [k for k in counts if k[0] == identifier]:
                if key[1] in scopes and key[2] in years:
                    del counts[key]
        return needed, counts

    def _candidates_change(self, plan: Plan, scope: int, year: int) -> int | None:
        """None when the aggregate must be recomputed; else how many more (or fewer)
        candidates it has — every changed territory is, before and after, either no
        candidate or inside a candidate lying in the scope (counted through it)."""
        if (scope, plan.indicator.pk, year) not in self.settled:
            return None
        components = [c.pk for c in plan.components]
        delta = 0
        for territory in self.under[scope, year]:  # not every change: linear in them
            if not self.changed[territory, year].keys() & set(components):
                continue
            for state in (False, True):  # before, after
                candidate = self._candidate(territory, components, year, state)
                if candidate is None:
                    return None  # not known: recompute
                if candidate and not any(
                    self._candidate(container, components, year, state)
                    for container in self.containers[territory]
                    if (scope, container) in self.inside or container == scope
                ):
                    return None  # kept in the scope: its value counts
                delta += int(candidate) if state else -int(candidate)
        return delta

    def _candidate(self, territory: int, components: list[int], year: int, after: bool):
        """Whether the territory has every component this year, after the changes or
        before them (None: not known)."""
        changed = self.changed.get((territory, year), {})
        found = [
            (territory, c, year) in self.has if after or c not in changed else changed[c]
            for c in components
        ]
        return None if None in found else all(found)


def refresh_candidates(counts: dict[tuple, int], plans: dict[str, Plan]) -> int:
    """Aggregates the pending changes leave exact but for their number of candidates
    (new territories inside a counted one): update that number, the latest validation
    and the computation date. Runs in the caller's transaction, which holds the locks
    on the indicators. Returns the rows updated."""
    if not counts:
        return 0
    stamp = connection.ops.adapt_datetimefield_value(database_now())
    last_validated: dict[int, object] = {}
    _learn_last_validations(
        last_validated, [c.pk for plan in plans.values() for c in plan.components]
    )
    indicators = sorted({plans[identifier].indicator.pk for identifier, _s, _y in counts})
    by_key = {
        (plans[identifier].indicator.pk, scope, year): (plans[identifier], delta)
        for (identifier, scope, year), delta in counts.items()
    }
    rows = []
    for pk, indicator, scope, year, computed_from in Aggregate.objects.filter(
        indicator_id__in=indicators,
        scope_id__in={scope for _i, scope, _y in counts},
        year__in={year for _i, _s, year in counts},
    ).values_list("pk", "indicator_id", "scope_id", "year", "computed_from"):
        if (indicator, scope, year) not in by_key:
            continue
        plan, delta = by_key[indicator, scope, year]
        computed_from["candidates"] += delta
        computed_from["last_validated_at"] = _last_validated(plan, last_validated)
        rows.append((json.dumps(computed_from), stamp, pk))
    update = (
        f"UPDATE {Aggregate._meta.db_table} SET computed_from = %s, computed_at = %s WHERE id = %s"
    )
    with connection.cursor() as cursor:  # a few dozen rows: no CASE … WHEN per row
        if connection.vendor == "postgresql" and rows:  # and one round trip
            cursor.execute("; ".join([update] * len(rows)), [p for row in rows for p in row])
        else:
            cursor.executemany(update, rows)
    return len(rows)


def recompute_pending(trigger: str = "validation", stream=None) -> RecomputeRun | None:
    """Handle the pending work recorded so far: only the affected indicators (and the
    ratios using them), years and scopes above the reporting territories, but the
    aggregates these changes cannot alter (``_Changes``): those get their candidate
    counts updated in place, under the locks on the indicators. The pending rows are
    deleted only once their aggregates are written, so a crash loses nothing."""
    if not PendingRecompute.objects.exists():
        return None
    started_at = timezone.now()
    catalogue = {i.identifier: i for i in Indicator.objects.all()}
    by_pk = {i.pk: i.identifier for i in catalogue.values()}
    changed_indicators = set(PendingRecompute.objects.values_list("indicator_id", flat=True))
    affected = dependents_of({by_pk[pk] for pk in changed_indicators}, catalogue)
    plans = {
        identifier: plan
        for identifier in sorted(affected)
        if (plan := plan_for(catalogue[identifier], catalogue)) is not None
    }
    with transaction.atomic():
        # Locked first, then read: a second worker waits here, then finds these rows
        # gone, or the aggregates dated after them (recomputed, not counted twice).
        locked = sorted(plan.indicator.pk for plan in plans.values())
        list(Indicator.objects.select_for_update().filter(pk__in=locked).order_by("pk"))
        pending = list(
            PendingRecompute.objects.filter(indicator_id__in=changed_indicators)
            .order_by("created_at", "id")
            .values_list("id", "indicator_id", "year", "territory_id", "replaced", "created_at")
        )
        if not pending:
            return None
        needed, counts = _Changes(pending, plans).work()
        updated = refresh_candidates(counts, plans)
    work = [
        (catalogue[identifier], sorted(years), sorted(scopes))
        for identifier, (years, scopes) in sorted(needed.items())
    ]
    changed = sorted({row[3] for row in pending})
    run = _run(
        work,
        catalogue,
        trigger,
        stream,
        pending_handled=len(pending),
        territories=changed,
        started_at=started_at,
        updated=updated,
    )
    PendingRecompute.objects.filter(id__in=[row[0] for row in pending]).delete()
    return run


def recompute_all(trigger: str = "manual", stream=None) -> RecomputeRun:
    """Full recompute; clears the pending work recorded before it started."""
    cutoff = list(PendingRecompute.objects.values_list("id", flat=True))
    run = recompute(trigger=trigger, stream=stream)
    handled, _ = PendingRecompute.objects.filter(id__in=cutoff).delete()
    if handled:
        run.pending_handled = handled
        run.save(update_fields=["pending_handled"])
    return run
