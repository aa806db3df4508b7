"""Compared figures: every territory's value of a headline indicator for a year, per
inhabitant where the unit calls for it, with its peer kind, population band and
region — read in two queries (the validated values with their territory's kind,
nature and population in one pass; the region of each territory)."""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from django.db import connection

from indicators import formulas
from indicators.models import (
    VALUE_QUANTUM,
    Indicator,
    IndicatorValue,
    ValueStatus,
)
from indicators.peer_groups import (
    COMPARED_KINDS,
    band_of,
    figure_of,
    peer_kind,
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


def regions_of(kinds: Iterable[str] = COMPARED_KINDS) -> dict[int, str]:
    """``{territory id: code of the region wholly containing it}`` (one query)."""
    return _regions(list(kinds), "", [])


def figures(
    indicators: Iterable[Indicator],
    catalogue: dict[str, Indicator] | None = None,
    years: Iterable[int] | None = None,
    kinds: Iterable[str] = COMPARED_KINDS,
    territory_filter: str = "",
    params: Iterable = (),
    regions: dict[int, str] | None = None,
) -> dict[str, list[Figure]]:
    """``{identifier: every territory's compared figure}`` of ``indicators`` (``years``:
    all by default), from validated values only: a derived indicator from its validated
    components (the same year), an amount per inhabitant (``figure_of``).
    ``territory_filter``: an SQL condition on the territory ``t`` (with its ``params``).
    ``regions``: ``regions_of(kinds)`` when the caller already read them (one call per
    year of a refresh). Two queries, whatever the number of indicators."""
    indicators = list(indicators)
    if catalogue is None:
        catalogue = {i.identifier: i for i in Indicator.objects.all()}
    by_id = {c.pk: c.identifier for i in indicators for c in _components(i, catalogue)}
    kinds, params = list(kinds), list(params)
    years = None if years is None else sorted(set(years))
    if years == [] or not indicators:
        return {i.identifier: [] for i in indicators}
    rows = _value_rows(list(by_id), years, kinds, territory_filter, params)
    if regions is None:
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


def stored(value: float) -> Decimal:
    """A figure or statistic as stored and shown: six decimals."""
    return Decimal(value).quantize(VALUE_QUANTUM)
