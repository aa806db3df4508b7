"""The set-based fast path (SQL, PostgreSQL and SQLite alike).

When territories nest (commune ⊂ EPCI ⊂ syndicat ⊂ département ⊂ région), the greedy
walk (``greedy``) keeps exactly the candidates that no other candidate of the scope
contains. The closure table says who contains whom (``contains_whole``); the years each
territory is a candidate of each indicator are bit masks (``_Layout``), so the kept sets
of all indicators, scopes and years are worked out once per territory in a few
statements over temporary tables (``_kept_sets``), and one aggregation sums the values
of the kept territories (``fast_path_rows``). The groups whose kept set includes a
partially overlapping territory are flagged for the greedy walk.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Max, Min

from indicators.aggregation.plans import Plan
from indicators.aggregation.sql import TABLES, _in_list, _scopes, _tpop, _years_in
from indicators.models import IndicatorValue, ValueStatus

MASK_BITS = 62  # bits per mask column (a signed 64-bit integer, kept positive)


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
    candidate count, whether any value summed is demonstration data, population-weighted
    sum of the first component, component sums.
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
               MAX(CASE WHEN v.is_demo THEN 1 ELSE 0 END),
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
                for no, scope, year, demo, weighted_sum, *values in batch:
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
                        bool(demo),
                        weighted_sum,
                        *values,
                    )
        with connection.cursor() as cursor:
            _drop_stages(cursor)
