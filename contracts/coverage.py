"""Which public TRI contracts cover a territory: those signed by the territory itself
or by a territory containing it (its EPCI, its syndicat…), read from the closure
table. "Is my commune covered, and by which contract?"."""

from dataclasses import dataclass

from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from contracts.models import COVERING_STATUSES, Contract
from territories.models import Territory, TerritoryClosure


@dataclass(frozen=True)
class Coverage:
    contract: Contract
    depth: int  # 0: the territory's own contract, 1: its direct parent's, …

    @property
    def via(self) -> Territory:
        """The territory that signed the contract (the territory itself or an ancestor)."""
        return self.contract.territory


def covering_contracts_of_many(territories) -> dict[int, list[Coverage]]:
    """``{territory id: [Coverage, …]}`` for every given territory (an empty list when
    none covers it), the nearest signatory first, then the latest contract first. One
    query whatever the number of territories (the closure table lists each territory
    as its own ancestor at depth 0)."""
    ids = [t.pk for t in territories]
    result: dict[int, list[Coverage]] = {pk: [] for pk in ids}
    if not ids:
        return result
    contracts = (
        Contract.objects.public()
        .filter(territory__descendant_links__descendant_id__in=ids)
        .annotate(
            covered_id=F("territory__descendant_links__descendant_id"),
            depth=F("territory__descendant_links__depth"),
        )
        .select_related("territory")
        .order_by("depth", "-start_date", "reference")
    )
    for contract in contracts:
        result[contract.covered_id].append(Coverage(contract, contract.depth))
    return result


def covering_contracts(territory: Territory) -> list[Coverage]:
    """The public contracts covering ``territory``, the nearest signatory first."""
    return covering_contracts_of_many([territory])[territory.pk]


def contracts_inside(scope: Territory):
    """The public TRI contracts signed by territories wholly inside ``scope`` (a
    département, the region): those its contract figures count, latest first."""
    inside = TerritoryClosure.objects.filter(ancestor=scope, depth__gt=0, contains_whole=True)
    return (
        Contract.objects.public()
        .filter(territory__in=inside.values("descendant_id"))
        .select_related("territory")
        .order_by("-start_date", "territory__name")
    )


class CoverageLevel(models.TextChoices):
    """How a commune is covered today: by a contract signed or running
    (``COVERING_STATUSES``), only by completed contracts, or by no public contract."""

    COVERED = "covered", _("couverte par un contrat signé ou en cours")
    COMPLETED_ONLY = "completed", _("couverte seulement par un contrat achevé")
    NONE = "none", _("non couverte")


def commune_coverage(scope: Territory) -> dict[str, CoverageLevel]:
    """``{INSEE code: level}`` of every commune of ``scope`` (the communes no public
    contract covers included): one query for the covered ones, one for the codes."""
    communes = Territory.objects.communes().descendants_of(scope, include_self=True)
    statuses: dict[str, set[str]] = {}
    rows = (
        Contract.objects.public()
        .filter(territory__descendant_links__descendant__in=communes)
        .annotate(covered_code=F("territory__descendant_links__descendant__code"))
        .values_list("covered_code", "status")
    )
    for code, status in rows:
        statuses.setdefault(code, set()).add(status)
    return {
        code: coverage_level(statuses.get(code, set()))
        for code in communes.values_list("code", flat=True)
    }


def coverage_level(statuses: set[str]) -> CoverageLevel:
    """The level given by the statuses of the public contracts covering a place."""
    if statuses & set(COVERING_STATUSES):
        return CoverageLevel.COVERED
    return CoverageLevel.COMPLETED_ONLY if statuses else CoverageLevel.NONE
