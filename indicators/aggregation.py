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
  closure table says who contains whom (``contains_whole``), so one statement per
  indicator computes, for every scope and year, the kept set and its sums.
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

import csv
import io
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Max
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


MASK_YEARS = 62  # years per bit mask (a signed 64-bit integer)


def _cand(plan: Plan, years, scopes, params: list, plan_no=None, width=None) -> str:
    """(territory, year, component values) of the territories having every component;
    with ``plan_no``, that number first and the values padded to ``width`` columns."""
    columns = [f"v{i}.value AS x{i}" for i in range(len(plan.components))]
    columns += [f"CAST(NULL AS NUMERIC) AS x{i}" for i in range(len(plan.components), width or 0)]
    if plan_no is not None:
        columns.insert(0, f"{int(plan_no)} AS plan_no")
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


def _kept_cte(plans: list[Plan], years: list[int], scopes, params: list) -> str:
    """The kept set of every plan (indicator), scope and year, in one statement for all
    the plans (the territory hierarchy is read once, not once per indicator), on *bit
    masks of years* (bit k: year ``years[0] + k``) so that the work on territories is
    done once for all years (36 000 territories nationally, not 360 000
    territory-years):

    * ``cand``: (plan, territory, year, component values) having every component;
      ``cmask``: the years each territory is a candidate of each plan;
    * ``st``: every candidate under every scope wholly containing it, with its years;
    * ``blocked``: the years a candidate lies, in a scope, inside another candidate of
      that scope (already counted through it): OR of the masks of the candidates
      wholly containing it that the scope wholly contains;
    * ``kept_pairs``: (plan, scope, territory, years kept); ``kept``: one row per year;
    * ``inner_count``: per kept territory and year, the candidates inside it — a
      scope's candidates are its kept territories and the candidates inside them
      (exact when kept territories do not overlap; the exact path counts otherwise);
    * ``overlapping``: (plan, scope, year) whose kept set holds two partially
      overlapping territories — the only groups the greedy walk redoes in Python;
    * ``tpop``: population of the communes of each kept territory."""
    first = years[0]
    width = max(len(plan.components) for plan in plans)
    cand = " UNION ALL ".join(
        _cand(plan, years, scopes, params, plan_no=no, width=width) for no, plan in enumerate(plans)
    )
    scope_sql = _scopes(scopes, params)
    bit = "(CAST(1 AS BIGINT) << (year - %s))"
    params.extend([first, True, True, True, True, first])
    counts = ", ".join(f"SUM((cm.mask >> {k}) & 1) AS n{k}" for k in range(years[-1] - first + 1))
    values = ", ".join(f"c.x{i}" for i in range(width))
    return f"""
    WITH cand AS MATERIALIZED ({cand}),
    scopes AS ({scope_sql}),
    cmask AS MATERIALIZED (
        SELECT plan_no, territory_id, CAST(SUM({bit}) AS BIGINT) AS mask
        FROM cand GROUP BY plan_no, territory_id
    ),
    st AS (
        SELECT m.plan_no, c.ancestor_id AS scope_id, m.territory_id, m.mask
        FROM cmask m JOIN {TABLES["c"]} c ON c.descendant_id = m.territory_id
        WHERE c.contains_whole = %s AND c.ancestor_id IN (SELECT id FROM scopes)
    ),
    blocked AS (
        SELECT ma.plan_no, cs.ancestor_id AS scope_id, cq.descendant_id AS territory_id,
               BIT_OR(ma.mask) AS mask
        FROM cmask ma
        JOIN {TABLES["c"]} cq ON cq.ancestor_id = ma.territory_id
            AND cq.depth > 0 AND cq.contains_whole = %s
        JOIN {TABLES["c"]} cs ON cs.descendant_id = ma.territory_id AND cs.contains_whole = %s
        WHERE cs.ancestor_id IN (SELECT id FROM scopes)
        GROUP BY ma.plan_no, cs.ancestor_id, cq.descendant_id
    ),
    kept_pairs AS MATERIALIZED (
        SELECT st.plan_no, st.scope_id, st.territory_id, st.mask & ~COALESCE(b.mask, 0) AS mask
        FROM st LEFT JOIN blocked b ON b.plan_no = st.plan_no
            AND b.scope_id = st.scope_id AND b.territory_id = st.territory_id
        WHERE st.mask & ~COALESCE(b.mask, 0) <> 0
    ),
    inner_count AS (
        SELECT cm.plan_no, cq.ancestor_id AS territory_id, {counts}
        FROM {TABLES["c"]} cq
        JOIN cmask cm ON cm.territory_id = cq.descendant_id
        JOIN (SELECT DISTINCT plan_no, territory_id FROM kept_pairs) kt
            ON kt.territory_id = cq.ancestor_id AND kt.plan_no = cm.plan_no
        WHERE cq.depth > 0 AND cq.contains_whole = %s
        GROUP BY cm.plan_no, cq.ancestor_id
    ),
    kept AS MATERIALIZED (
        SELECT kp.plan_no, kp.scope_id, c.territory_id, c.year, {values}
        FROM kept_pairs kp
        JOIN cand c ON c.plan_no = kp.plan_no AND c.territory_id = kp.territory_id
        WHERE (kp.mask >> (c.year - %s)) & 1 = 1
    ),
    kept_overlapping AS (
        SELECT k.plan_no, k.scope_id, k.territory_id, k.year FROM kept k
        WHERE k.territory_id IN (SELECT territory_id FROM {TABLES["o"]})
    ),
    overlapping AS (
        SELECT DISTINCT k1.plan_no, k1.scope_id, k1.year FROM kept_overlapping k1
        JOIN {TABLES["o"]} o ON o.territory_id = k1.territory_id
        JOIN kept_overlapping k2 ON k2.territory_id = o.other_id AND k2.plan_no = k1.plan_no
            AND k2.scope_id = k1.scope_id AND k2.year = k1.year
    ),
    tpop AS ({_tpop("(SELECT DISTINCT territory_id FROM kept_pairs) kpt", params)})"""


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


def _id_list(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"string_agg(CAST({column} AS TEXT), ',')"
    return f"group_concat({column}, ',')"


def _year_chunks(plans: list[Plan], years) -> list[list[int]]:
    """The years to compute, in runs that fit a bit mask."""
    if years is None:
        years = (
            IndicatorValue.objects.validated()
            .filter(indicator__in=[plan.components[0] for plan in plans])
            .order_by()
            .values_list("year", flat=True)
            .distinct()
        )
    chunks: list[list[int]] = []
    for year in sorted(set(years)):
        if chunks and year - chunks[-1][0] < MASK_YEARS:
            chunks[-1].append(year)
        else:
            chunks.append([year])
    return chunks


def fast_path_rows(plans: list[Plan], years, scopes):
    """One row per (plan, scope, year), ordered by plan: plan number, scope, year, kept
    count, covered population, whether two kept territories overlap, kept ids,
    candidate count, population-weighted sum of the first component, component sums.
    Streamed (a server-side cursor on PostgreSQL): memory does not grow with the data."""
    width = max(len(plan.components) for plan in plans)
    sums = ", ".join(f"SUM(k.x{i})" for i in range(width))
    for chunk in _year_chunks(plans, years):
        params: list = []
        cte = _kept_cte(plans, chunk, scopes, params)
        inner = " ".join(
            f"WHEN {chunk[0] + k} THEN ic.n{k}" for k in range(chunk[-1] - chunk[0] + 1)
        )
        sql = f"""{cte}
        SELECT k.plan_no, k.scope_id, k.year, COUNT(*), SUM(COALESCE(tp.population, 0)),
               MAX(CASE WHEN ov.scope_id IS NULL THEN 0 ELSE 1 END),
               {_id_list("k.territory_id")},
               SUM(1 + COALESCE(CASE k.year {inner} END, 0)),
               SUM(k.x0 * COALESCE(tp.population, 0)), {sums}
        FROM kept k
        LEFT JOIN tpop tp ON tp.territory_id = k.territory_id
        LEFT JOIN inner_count ic ON ic.plan_no = k.plan_no AND ic.territory_id = k.territory_id
        LEFT JOIN overlapping ov ON ov.plan_no = k.plan_no
            AND ov.scope_id = k.scope_id AND ov.year = k.year
        GROUP BY k.plan_no, k.scope_id, k.year
        ORDER BY k.plan_no"""
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(2000):
                yield from batch


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


def _kept_ids(raw: str | None) -> list[int]:
    return sorted(int(i) for i in (raw or "").split(",") if i)


def _computed_from(kept_ids: list[int], candidates: int, last_validated) -> dict:
    data = {
        "kept_count": len(kept_ids),
        "candidates": int(candidates),
        "last_validated_at": last_validated.isoformat() if last_validated else None,
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
    """Yield (plan, rows) pieces of at most WRITE_BATCH rows, plan after plan."""
    current, raw = None, []
    for no, *row in fast_path_rows(plans, years, scopes):
        if raw and (no != current or len(raw) >= WRITE_BATCH):
            yield plans[current], _plan_rows(plans[current], raw, now)
            raw = []
        current = no
        raw.append(row)
    if raw:
        yield plans[current], _plan_rows(plans[current], raw, now)


def _plan_rows(plan: Plan, raw: list[tuple], now) -> list[Row]:
    last_validated = (
        IndicatorValue.objects.validated()
        .filter(indicator__in=plan.components)
        .aggregate(last=Max("validated_at"))["last"]
    )
    n = len(plan.components)
    rows = []
    for scope_id, year, count, population, prone, kept_raw, candidates, weighted, *sums in raw:
        sums = sums[:n]
        conflicts: list[dict] = []
        kept_ids = _kept_ids(kept_raw)
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
        value = plan.value([None if s is None else Decimal(s) for s in sums], weighted, population)
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
                _computed_from(kept_ids, candidates, last_validated),
            )
        )
    return rows


def write_rows(rows: list[Row]) -> None:
    """PostgreSQL: one COPY (Django's bulk_create spends more time preparing 14 000
    rows in Python than the database spends storing them); elsewhere bulk_create."""
    if connection.vendor != "postgresql":
        Aggregate.objects.bulk_create([Aggregate(**row._asdict()) for row in rows], 2000)
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    stamps: dict = {}
    for row in rows:
        if row.computed_at not in stamps:
            stamps[row.computed_at] = row.computed_at.isoformat()
        writer.writerow(
            [
                row.scope_id,
                row.indicator_id,
                row.year,
                r"\N" if row.value is None else row.value,
                row.covered_population,
                row.contributors,
                json.dumps(row.conflicts, ensure_ascii=False) if row.conflicts else "[]",
                stamps[row.computed_at],
                json.dumps(row.computed_from, ensure_ascii=False),
            ]
        )
    buffer.seek(0)
    columns = ", ".join(Row._fields)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {Aggregate._meta.db_table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
            buffer,
        )


def _plan_for_analytics() -> None:
    """PostgreSQL estimates the rows of a CTE badly (a few where there are thousands) and
    then picks nested loops over them: quadratic (an incremental run went from 20 s to
    under a second without them). Hash joins are right for every join of these queries;
    the hash tables of a national run need more than the default 4 MB. For the current
    transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_nestloop = off")
            cursor.execute("SET LOCAL enable_mergejoin = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            # The commit need not wait for the disk: the run's next write (its
            # RecomputeRun, the deletion of the pending work) commits synchronously
            # and flushes this one with it; aggregates are derived data anyway.
            cursor.execute("SET LOCAL synchronous_commit = off")


def replace_aggregates(plans: list[Plan], years, scopes, bar=None) -> tuple[int, int]:
    """Recompute and replace these indicators' rows (restricted to years/scopes) in one
    transaction — readers see the old rows until it commits; the locks on the
    indicator rows serialise concurrent recomputes. Returns (rows, conflicts)."""
    written = conflicts = 0
    done: set[int] = set()
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
        for plan, rows in build_aggregates(plans, years, scopes, timezone.now()):
            write_rows(rows)
            written += len(rows)
            conflicts += sum(len(row.conflicts) for row in rows)
            if bar is not None and plan.indicator.pk not in done:
                bar.advance()
            done.add(plan.indicator.pk)
    if bar is not None:
        bar.advance(len(plans) - len(done))
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
    work, catalogue, trigger, stream, pending_handled: int = 0, territories=None
) -> RecomputeRun:
    """``work``: (indicator, years or None, scope ids or None) triples; ``territories``:
    the territories whose values changed (None: all), passed on to the receivers."""
    started_at = timezone.now()
    jobs = [(plan_for(i, catalogue), y, s) for i, y, s in work]
    jobs = [(p, y, s) for p, y, s in jobs if p is not None and y != [] and s != []]
    groups: dict[tuple, list[Plan]] = defaultdict(list)  # same years and scopes: one statement
    for plan, years, scopes in jobs:
        groups[
            (None if years is None else tuple(years), None if scopes is None else tuple(scopes))
        ].append(plan)
    written = conflicts = 0
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


def record_pending(values: Iterable[IndicatorValue]) -> None:
    """Called inside the validating transaction: the work survives a broker outage."""
    PendingRecompute.objects.bulk_create(
        PendingRecompute(territory_id=v.territory_id, indicator_id=v.indicator_id, year=v.year)
        for v in values
    )


def scopes_above(territory_ids: Iterable[int]) -> set[int]:
    return set(
        TerritoryClosure.objects.filter(
            descendant_id__in=list(territory_ids),
            contains_whole=True,
            ancestor__kind__in=SCOPE_KINDS,
        ).values_list("ancestor_id", flat=True)
    )


def recompute_pending(trigger: str = "validation", stream=None) -> RecomputeRun | None:
    """Handle the pending work recorded so far: only the affected indicators (and the
    ratios using them), years and scopes above the reporting territories. The pending
    rows are deleted only once their aggregates are written, so a crash loses nothing."""
    pending = list(
        PendingRecompute.objects.values_list("id", "indicator__identifier", "year", "territory_id")
    )
    if not pending:
        return None
    catalogue = {i.identifier: i for i in Indicator.objects.all()}
    by_indicator: dict[str, tuple[set, set]] = defaultdict(lambda: (set(), set()))
    for _, identifier, year, territory_id in pending:
        for affected in dependents_of({identifier}, catalogue):
            years, territories = by_indicator[affected]
            years.add(year)
            territories.add(territory_id)
    work = [
        (catalogue[identifier], sorted(years), sorted(scopes_above(territories)))
        for identifier, (years, territories) in sorted(by_indicator.items())
    ]
    changed = sorted({row[3] for row in pending})
    run = _run(work, catalogue, trigger, stream, pending_handled=len(pending), territories=changed)
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
