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
from django.db.models import Max, Min
from django.utils import timezone

from indicators.models import (
    Indicator,
    IndicatorValue,
    PeerStatistic,
    ValueStatus,
)
from indicators.peer_groups import (
    COMPARED_KINDS,
    EPCI_PEER_KINDS,
    FRANCE,
    MIN_PEERS,
    peer_kind,
)
from indicators.peers.figures import Figure, figures, regions_of, stored
from territories.models import Territory, TerritoryKind


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
    regions = regions_of(kinds)
    for identifier, years in sorted(wanted.items()):
        indicator = catalogue[identifier]
        if years is None:
            years = published_years([indicator], catalogue)
            gone = PeerStatistic.objects.filter(indicator=indicator).exclude(year__in=years)
            gone.delete()  # years without any value any more
        for batch_kinds, chunks in _reads(kinds, sorted(years)):
            for chunk in chunks:
                found = figures([indicator], catalogue, chunk, batch_kinds, regions=regions)
                rows = group_statistics(
                    indicator, found[identifier], is_national(found[identifier]), timezone.now()
                )
                written += _replace(indicator, chunk, peer_kinds_of(batch_kinds), rows)
    return written


# Above this many communes (all of France: 35 000) their figures are read one year at a
# time: reading every year of four indicators at once held over 1 GB. A region's
# communes (3 800 at most) are read with the other kinds, every year at once.
COMMUNES_READ_YEAR_BY_YEAR = 10_000


def _reads(kinds, years: list[int]):
    """How to read the figures: ``(territory kinds, [years of each read])``."""
    kinds = list(kinds)
    if not years:
        return
    communes = TerritoryKind.COMMUNE in kinds
    if communes and Territory.objects.communes().count() > COMMUNES_READ_YEAR_BY_YEAR:
        yield [TerritoryKind.COMMUNE], [[year] for year in years]
        kinds = [kind for kind in kinds if kind != TerritoryKind.COMMUNE]
    if kinds:
        yield kinds, [years]


def peer_kinds_of(kinds) -> list[str]:
    """The peer kinds the territories of these kinds fall in."""
    found = set()
    for kind in kinds:
        if kind == TerritoryKind.EPCI:
            found.update(EPCI_PEER_KINDS.values())
        else:
            found.add(peer_kind(kind))
    return sorted(found - {None})


def published_years(indicators: Iterable[Indicator], catalogue) -> list[int]:
    """The years from the first to the last validated value of these indicators or of
    their components (a year without values costs one empty read): the first and last
    year of each through its (indicator, year) index, not a scan of every value."""
    ids = {
        component.pk
        for indicator in indicators
        for component in (
            [catalogue[x] for x in indicator.components] if indicator.is_derived else [indicator]
        )
    }
    bounds = [
        IndicatorValue.objects.filter(indicator_id=pk, status=ValueStatus.VALIDATED).aggregate(
            first=Min("year"), last=Max("year")
        )
        for pk in sorted(ids)
    ]
    found = [b for b in bounds if b["first"] is not None]
    if not found:
        return []
    return list(range(min(b["first"] for b in found), max(b["last"] for b in found) + 1))


def _replace(indicator, years: list[int], peer_kinds: list[str], rows) -> int:
    """Replace ``indicator``'s statistics of ``years`` and ``peer_kinds`` in one
    transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":  # derived data, as the aggregates
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        PeerStatistic.objects.filter(
            indicator=indicator, year__in=years, peer_kind__in=peer_kinds
        ).delete()
        _insert(rows)
    return len(rows)
