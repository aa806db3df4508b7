"""A territory against its peers, read at page time: the stored statistics of its
groups, and its rank — one query for the figures of its group's members (by the same
rule as the statistics), ranked in Python. Storing the rank of every territory of
France for every indicator and year would multiply the rows each job writes by the
number of territories, for one sentence on one page."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from indicators.models import (
    Indicator,
    PeerStatistic,
)
from indicators.peer_groups import (
    BANDS_BY_CODE,
    FRANCE,
    MIN_PEERS,
    PEER_KIND_PLURALS,
    band_of,
    figure_decimals,
    figure_unit,
    rank_of,
    territory_peer_kind,
)
from indicators.peers.figures import Figure, figures, stored
from territories.models import TerritoryClosure, TerritoryKind

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
            figure=stored(own.value) if own else None,
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
