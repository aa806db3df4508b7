"""Contract figures per scope (region, départements), materialised in ContractStats."""

from collections import Counter, defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from contracts.models import (
    PUBLIC_STATUSES,
    Contract,
    ContractKind,
    ContractStats,
    ContractStatus,
    Target,
)
from contracts.selectors import progress_for_targets
from indicators.models import Indicator
from territories.models import Territory, TerritoryClosure, TerritoryKind

COVERING_STATUSES = [ContractStatus.SIGNED, ContractStatus.ACTIVE]
STATS_SCOPE_KINDS = [TerritoryKind.REGION, TerritoryKind.DEPARTEMENT]


def _communes_population(territories) -> int:
    """Population of the union of the communes of these territories (each inhabitant once)."""
    communes = TerritoryClosure.objects.filter(
        ancestor__in=territories, descendant__kind=TerritoryKind.COMMUNE
    ).values("descendant_id")
    total = Territory.objects.filter(pk__in=communes).aggregate(total=Sum("population"))["total"]
    return total or 0


def _changes(targets: list[Target]) -> dict:
    """Targeted (target − baseline) and achieved (latest − baseline) changes of the key
    indicators, summed without double counting: a target is left out when the
    territory of its contract lies wholly inside another contract territory that has a
    target on the same indicator."""
    if not targets:
        return {}
    territory_ids = {t.contract.territory_id for t in targets}
    inside = set(
        TerritoryClosure.objects.filter(
            ancestor_id__in=territory_ids,
            descendant_id__in=territory_ids,
            depth__gt=0,
            contains_whole=True,
        ).values_list("ancestor_id", "descendant_id")
    )
    by_indicator: dict[str, list[Target]] = defaultdict(list)
    for target in targets:
        by_indicator[target.indicator.identifier].append(target)
    progress = progress_for_targets(targets)
    changes = {}
    for identifier, group in sorted(by_indicator.items()):
        holders = {t.contract.territory_id for t in group}
        counted = [
            t
            for t in group
            if not any((other, t.contract.territory_id) in inside for other in holders)
        ]
        targeted = sum((t.target_value - t.baseline_value for t in counted), Decimal(0))
        with_data = [t for t in counted if progress[t.pk].latest_value is not None]
        achieved = sum(
            (progress[t.pk].latest_value - t.baseline_value for t in with_data), Decimal(0)
        )
        changes[identifier] = {
            "unit": group[0].indicator.unit,
            "targets": len(counted),
            "targeted": str(targeted),
            "achieved": str(achieved),
            "with_data": len(with_data),
        }
    return changes


def stats_for(scope: Territory) -> ContractStats:
    inside_scope = TerritoryClosure.objects.filter(ancestor=scope, contains_whole=True).values(
        "descendant_id"
    )
    contracts = Contract.objects.filter(kind=ContractKind.COTRI, territory__in=inside_scope)
    by_status = Counter(contracts.values_list("status", flat=True))
    by_theme = Counter(
        contracts.filter(status__in=PUBLIC_STATUSES).values_list("themes__slug", flat=True)
    )
    by_theme.pop(None, None)
    covering = contracts.filter(status__in=COVERING_STATUSES).values("territory_id")
    targets = list(
        Target.objects.filter(
            contract__in=contracts.filter(status__in=PUBLIC_STATUSES),
            indicator__in=Indicator.objects.filter(is_key=True, formula=""),
        ).select_related("indicator", "contract__territory")
    )
    return ContractStats(
        scope=scope,
        population=_communes_population([scope]),
        covered_population=_communes_population(Territory.objects.filter(pk__in=covering)),
        covered_population_all=_communes_population(
            Territory.objects.filter(
                pk__in=contracts.filter(status__in=PUBLIC_STATUSES).values("territory_id")
            )
        ),
        by_status=dict(sorted(by_status.items())),
        by_theme=dict(sorted(by_theme.items())),
        changes=_changes(targets),
        computed_at=timezone.now(),
    )


@transaction.atomic
def refresh_contract_stats(territories=None) -> int:
    """Recompute the figures of every region and département, or only of those above
    ``territories`` (ids of territories whose contracts or values changed); one
    transaction."""
    scopes = Territory.objects.filter(kind__in=STATS_SCOPE_KINDS)
    if territories is not None:
        above = TerritoryClosure.objects.filter(descendant_id__in=list(territories))
        scopes = scopes.filter(pk__in=above.values("ancestor_id"))
    # Locking the scope rows serialises concurrent refreshes (two recomputes at once).
    scopes = list(scopes.select_for_update().order_by("pk"))
    rows = [stats_for(scope) for scope in scopes]
    stale = ContractStats.objects.all()
    if territories is not None:
        stale = stale.filter(scope__in=scopes)
    stale.delete()
    ContractStats.objects.bulk_create(rows)
    return len(rows)
