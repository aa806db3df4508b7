"""The contracts' share of the regional effort (issue 20 §2), per scope: what the active
contracts commit to on a headline indicator by a horizon, against what the regional
2050 path requires of the whole scope over the same years.

The rule (written on the method page, ``/methode/#effort``), for each scope (the region,
each of its départements), each headline indicator with a regional path and each horizon:

* **Paths.** ``cae_2.a`` (final energy) and ``cae_1.a`` (GHG): the region's goal, a
  straight line from its reference year to its goal year. ``cae_3.a`` (renewable
  production, MWh): derived from the goals on the renewable share and on final energy,
  P_3a(y) = P_3b(y) / 100 × P_2a(y) × 1000. ``cae_3.b`` is a ratio: it has no absolute
  effort, it is read through its components.
* **Horizons.** The end of the active contracts (the latest end year of the scope's
  contracts in ``COVERING_STATUSES``; none: no row) and ``EFFORT_FIXED_HORIZON`` (2030).
* **Counted targets.** The targets on the indicator of the scope's active contracts
  (contract territory wholly inside the scope). Of two targets of one contract on one
  indicator, the one with the latest target year. Then the aggregates' overlap rule
  (``indicators.aggregation.greedy.greedy_selection``): contract territories by commune
  set, largest first; a target whose territory's communes are all still uncovered
  counts; one whose territory lies wholly inside a counted one is skipped (already
  counted: Fourmies inside the SCoT Sambre-Avesnois — the SCoT's target counts); a
  partial overlap is skipped and listed as a conflict.
* **Committed change** of a counted target by horizon H: its linear trajectory value at
  min(H, target year) − its baseline value (0 when H ≤ its baseline year). N, the sum
  over counted targets, in the indicator's unit. X: population of the counted
  territories' communes / the scope's population.
* **Required change.** S, the earliest baseline year of the counted targets. The region:
  P(H) − P(S) on the goal's absolute path (its reference value is the region's own
  figure). A département: its *complete* aggregate of year S (covering its whole
  population) × (P(H) / P(S) − 1); without one, no required figure (never a partial
  figure as a total).
* **Share** N / M (both negative for a reduction), None when M is None or 0.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from contracts.models import (
    COVERING_STATUSES,
    EFFORT_FIXED_HORIZON,
    Contract,
    EffortHorizon,
    EffortShare,
    Target,
)
from indicators.aggregation.greedy import greedy_selection
from indicators.alignment import LinearPath, Path, paths_by_indicator
from indicators.models import VALUE_QUANTUM, Aggregate, Indicator, RegionalGoal, is_partial
from indicators.trajectory import trajectory_value
from territories.models import Territory, TerritoryClosure, TerritoryKind
from territories.selectors import commune_population_totals

ENERGY, GHG, RENEWABLE, RENEWABLE_SHARE = "cae_2.a", "cae_1.a", "cae_3.a", "cae_3.b"
# The headline indicators with an absolute effort, in the dashboard's order.
EFFORT_INDICATORS = (ENERGY, GHG, RENEWABLE)
SHARE_QUANTUM = Decimal("0.000001")


@dataclass(frozen=True)
class CountedTarget:
    """What the share of effort needs of a target (no model instance)."""

    contract_reference: str
    territory_id: int
    territory_kind: str
    baseline_year: int
    baseline_value: Decimal
    target_year: int
    target_value: Decimal
    is_demo: bool


def committed_change(target: CountedTarget, horizon: int) -> Decimal:
    """The change ``target`` commits to by ``horizon``: its linear trajectory value at
    min(horizon, target year) minus its baseline value; 0 up to its baseline year."""
    if horizon <= target.baseline_year:
        return Decimal(0)
    value = trajectory_value(
        target.baseline_year,
        target.baseline_value,
        target.target_year,
        target.target_value,
        min(horizon, target.target_year),
    )
    return value - target.baseline_value


def regional_paths(goals: dict[str, object]) -> dict[str, Path]:
    """``{identifier: path}`` of the headline indicators with an absolute path, from the
    region's goals (``Objective``s) by identifier: energy and GHG their own straight
    line, renewable production derived from the goals on the renewable share and on
    final energy (``indicators.alignment.paths_by_indicator``, the alignments' paths)."""
    lines = {
        identifier: LinearPath(
            goal.baseline_year, goal.baseline_value, goal.target_year, goal.target_value
        )
        for identifier, goal in goals.items()
    }
    paths = paths_by_indicator(lines)
    return {
        identifier: paths[identifier] for identifier in EFFORT_INDICATORS if identifier in paths
    }


def required_change(
    path: Path, start: int, horizon: int, *, regional: bool, start_value: Decimal | None
) -> Decimal | None:
    """What the path requires of a scope between ``start`` and ``horizon``: for the
    region, the path's own change; for a département, its complete figure of year
    ``start`` (``start_value``; None: unknown) times the path's relative change."""
    if regional:
        return path.value(horizon) - path.value(start)
    if start_value is None:
        return None
    at_start = path.value(start)
    if not at_start:
        return None
    return start_value * (path.value(horizon) / at_start - 1)


def share_of(committed: Decimal, required: Decimal | None) -> Decimal | None:
    if not required:
        return None
    return committed / required


@dataclass
class Selection:
    counted: list[CountedTarget]
    skipped: int
    conflicts: list[str]


def select_targets(targets: list[CountedTarget], communes: dict[int, frozenset]) -> Selection:
    """The aggregates' overlap rule applied to contract territories: largest commune set
    first, a target counts if its communes are all uncovered, is skipped if they are all
    covered, and is a conflict (skipped, listed by contract reference) otherwise."""
    rows = [
        (t.territory_id, t.territory_kind, t.contract_reference, t.contract_reference, t)
        for t in targets
    ]
    selection = greedy_selection(rows, communes=communes)
    counted = [row[4] for row in selection.kept]
    conflicts = [conflict["code"] for conflict in selection.conflicts]
    return Selection(counted, len(targets) - len(counted) - len(conflicts), conflicts)


def _regional_paths_of(scopes: list[Territory]) -> tuple[dict, dict, dict]:
    """``(region of each scope, paths of each region by identifier, whether a region's
    goals are demonstration data)``, in two queries."""
    region_of = {s.pk: s.pk for s in scopes if s.kind == TerritoryKind.REGION}
    for scope, region in TerritoryClosure.objects.filter(
        descendant_id__in=[s.pk for s in scopes], ancestor__kind=TerritoryKind.REGION
    ).values_list("descendant_id", "ancestor_id"):
        region_of.setdefault(scope, region)
    goals: dict[int, dict] = defaultdict(dict)
    for goal in RegionalGoal.objects.filter(
        territory_id__in=set(region_of.values()),
        indicator__identifier__in=[ENERGY, GHG, RENEWABLE_SHARE],
    ).select_related("indicator"):
        goals[goal.territory_id][goal.indicator.identifier] = goal
    paths = {region: regional_paths(found) for region, found in goals.items()}
    demo = {region: any(g.is_demo for g in found.values()) for region, found in goals.items()}
    return region_of, paths, demo


class _Batch:
    """Everything the shares of effort of many scopes need, read in a fixed number of
    queries, then assembled per scope."""

    def __init__(self, scopes: list[Territory]):
        scope_ids = [scope.pk for scope in scopes]
        self.region_of, self.paths, self.goals_demo = _regional_paths_of(scopes)
        self.indicators = {
            i.identifier: i for i in Indicator.objects.filter(identifier__in=EFFORT_INDICATORS)
        }

        inside = TerritoryClosure.objects.filter(ancestor_id__in=scope_ids, contains_whole=True)
        contracts = list(
            Contract.objects.filter(
                status__in=COVERING_STATUSES, territory__in=inside.values("descendant_id")
            ).values_list(
                "pk", "territory_id", "territory__kind", "end_date", "reference", "is_demo"
            )
        )
        territory_ids = {row[1] for row in contracts}
        self.scopes_of: dict[int, set[int]] = defaultdict(set)
        for territory, scope in inside.filter(descendant_id__in=territory_ids).values_list(
            "descendant_id", "ancestor_id"
        ):
            self.scopes_of[territory].add(scope)
        self.contracts = contracts
        by_pk = {row[0]: row for row in contracts}

        # One target per (contract, indicator): the one with the latest target year.
        latest: dict[tuple[int, str], tuple] = {}
        for row in (
            Target.objects.filter(
                contract_id__in=by_pk, indicator__identifier__in=EFFORT_INDICATORS
            )
            .order_by("target_year")
            .values_list(
                "contract_id",
                "indicator__identifier",
                "baseline_year",
                "baseline_value",
                "target_year",
                "target_value",
            )
        ):
            latest[row[0], row[1]] = row
        self.targets: dict[str, list[tuple[int, CountedTarget]]] = defaultdict(list)
        for (contract_id, identifier), row in sorted(latest.items()):
            _pk, territory, kind, _end, reference, is_demo = by_pk[contract_id]
            target = CountedTarget(reference, territory, kind, *row[2:], is_demo)
            self.targets[identifier].append((territory, target))

        self.communes: dict[int, set[int]] = defaultdict(set)
        self.commune_population: dict[int, int] = {}
        for territory, commune, population in TerritoryClosure.objects.filter(
            ancestor_id__in=territory_ids, descendant__kind=TerritoryKind.COMMUNE
        ).values_list("ancestor_id", "descendant_id", "descendant__population"):
            self.communes[territory].add(commune)
            self.commune_population[commune] = population or 0
        self.frozen = {t: frozenset(c) for t, c in self.communes.items()}
        self.population = {
            pk: total for pk, (total, _year) in commune_population_totals(scope_ids).items()
        }
        baseline_years = {t.baseline_year for found in self.targets.values() for _t, t in found}
        self.aggregates = {
            (scope, identifier, year): (value, covered, is_demo)
            for scope, identifier, year, value, covered, is_demo in Aggregate.objects.filter(
                scope_id__in=[s.pk for s in scopes if s.kind != TerritoryKind.REGION],
                indicator__identifier__in=EFFORT_INDICATORS,
                year__in=baseline_years,
            ).values_list(
                "scope_id",
                "indicator__identifier",
                "year",
                "value",
                "covered_population",
                "is_demo",
            )
        }

    def horizons(self, scope: Territory) -> list[tuple[str, int]]:
        ends = [
            end.year for _pk, t, _k, end, _r, _d in self.contracts if scope.pk in self.scopes_of[t]
        ]
        if not ends:
            return []
        return [
            (EffortHorizon.CONTRACTS_END, max(ends)),
            (EffortHorizon.FIXED_YEAR, EFFORT_FIXED_HORIZON),
        ]

    def shares_for(self, scope: Territory, now) -> list[EffortShare]:
        horizons = self.horizons(scope)
        region = self.region_of.get(scope.pk)
        paths = self.paths.get(region, {})
        scope_population = self.population.get(scope.pk) or 0
        rows = []
        for identifier in EFFORT_INDICATORS:
            if identifier not in paths or not horizons or identifier not in self.indicators:
                continue
            candidates = [
                t
                for territory, t in self.targets[identifier]
                if scope.pk in self.scopes_of[territory]
            ]
            selection = select_targets(candidates, self.frozen)
            if not selection.counted:
                continue
            start = min(t.baseline_year for t in selection.counted)
            communes = set().union(*(self.communes[t.territory_id] for t in selection.counted))
            regional = scope.kind == TerritoryKind.REGION
            start_value, aggregate_demo = self._complete_aggregate(
                scope.pk, identifier, start, scope_population
            )
            for kind, horizon in horizons:
                committed = sum(
                    (committed_change(t, horizon) for t in selection.counted), Decimal(0)
                )
                required = required_change(
                    paths[identifier], start, horizon, regional=regional, start_value=start_value
                )
                share = share_of(committed, required)
                rows.append(
                    EffortShare(
                        scope=scope,
                        indicator=self.indicators[identifier],
                        horizon_kind=kind,
                        horizon_year=horizon,
                        start_year=start,
                        committed_change=committed.quantize(VALUE_QUANTUM),
                        required_change=None
                        if required is None
                        else required.quantize(VALUE_QUANTUM),
                        share=None if share is None else share.quantize(SHARE_QUANTUM),
                        covered_population=sum(self.commune_population[c] for c in communes),
                        scope_population=scope_population,
                        targets_counted=len(selection.counted),
                        targets_skipped=selection.skipped,
                        conflicts=selection.conflicts,
                        is_demo=any(t.is_demo for t in selection.counted)
                        or self.goals_demo.get(region, False)
                        or aggregate_demo,
                        computed_at=now,
                    )
                )
        return rows

    def _complete_aggregate(
        self, scope, identifier, year, population
    ) -> tuple[Decimal | None, bool]:
        """The scope's aggregate of ``year`` if it covers the whole population."""
        value, covered, is_demo = self.aggregates.get((scope, identifier, year), (None, 0, False))
        if value is None or is_partial(covered, population):
            return None, False
        return value, is_demo


def effort_shares(scopes: list[Territory]) -> list[EffortShare]:
    """The (unsaved) shares of effort of ``scopes``, in a fixed number of queries."""
    if not scopes:
        return []
    batch = _Batch(scopes)
    now = timezone.now()
    return [row for scope in scopes for row in batch.shares_for(scope, now)]


def refresh_effort_shares(scopes: list[Territory], *, every_scope: bool) -> int:
    """Replace the shares of effort of ``scopes`` (locked by the caller); with
    ``every_scope``, those of any other scope too (a full refresh)."""
    rows = effort_shares(scopes)
    stale = EffortShare.objects.all()
    if not every_scope:
        stale = stale.filter(scope__in=scopes)
    stale.delete()
    EffortShare.objects.bulk_create(rows)
    return len(rows)


def refresh_required_changes(scopes: list[Territory]) -> int:
    """Only validated values changed (an incremental recompute): of the shares of effort,
    only the départements' required changes depend on them (through their complete
    aggregate of the start year). Recompute those, and the shares, of the existing rows
    of ``scopes`` (locked by the caller), in a fixed number of queries; everything else
    stays as the last full refresh wrote it. A row already marked demonstration data
    stays so until the next full refresh."""
    departements = [s for s in scopes if s.kind == TerritoryKind.DEPARTEMENT]
    rows = list(EffortShare.objects.filter(scope__in=departements).select_related("indicator"))
    if not rows:
        return 0
    region_of, paths, _demo = _regional_paths_of(departements)
    aggregates = {
        (scope, indicator, year): (value, covered, is_demo)
        for scope, indicator, year, value, covered, is_demo in Aggregate.objects.filter(
            scope_id__in=[s.pk for s in departements],
            indicator_id__in={row.indicator_id for row in rows},
            year__in={row.start_year for row in rows},
        ).values_list("scope_id", "indicator_id", "year", "value", "covered_population", "is_demo")
    }
    now = timezone.now()
    changed = []
    for row in rows:
        path = paths.get(region_of.get(row.scope_id), {}).get(row.indicator.identifier)
        value, covered, is_demo = aggregates.get(
            (row.scope_id, row.indicator_id, row.start_year), (None, 0, False)
        )
        complete = value is not None and not is_partial(covered, row.scope_population)
        required = (
            None
            if path is None
            else required_change(
                path,
                row.start_year,
                row.horizon_year,
                regional=False,
                start_value=value if complete else None,
            )
        )
        share = share_of(row.committed_change, required)
        before = (row.required_change, row.share, row.is_demo)
        row.required_change = None if required is None else required.quantize(VALUE_QUANTUM)
        row.share = None if share is None else share.quantize(SHARE_QUANTUM)
        row.is_demo = row.is_demo or (complete and is_demo)
        if (row.required_change, row.share, row.is_demo) != before:
            row.computed_at = now
            changed.append(row)
    EffortShare.objects.bulk_update(changed, ["required_change", "share", "is_demo", "computed_at"])
    return len(changed)
