"""Contract figures per scope (region, départements), materialised in ContractStats.

One refresh path: :func:`refresh_contract_stats` is the only writer of the figures,
and it is called from two places only:

* a contract's status change (``contracts.services``), in its transaction: every
  figure of the scopes above the contract's territory;
* every recompute run (``contracts.receivers``, on ``indicators.signals.
  aggregates_recomputed`` — the indicators app sits below this one and cannot call
  it): a full run (nightly, staff, command) refreshes every figure of every scope,
  which also brings in what the admin edited (targets, themes); an incremental run,
  after validations or corrections, only the achieved changes of the scopes above
  the territories whose values changed (``values_only``).

Outside ``values_only`` it also refreshes the targets' alignments with the regional
path (``contracts.alignment``), which depend on the targets, statuses and goals, not
on the values.

With the figures, it rewrites the contracts' share of the regional effort of the same
scopes (``contracts.effort``): it depends on the contracts, their targets, the regional
goals and the départements' aggregates, so it is refreshed by every one of these paths
(and after a target or a regional goal is edited: ``contracts.receivers``); after an
incremental run, only its part that depends on values (the départements' required
changes)."""

from collections import Counter, defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from contracts.alignment import refresh_alignments
from contracts.effort import refresh_effort_shares, refresh_required_changes
from contracts.models import (
    COVERING_STATUSES,
    PUBLIC_STATUSES,
    Contract,
    ContractStats,
    Target,
)
from indicators.models import Indicator, IndicatorValue
from territories.models import Territory, TerritoryClosure, TerritoryKind
from territories.selectors import commune_population_totals

STATS_SCOPE_KINDS = [TerritoryKind.REGION, TerritoryKind.DEPARTEMENT]


class _Target(NamedTuple):
    """What the figures need of a target (no model instances: a region has hundreds)."""

    pk: int
    contract_id: int
    indicator_id: int
    identifier: str
    unit: str
    baseline_year: int
    baseline_value: Decimal
    target_value: Decimal
    territory_id: int  # the contract's


def latest_values(territories: set[int], indicators: set[int]) -> dict[tuple, tuple[int, Decimal]]:
    """``{(territory, indicator): (year, value)}`` of the latest validated year — a
    target's latest observation (``indicators.trajectory.evaluate``) for indicators
    entered as is, when that year is not before the target's baseline year."""
    rows = (
        IndicatorValue.objects.validated()
        .filter(territory_id__in=territories, indicator_id__in=indicators)
        .order_by("territory_id", "indicator_id", "-year")
    )
    if connection.vendor == "postgresql":  # the first row of each pair only
        rows = rows.distinct("territory_id", "indicator_id")
    latest: dict[tuple, tuple[int, Decimal]] = {}
    for territory, indicator, year, value in rows.values_list(
        "territory_id", "indicator_id", "year", "value"
    ):
        latest.setdefault((territory, indicator), (year, value))
    return latest


class _Batch:
    """Everything the figures of many scopes need, read in a fixed number of queries
    (a national refresh: 119 scopes, a thousand contracts), then assembled per scope."""

    def __init__(self, scopes: list[Territory], values_only: bool = False):
        """``values_only``: what the achieved changes need, nothing else (themes,
        populations)."""
        scope_ids = [scope.pk for scope in scopes]
        inside = TerritoryClosure.objects.filter(ancestor_id__in=scope_ids, contains_whole=True)
        contracts = list(
            Contract.objects.filter(territory__in=inside.values("descendant_id")).values_list(
                "pk", "territory_id", "status"
            )
        )
        territory_ids = {territory for _pk, territory, _status in contracts}
        self.scopes_of: dict[int, set[int]] = defaultdict(set)
        for territory, scope in TerritoryClosure.objects.filter(
            ancestor_id__in=scope_ids, descendant_id__in=territory_ids, contains_whole=True
        ).values_list("descendant_id", "ancestor_id"):
            self.scopes_of[territory].add(scope)
        self.contracts = [c for c in contracts if self.scopes_of.get(c[1])]
        public_ids = {pk for pk, _t, status in self.contracts if status in PUBLIC_STATUSES}
        if not values_only:
            self._read_themes_and_populations(scope_ids, public_ids)
        self.containers: dict[int, set[int]] = defaultdict(set)  # contract territories above
        for ancestor, descendant in TerritoryClosure.objects.filter(
            ancestor_id__in=territory_ids,
            descendant_id__in=territory_ids,
            depth__gt=0,
            contains_whole=True,
        ).values_list("ancestor_id", "descendant_id"):
            self.containers[descendant].add(ancestor)
        territory_of = {pk: territory for pk, territory, _status in self.contracts}
        self.targets_of: dict[int, list[_Target]] = defaultdict(list)
        for row in Target.objects.filter(
            contract_id__in=public_ids,
            indicator__in=Indicator.objects.filter(is_key=True, formula=""),
        ).values_list(
            "pk",
            "contract_id",
            "indicator_id",
            "indicator__identifier",
            "indicator__unit",
            "baseline_year",
            "baseline_value",
            "target_value",
        ):
            target = _Target(*row, territory_of[row[1]])
            self.targets_of[target.contract_id].append(target)
        targets = [t for found in self.targets_of.values() for t in found]
        self.latest = latest_values(
            {t.territory_id for t in targets}, {t.indicator_id for t in targets}
        )

    def _read_themes_and_populations(self, scope_ids: list[int], public_ids: set[int]) -> None:
        self.themes: dict[int, list[str]] = defaultdict(list)
        for contract_id, slug in Contract.themes.through.objects.filter(
            contract_id__in=public_ids
        ).values_list("contract_id", "contracttheme__slug"):
            self.themes[contract_id].append(slug)
        # The scopes' populations by the one rule that gives Territory.population.
        self.population = {
            pk: total for pk, (total, _year) in commune_population_totals(scope_ids).items()
        }
        communes = TerritoryClosure.objects.filter(descendant__kind=TerritoryKind.COMMUNE)
        self.communes_of: dict[int, set[int]] = defaultdict(set)
        self.commune_population: dict[int, int] = {}
        for territory, commune, population in communes.filter(
            ancestor_id__in={c[1] for c in self.contracts}
        ).values_list("ancestor_id", "descendant_id", "descendant__population"):
            self.communes_of[territory].add(commune)
            self.commune_population[commune] = population or 0

    def _population_of(self, territories) -> int:
        communes = set().union(*(self.communes_of[t] for t in territories))
        return sum(self.commune_population[c] for c in communes)

    def stats_for(self, scope: Territory) -> ContractStats:
        mine = [c for c in self.contracts if scope.pk in self.scopes_of[c[1]]]
        public = [c for c in mine if c[2] in PUBLIC_STATUSES]
        by_theme = Counter(slug for pk, _t, _s in public for slug in self.themes[pk])
        return ContractStats(
            scope=scope,
            population=self.population.get(scope.pk) or 0,
            covered_population=self._population_of(
                {t for _pk, t, status in mine if status in COVERING_STATUSES}
            ),
            covered_population_all=self._population_of({t for _pk, t, _s in public}),
            by_status=dict(sorted(Counter(status for _pk, _t, status in mine).items())),
            by_theme=dict(sorted(by_theme.items())),
            changes=self.changes_for(scope),
            computed_at=timezone.now(),
        )

    def changes_for(self, scope: Territory) -> dict:
        public = sorted(
            pk
            for pk, territory, status in self.contracts
            if status in PUBLIC_STATUSES and scope.pk in self.scopes_of[territory]
        )
        return self._changes([t for pk in public for t in self.targets_of[pk]])

    def _changes(self, targets: list["_Target"]) -> dict:
        """Targeted (target − baseline) and achieved (latest − baseline) changes of the
        key indicators, summed without double counting: a target is left out when the
        territory of its contract lies wholly inside another contract territory that
        has a target on the same indicator."""
        by_indicator: dict[str, list[_Target]] = defaultdict(list)
        for target in targets:
            by_indicator[target.identifier].append(target)
        changes = {}
        for identifier, group in sorted(by_indicator.items()):
            holders = {t.territory_id for t in group}
            counted = [t for t in group if not holders & self.containers[t.territory_id]]
            targeted = sum((t.target_value - t.baseline_value for t in counted), Decimal(0))
            latest = {t.pk: self._latest_since_baseline(t) for t in counted}
            with_data = [t for t in counted if latest[t.pk] is not None]
            achieved = sum((latest[t.pk] - t.baseline_value for t in with_data), Decimal(0))
            changes[identifier] = {
                "unit": group[0].unit,
                "targets": len(counted),
                "targeted": str(targeted),
                "achieved": str(achieved),
                "with_data": len(with_data),
            }
        return changes

    def _latest_since_baseline(self, target: "_Target") -> Decimal | None:
        """The target's latest observation, if measured from its baseline year on (an
        older value says nothing of the change since the baseline)."""
        year, value = self.latest.get((target.territory_id, target.indicator_id), (None, None))
        return value if year is not None and year >= target.baseline_year else None


def _locked_scopes(territories) -> list[Territory]:
    """Every region and département, or those above ``territories``, locked: the lock
    serialises concurrent refreshes (two recomputes at once)."""
    scopes = Territory.objects.filter(kind__in=STATS_SCOPE_KINDS)
    if territories is not None:
        above = TerritoryClosure.objects.filter(descendant_id__in=list(territories))
        scopes = scopes.filter(pk__in=above.values("ancestor_id"))
    return list(scopes.select_for_update().order_by("pk"))


# While a bulk operation defers them (``contract_stats_deferred``): the territories whose
# figures were asked for (None in the set: every scope).
_deferred: ContextVar[set | None] = ContextVar("deferred_contract_stats", default=None)


@contextmanager
def contract_stats_deferred():
    """Refreshes asked for in the block (a demo load takes a dozen contracts through
    their statuses, each asking for one) run once at its end, over every scope asked
    for — the same figures as refreshing at each step."""
    asked: set = set()
    token = _deferred.set(asked)
    try:
        yield
    finally:
        _deferred.reset(token)
    if asked:
        refresh_contract_stats(None if None in asked else asked)


def refresh_contract_stats(territories=None, *, values_only: bool = False) -> int:
    """Recompute the figures of every region and département, or only of those above
    ``territories`` (ids of territories whose contracts or values changed); one
    transaction, a fixed number of queries. ``values_only``: only values changed —
    of the figures, only the achieved changes depend on them: recompute those, keep
    the rest (contracts, populations and themes did not change); scopes without
    figures yet get all of them. In a :func:`contract_stats_deferred` block:
    remembered, and run (in full) at the block's end."""
    asked = _deferred.get()
    if asked is not None:
        asked.update([None] if territories is None else territories)
        return 0
    return _refresh(territories, values_only=values_only)


@transaction.atomic
def _refresh(territories=None, *, values_only: bool = False) -> int:
    scopes = _locked_scopes(territories)
    if values_only and _refresh_changes(scopes):
        refresh_required_changes(scopes)
        return len(scopes)
    refresh_effort_shares(scopes, every_scope=territories is None)
    batch = _Batch(scopes)
    _refresh_alignments_of(territories, batch)
    rows = [batch.stats_for(scope) for scope in scopes]
    stale = ContractStats.objects.all()
    if territories is not None:
        stale = stale.filter(scope__in=scopes)
    stale.delete()
    ContractStats.objects.bulk_create(rows)
    return len(rows)


def _refresh_alignments_of(territories, batch: "_Batch") -> None:
    """The targets' alignments with the regional path (they do not depend on the
    values): every target after a full run, else those of the contracts in the
    refreshed scopes and on ``territories`` themselves."""
    if territories is None:
        refresh_alignments()
        return
    refresh_alignments(
        Target.objects.filter(
            Q(contract_id__in=[pk for pk, _t, _s in batch.contracts])
            | Q(contract__territory_id__in=list(territories))
        )
    )


def _refresh_changes(scopes: list[Territory]) -> bool:
    """Recompute the achieved changes of ``scopes`` (locked) in place; False, writing
    nothing, if one of them has no figures yet."""
    rows = {row.scope_id: row for row in ContractStats.objects.filter(scope__in=scopes)}
    if len(rows) < len(scopes):
        return False
    batch = _Batch(scopes, values_only=True)
    now = timezone.now()
    for scope in scopes:
        rows[scope.pk].changes = batch.changes_for(scope)
        rows[scope.pk].computed_at = now
    ContractStats.objects.bulk_update(rows.values(), ["changes", "computed_at"])
    return True
