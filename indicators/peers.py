"""Peer statistics: compute, store and read them (definitions in ``peer_groups``).

The aggregate jobs call ``refresh_peer_statistics`` — the full recompute for every
headline indicator and year, the incremental run for the (indicator, year) it touched —
so no page computes a distribution. Computing one indicator's statistics is two
queries (the validated values with their territory's kind, nature and population in
one pass; the region of each territory), then Python: figures, groups, quartiles
(``statistics.quantiles``, default method), and one bulk write.

A territory's rank is read at page time (``peer_comparison``): one query for the
figures of its own groups, ranked in Python — storing the rank of every territory of
France for every indicator and year would multiply the rows written by each job by
the number of territories for one sentence on one page."""

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from indicators import formulas
from indicators.models import (
    VALUE_QUANTUM,
    Indicator,
    IndicatorValue,
    PeerStatistic,
    ValueStatus,
)
from indicators.peer_groups import (
    BANDS_BY_CODE,
    COMPARED_KINDS,
    FRANCE,
    MIN_PEERS,
    PEER_KIND_PLURALS,
    band_of,
    figure_decimals,
    figure_of,
    figure_unit,
    peer_kind,
    rank_of,
    territory_peer_kind,
)
from indicators.units import PER_INHABITANT
from territories.models import Territory, TerritoryClosure, TerritoryKind


class Figure(NamedTuple):
    """One territory's compared figure for one year (a float: statistics on thousands
    of them stay cheap; stored to six decimals)."""

    territory_id: int
    year: int
    peer_kind: str
    band: str
    region: str | None  # the code of the region wholly containing it (None: straddles)
    value: float
    is_demo: bool


def _components(indicator: Indicator, catalogue: dict[str, Indicator]) -> list[Indicator]:
    if indicator.is_derived:
        return [catalogue[identifier] for identifier in indicator.components]
    return [indicator]


def _value_conditions(component_ids, years, kinds, territory_filter: str, params: list):
    where = [
        f"v.indicator_id IN ({', '.join(['%s'] * len(component_ids))})",
        "v.status = %s",
        f"t.kind IN ({', '.join(['%s'] * len(kinds))})",
    ]
    args = [*component_ids, ValueStatus.VALIDATED, *kinds]
    if years is not None:
        where.append(f"v.year IN ({', '.join(['%s'] * len(years))})")
        args.extend(years)
    if territory_filter:
        where.append(territory_filter)
        args.extend(params)
    return " AND ".join(where), args


def _value_rows(component_ids, years, kinds, territory_filter: str, params: list):
    table_v, table_t = IndicatorValue._meta.db_table, Territory._meta.db_table
    where, args = _value_conditions(component_ids, years, kinds, territory_filter, params)
    sql = f"""
        SELECT v.territory_id, t.kind, t.epci_nature, t.population, v.indicator_id, v.year,
               CAST(v.value AS DOUBLE PRECISION), v.is_demo
        FROM {table_v} v JOIN {table_t} t ON t.id = v.territory_id
        WHERE {where}"""
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return cursor.fetchall()


def _regions(kinds, territory_filter: str, params: list) -> dict[int, str]:
    """``{territory id: code of the region wholly containing it}`` for the territories
    of these kinds (and filter): one query, a look-up in the closure's descendant
    index per territory."""
    table_c, table_t = TerritoryClosure._meta.db_table, Territory._meta.db_table
    where = [f"t.kind IN ({', '.join(['%s'] * len(kinds))})"]
    if territory_filter:
        where.append(territory_filter)
    sql = f"""
        SELECT t.id, (
            SELECT MIN(r.code) FROM {table_c} c JOIN {table_t} r ON r.id = c.ancestor_id
            WHERE c.descendant_id = t.id AND c.contains_whole = %s AND r.kind = %s)
        FROM {table_t} t WHERE {" AND ".join(where)}"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [True, TerritoryKind.REGION, *kinds, *params])
        return {territory: region for territory, region in cursor.fetchall() if region}


def figures(
    indicators: Iterable[Indicator],
    catalogue: dict[str, Indicator] | None = None,
    years: Iterable[int] | None = None,
    kinds: Iterable[str] = COMPARED_KINDS,
    territory_filter: str = "",
    params: Iterable = (),
) -> dict[str, list[Figure]]:
    """``{identifier: every territory's compared figure}`` of ``indicators`` (``years``:
    all by default), from validated values only: a derived indicator from its validated
    components (the same year), an amount per inhabitant (``figure_of``).
    ``territory_filter``: an SQL condition on the territory ``t`` (with its ``params``).
    Two queries, whatever the number of indicators."""
    indicators = list(indicators)
    if catalogue is None:
        catalogue = {i.identifier: i for i in Indicator.objects.all()}
    by_id = {c.pk: c.identifier for i in indicators for c in _components(i, catalogue)}
    kinds, params = list(kinds), list(params)
    years = None if years is None else sorted(set(years))
    if years == [] or not indicators:
        return {i.identifier: [] for i in indicators}
    rows = _value_rows(list(by_id), years, kinds, territory_filter, params)
    regions = _regions(kinds, territory_filter, params)
    direct = {i.identifier: PER_INHABITANT.get(i.unit) for i in indicators if not i.is_derived}
    derived = [i for i in indicators if i.is_derived]
    result: dict[str, list[Figure]] = {i.identifier: [] for i in indicators}
    groups: dict[int, tuple | None] = {}  # territory → (peer kind, band, region, population)
    components: dict[tuple[int, int], dict] = defaultdict(dict)
    demo: dict[tuple[int, int], set] = defaultdict(set)
    for territory_id, kind, nature, population, indicator_id, year, value, is_demo in rows:
        group = groups.get(territory_id, False)
        if group is False:
            group_kind, band = peer_kind(kind, nature or ""), band_of(population)
            group = None
            if group_kind is not None and band is not None and population:
                group = (group_kind, band, regions.get(territory_id), population)
            groups[territory_id] = group
        if group is None:
            continue
        identifier = by_id[indicator_id]
        if identifier in direct:
            per_inhabitant = direct[identifier]
            figure = value
            if per_inhabitant is not None:
                figure = figure * float(per_inhabitant[1]) / group[3]
            result[identifier].append(
                Figure(territory_id, year, group[0], group[1], group[2], figure, bool(is_demo))
            )
        if derived:
            components[territory_id, year][identifier] = Decimal(repr(value))
            if is_demo:
                demo[territory_id, year].add(identifier)
    for (territory_id, year), values in components.items():
        group_kind, band, region, population = groups[territory_id]
        for indicator in derived:
            value = formulas.evaluate(indicator.formula, values)
            figure = None if value is None else figure_of(indicator.unit, value, population)
            if figure is None:
                continue
            is_demo = bool(demo[territory_id, year] & set(indicator.components))
            result[indicator.identifier].append(
                Figure(territory_id, year, group_kind, band, region, float(figure), is_demo)
            )
    return result


def _areas(figure: Figure, national: bool) -> list[str]:
    areas = [figure.region] if figure.region else []
    return [*areas, FRANCE] if national else areas


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
                _stored(q1),
                _stored(median),
                _stored(q3),
                _stored(values[0]),
                _stored(values[-1]),
                any(member.is_demo for member in members),
                now,
            )
        )
    return rows


def _stored(value: float) -> Decimal:
    return Decimal(value).quantize(VALUE_QUANTUM)


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


# --- Reading: a territory against its peers -----------------------------------------


@dataclass
class PeerYear:
    """One year of a territory's comparison with its peers in one area."""

    year: int
    figure: Decimal | None  # the territory's own (None: no validated value that year)
    statistic: PeerStatistic | None  # None: not published (fewer than MIN_PEERS)
    peers: int  # territories of the group besides this one
    rank: int | None  # among the group, itself included (None: not published)
    is_demo: bool

    @property
    def published(self) -> bool:
        """The band and rank are shown only with ``MIN_PEERS`` peers besides itself."""
        return self.statistic is not None and self.peers >= MIN_PEERS


@dataclass
class PeerComparison:
    """A territory's comparison with its peers on one indicator, in one area."""

    indicator: Indicator
    unit: str
    peer_kind: str
    band: str
    area: str
    years: dict[int, PeerYear]

    @property
    def group_label(self) -> str:
        return f"{PEER_KIND_PLURALS[self.peer_kind]} {BANDS_BY_CODE[self.band].label}"

    @property
    def latest(self) -> PeerYear | None:
        """The latest year the territory is ranked, else the latest year with a
        published comparison, else the latest year."""
        for chosen in (
            [y for y in self.years.values() if y.rank is not None],
            [y for y in self.years.values() if y.published],
            list(self.years.values()),
        ):
            if chosen:
                return max(chosen, key=lambda y: y.year)
        return None

    @property
    def is_demo(self) -> bool:
        return any(y.is_demo for y in self.years.values())


def rank_sentence(comparison: PeerComparison, year: PeerYear) -> str:
    """« 3e sur 24 communautés de communes de 20 000 à 50 000 habitants (en 2023) » or
    why there is none."""
    if not year.published:
        return _("comparaison non publiée : moins de 5 territoires comparables")
    if year.rank is None:
        return _("pas de valeur validée du territoire en %(year)s") % {"year": year.year}
    ordinal = _("1er") if year.rank == 1 else _("%(rank)se") % {"rank": year.rank}
    return _("%(ordinal)s sur %(n)s %(group)s (%(year)s)") % {
        "ordinal": ordinal,
        "n": year.statistic.n,
        "group": comparison.group_label,
        "year": year.year,
    }


def territory_area(territory) -> str | None:
    """The code of the region wholly containing ``territory`` (None: it straddles two)."""
    if territory.kind == TerritoryKind.REGION:
        return territory.code
    return (
        TerritoryClosure.objects.filter(
            descendant=territory, contains_whole=True, ancestor__kind=TerritoryKind.REGION
        )
        .values_list("ancestor__code", flat=True)
        .first()
    )


def peer_comparisons(
    territory, indicators: list[Indicator], catalogue: dict[str, Indicator] | None = None
) -> list[PeerComparison]:
    """``territory`` against its peers on each of ``indicators``, for every year it has
    a figure or its group a statistic, in its region and (national data) in France.
    Three queries whatever the number of indicators and years (four without
    ``catalogue``): the stored statistics, and the figures of its group's members — by
    the same rule as the statistics — to rank it (values, regions). Empty for a territory without peer
    kind or population band. (The region is read from the territory's own figures; one
    more query when it has none.)"""
    group_kind, band = territory_peer_kind(territory), band_of(territory.population)
    if group_kind is None or band is None or not indicators:
        return []
    if catalogue is None:
        catalogue = {i.identifier: i for i in Indicator.objects.all()}
    stats: dict[tuple[int, str], dict[int, PeerStatistic]] = defaultdict(dict)
    for stat in PeerStatistic.objects.filter(
        indicator__in=indicators, peer_kind=group_kind, band=band
    ):
        stats[stat.indicator_id, stat.area][stat.year] = stat
    members = _group_members(indicators, catalogue, territory, group_kind, BANDS_BY_CODE[band])
    own = [f.region for group in members.values() for f in group if f.territory_id == territory.pk]
    region = own[0] if own else territory_area(territory)
    comparisons = []
    for indicator in indicators:
        for area in [a for a in (region, FRANCE) if a]:
            by_year = stats.get((indicator.pk, area), {})
            if area == FRANCE and not by_year:
                continue  # no national data
            in_area = [m for m in members[indicator.identifier] if area in (FRANCE, m.region)]
            rows = _peer_years(territory, indicator, in_area, by_year)
            if rows:
                comparisons.append(
                    PeerComparison(indicator, figure_unit(indicator), group_kind, band, area, rows)
                )
    return comparisons


def _peer_years(territory, indicator, members: list[Figure], by_year) -> dict[int, PeerYear]:
    own_years = {m.year for m in members if m.territory_id == territory.pk}
    rows = {}
    for year in sorted(own_years | set(by_year)):
        of_year = [m for m in members if m.year == year]
        own = next((m for m in of_year if m.territory_id == territory.pk), None)
        others = [m.value for m in of_year if m.territory_id != territory.pk]
        statistic = by_year.get(year)
        published = statistic is not None and len(others) >= MIN_PEERS
        rank = None
        if published and own is not None and indicator.direction in ("lower", "higher"):
            rank = rank_of(own.value, others, indicator.direction)
        rows[year] = PeerYear(
            year=year,
            figure=_stored(own.value) if own else None,
            statistic=statistic,
            peers=len(others),
            rank=rank,
            is_demo=bool(statistic and statistic.is_demo) or bool(own and own.is_demo),
        )
    return rows


def _group_members(indicators, catalogue, territory, group_kind, band) -> dict[str, list[Figure]]:
    """The figures of the territories of ``territory``'s kind (and EPCI nature) and
    population band, every year (one query for the values, one for the regions)."""
    condition = ["t.population >= %s"]
    params: list = [band.low]
    if band.high is not None:
        condition.append("t.population < %s")
        params.append(band.high)
    if territory.kind == TerritoryKind.EPCI:
        condition.append("t.epci_nature = %s")
        params.append(territory.epci_nature)
    found = figures(indicators, catalogue, None, [territory.kind], " AND ".join(condition), params)
    return {
        identifier: [f for f in group if f.peer_kind == group_kind and f.band == band.code]
        for identifier, group in found.items()
    }


@dataclass
class PeerRow:
    """One line of a compact comparison table: a comparison's latest year."""

    comparison: PeerComparison
    year: PeerYear
    sentence: str

    @property
    def indicator(self) -> Indicator:
        return self.comparison.indicator

    @property
    def decimals(self) -> int:
        return figure_decimals(self.comparison.indicator)

    @property
    def area_label(self) -> str:
        return _("En France") if self.comparison.area == FRANCE else _("Dans la région")


def peer_rows(comparisons: list[PeerComparison]) -> list[PeerRow]:
    """The latest year of each comparison (the latest the territory is ranked, else
    the latest with a published group), with its rank sentence."""
    rows = []
    for comparison in comparisons:
        year = comparison.latest
        if year is not None:
            rows.append(PeerRow(comparison, year, rank_sentence(comparison, year)))
    return rows
