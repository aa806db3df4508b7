"""The statistics of every group of comparable territories, computed and stored by
the aggregate jobs (full recompute: every headline indicator and year; incremental
run: the (indicator, year) it touched): Python's ``statistics.quantiles`` (default
method) on the figures, one delete and one insert per indicator."""

import statistics
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from indicators.models import (
    Indicator,
    PeerStatistic,
)
from indicators.peer_groups import (
    COMPARED_KINDS,
    FRANCE,
    MIN_PEERS,
)
from indicators.peers.figures import Figure, figures, stored


def is_national(found: Iterable[Figure]) -> bool:
    """Whether the figures come from more than one region (national data loaded): then
    a second comparison over all of France."""
    return len({figure.region for figure in found}) > 1


class StatisticRow(NamedTuple):
    """A ``PeerStatistic`` row to insert (``INSERTED`` columns, in order)."""

    indicator_id: int
    year: int
    peer_kind: str
    band: str
    area: str
    n: int
    q1: Decimal
    median: Decimal
    q3: Decimal
    min: Decimal
    max: Decimal
    is_demo: bool
    computed_at: object


def group_statistics(
    indicator: Indicator, found: Iterable[Figure], national: bool, now
) -> list[StatisticRow]:
    """The statistics of every group of at least ``MIN_PEERS`` figures (not saved)."""
    groups: dict[tuple, list[Figure]] = defaultdict(list)
    for figure in found:
        if figure.region:
            groups[figure.year, figure.peer_kind, figure.band, figure.region].append(figure)
        if national:
            groups[figure.year, figure.peer_kind, figure.band, FRANCE].append(figure)
    rows = []
    for (year, kind, band, area), members in groups.items():
        if len(members) < MIN_PEERS:
            continue
        values = sorted(member.value for member in members)
        q1, median, q3 = statistics.quantiles(values, n=4)
        rows.append(
            StatisticRow(
                indicator.pk,
                year,
                kind,
                band,
                area,
                len(values),
                stored(q1),
                stored(median),
                stored(q3),
                stored(values[0]),
                stored(values[-1]),
                any(member.is_demo for member in members),
                now,
            )
        )
    return rows


INSERTED = list(StatisticRow._fields)


def _insert(rows: list[StatisticRow]) -> None:
    """Insert the statistics in one statement (PostgreSQL) or one batch (SQLite): a
    national run writes hundreds of rows per indicator, which ``bulk_create`` spends
    more time preparing than the database writing."""
    if not rows:
        return
    table = PeerStatistic._meta.db_table
    names = ", ".join(f'"{column}"' for column in INSERTED)
    computed_at = connection.ops.adapt_datetimefield_value(rows[0].computed_at)
    values = [(*(getattr(row, column) for column in INSERTED[:-1]), computed_at) for row in rows]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            execute_values(
                cursor.cursor, f"INSERT INTO {table} ({names}) VALUES %s", values, page_size=5000
            )
        else:
            marks = ", ".join(["%s"] * len(INSERTED))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)


def compared_indicators(catalogue: dict[str, Indicator]) -> list[Indicator]:
    """The indicators peers are compared on: the headline (key) indicators."""
    return sorted((i for i in catalogue.values() if i.is_key), key=lambda i: i.identifier)


def refresh_peer_statistics(
    work: Iterable[tuple[Indicator, Iterable[int] | None]] | None = None,
    catalogue: dict[str, Indicator] | None = None,
    kinds: Iterable[str] = COMPARED_KINDS,
) -> int:
    """Recompute and replace the peer statistics of ``work``: (indicator, years or None
    for all) pairs — by default every headline indicator, every year. Indicators that
    are not headline ones are ignored; a derived one is recomputed when one of its
    components is in ``work``. One transaction per indicator; returns the rows written."""
    if catalogue is None:
        catalogue = {i.identifier: i for i in Indicator.objects.all()}
    compared = compared_indicators(catalogue)
    if work is None:
        wanted = {i.identifier: None for i in compared}
    else:
        wanted: dict[str, set | None] = {}
        for indicator, years in work:
            for target in compared:
                if indicator.identifier not in (target.identifier, *target.components):
                    continue
                if years is None or wanted.get(target.identifier, set()) is None:
                    wanted[target.identifier] = None
                else:
                    wanted.setdefault(target.identifier, set()).update(years)
    written = 0
    # The indicators wanted for all years, and each of the others: one read each.
    batches = [[i for i, y in sorted(wanted.items()) if y is None]]
    batches += [[i] for i, y in sorted(wanted.items()) if y is not None]
    for batch in [b for b in batches if b]:
        years = wanted[batch[0]]
        found = figures([catalogue[i] for i in batch], catalogue, years, kinds)
        now = timezone.now()
        for identifier in batch:
            national = is_national(found[identifier])
            written += _replace(catalogue[identifier], years, found[identifier], national, now)
    return written


def _replace(indicator, years, found, national, now) -> int:
    """Replace ``indicator``'s statistics (of ``years``, or all) in one transaction."""
    rows = group_statistics(indicator, found, national, now)
    with transaction.atomic():
        if connection.vendor == "postgresql":  # derived data, as the aggregates
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        stale = PeerStatistic.objects.filter(indicator=indicator)
        if years is not None:
            stale = stale.filter(year__in=sorted(years))
        stale.delete()
        _insert(rows)
    return len(rows)
