"""Writing a run's aggregates: one ``AggregateRow`` (the columns of ``Aggregate``) per plan,
scope and year, built from the fast path's sums — the groups with partial overlaps
redone by the greedy walk, with their conflicts — and written in batches (one COPY on
PostgreSQL, bulk_create elsewhere): memory does not grow with the data.
"""

import io
import json
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import OuterRef, Subquery

from indicators.aggregation.fast_path import fast_path_rows
from indicators.aggregation.greedy import candidate_rows, greedy_selection
from indicators.aggregation.plans import PRECISION, Plan
from indicators.models import Aggregate, Aggregation, Indicator, IndicatorValue

MAX_KEPT_IDS = 1000  # beyond, computed_from keeps the count only


def _computed_from(kept_ids: list[int], candidates: int, last_validated: str | None) -> dict:
    data = {
        "kept_count": len(kept_ids),
        "candidates": int(candidates),
        "last_validated_at": last_validated,
    }
    data["kept"] = kept_ids if len(kept_ids) <= MAX_KEPT_IDS else kept_ids[:MAX_KEPT_IDS]
    data["kept_truncated"] = len(kept_ids) > MAX_KEPT_IDS
    return data


class AggregateRow(NamedTuple):
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
    is_demo: bool  # any value summed is demonstration data


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


def _batch_rows(
    plans: list[Plan], batch: list[tuple], now, last_validated: dict
) -> list[AggregateRow]:
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


def _plan_rows(plan: Plan, raw: list[tuple], now, last_validated: dict) -> list[AggregateRow]:
    last = _last_validated(plan, last_validated)
    n = len(plan.components)
    value_of = plan.value
    if plan.indicator.aggregation == Aggregation.SUM:

        def value_of(sums, _weighted, _population):
            return None if sums[0] is None else sums[0].quantize(PRECISION)

    rows = []
    for (
        scope_id,
        year,
        count,
        population,
        prone,
        kept_ids,
        candidates,
        demo,
        weighted,
        *sums,
    ) in raw:
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
            demo = any(row[5 + n] for row in selection.kept)
        value = value_of([None if s is None else Decimal(s) for s in sums], weighted, population)
        rows.append(
            AggregateRow(
                scope_id,
                plan.indicator.pk,
                year,
                value,
                int(population or 0),
                count,
                conflicts,
                now,
                _computed_from(kept_ids, candidates, last),
                bool(demo),
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


def write_rows(rows: list[AggregateRow]) -> None:
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
            f"{_copy_text(_computed_from_json(row.computed_from))}\t"
            f"{'t' if row.is_demo else 'f'}\n"
        )
    columns = ", ".join(AggregateRow._fields)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {Aggregate._meta.db_table} ({columns}) FROM STDIN", io.StringIO("".join(lines))
        )
