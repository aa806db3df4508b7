"""Who a territory is compared with (DESIGN.md, *Alignment and peers*; written out on
/methode/#pairs): territories of the same *peer kind* and *population band*, on a
*figure* per inhabitant where the unit calls for it, never on fewer than ``MIN_PEERS``.

Plain definitions, no database: the statistics are computed and stored by
``indicators.peers`` (called by the aggregate jobs), and read by the pages and the API."""

import bisect
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from indicators.units import PER_INHABITANT, UNIT_DECIMALS
from territories.models import EpciNature, TerritoryKind

# A group statistic is published only over at least this many territories; a
# territory's rank (and the band on its chart) only with this many peers besides itself.
MIN_PEERS = 5

# The comparison over every region of the database (when national data are loaded).
FRANCE = "FR"


class PeerKind(models.TextChoices):
    COMMUNE = "commune", _("commune")
    CC = "cc", _("communauté de communes")
    CA = "ca", _("communauté d'agglomération")
    CU = "cu", _("communauté urbaine")
    METROPOLE = "metropole", _("métropole")
    SYNDICAT = "syndicat", _("syndicat")


# The rank sentence names the group in the plural (« 3e sur 24 communautés de communes »).
PEER_KIND_PLURALS = {
    PeerKind.COMMUNE: _("communes"),
    PeerKind.CC: _("communautés de communes"),
    PeerKind.CA: _("communautés d'agglomération"),
    PeerKind.CU: _("communautés urbaines"),
    PeerKind.METROPOLE: _("métropoles"),
    PeerKind.SYNDICAT: _("syndicats"),
}

EPCI_PEER_KINDS = {
    EpciNature.CC: PeerKind.CC,
    EpciNature.CA: PeerKind.CA,
    EpciNature.CU: PeerKind.CU,
    EpciNature.METRO: PeerKind.METROPOLE,
}

# The territory kinds that have peers (a département or a région has none here).
COMPARED_KINDS = (TerritoryKind.COMMUNE, TerritoryKind.EPCI, TerritoryKind.SYNDICAT)


def peer_kind(kind: str, epci_nature: str = "") -> str | None:
    """The peer kind of a territory of ``kind`` (and EPCI ``epci_nature``): commune,
    CC, CA, CU, métropole or syndicat; None for a département or a région (or an EPCI
    without its nature)."""
    if kind == TerritoryKind.COMMUNE:
        return PeerKind.COMMUNE
    if kind == TerritoryKind.SYNDICAT:
        return PeerKind.SYNDICAT
    if kind == TerritoryKind.EPCI:
        return EPCI_PEER_KINDS.get(epci_nature)
    return None


def territory_peer_kind(territory) -> str | None:
    return peer_kind(territory.kind, territory.epci_nature)


@dataclass(frozen=True)
class PopulationBand:
    code: str
    low: int  # inclusive
    high: int | None  # exclusive; None: no upper bound
    label: str


POPULATION_BANDS = (
    PopulationBand("0-2000", 0, 2_000, _("moins de 2 000 habitants")),
    PopulationBand("2000-5000", 2_000, 5_000, _("de 2 000 à 5 000 habitants")),
    PopulationBand("5000-20000", 5_000, 20_000, _("de 5 000 à 20 000 habitants")),
    PopulationBand("20000-50000", 20_000, 50_000, _("de 20 000 à 50 000 habitants")),
    PopulationBand("50000-100000", 50_000, 100_000, _("de 50 000 à 100 000 habitants")),
    PopulationBand("100000-250000", 100_000, 250_000, _("de 100 000 à 250 000 habitants")),
    PopulationBand("250000+", 250_000, None, _("250 000 habitants et plus")),
)
BANDS_BY_CODE = {band.code: band for band in POPULATION_BANDS}
_LOWS = [band.low for band in POPULATION_BANDS]


def band_of(population: int | None) -> str | None:
    """The code of the population band of ``population`` (lower bound inclusive); None
    when the population is not known."""
    if population is None or population < 0:
        return None
    return POPULATION_BANDS[bisect.bisect_right(_LOWS, population) - 1].code


def figure_unit(indicator) -> str:
    """The unit peers are compared in: per inhabitant where the indicator's unit is an
    amount that grows with the territory (``PER_INHABITANT``), else its own (a share)."""
    per_inhabitant = PER_INHABITANT.get(indicator.unit)
    return per_inhabitant[0] if per_inhabitant else indicator.unit


def figure_of(unit: str, value: Decimal, population: int | None) -> Decimal | None:
    """The compared figure of a ``value`` in ``unit`` (the indicator's unit): divided by
    the population and converted where ``PER_INHABITANT`` has the unit (None without a
    population), the value itself otherwise."""
    per_inhabitant = PER_INHABITANT.get(unit)
    if per_inhabitant is None:
        return value
    if not population:
        return None
    return value * per_inhabitant[1] / population


def rank_of(figure: Decimal, others, direction: str) -> int:
    """1 + the number of ``others`` strictly better than ``figure`` by ``direction``
    (lower or higher is better): ties share a rank."""
    if direction == "higher":
        return 1 + sum(1 for other in others if other > figure)
    return 1 + sum(1 for other in others if other < figure)


def figure_decimals(indicator) -> int:
    """The precision a compared figure is shown with."""
    return UNIT_DECIMALS.get(figure_unit(indicator), 2)
