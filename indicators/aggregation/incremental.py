"""The incremental run after validations, and the protocol that makes it safe.

A validation records the affected (territory, indicator, year) in ``PendingRecompute``
inside its own transaction (``record_pending``): the work survives a broker outage, and
the next run — the task sent after commit, the nightly job, ``manage.py
recompute_aggregates --pending`` — picks it up (``recompute_pending``). That run
recomputes only the affected indicators (and the ratios using them), years and scopes
above the reporting territories, and not even those where the new value cannot count
(``_Changes``): a commune inside a reporting EPCI only adds one to the number of
candidates of the EPCI, département and région aggregates, updated in place
(``refresh_candidates``). The pending rows are deleted only once their aggregates are
written, so a crash loses nothing; a full run (``runs.recompute_all``) clears the
pending rows recorded before it started.

Concurrency protocol — adding to a count is not idempotent, so:

* **Who locks what.** A validating transaction takes a share lock on the indicator rows
  (PostgreSQL) until it commits; a recompute (``runs.replace_aggregates``, and
  ``recompute_pending`` while it reads the pending rows and updates counts in place)
  locks them for update. A recompute never runs alongside a validation: a validation
  waits for a recompute in progress to commit (up to ≈ 10 s during the nightly
  national one), and a second worker waits, then finds the pending rows gone, or the
  aggregates dated after them.
* **One clock.** Each side dates its rows once it holds its locks, on the database's
  clock (``runs.database_now``: the same for the web processes and the workers,
  whatever their hosts): the pending rows by the validation, the aggregates by the
  recompute.
* **Why in-place counts are safe.** An aggregate dated before a pending row therefore
  cannot include its value; only such aggregates are updated in place. One dated after
  — recomputed since, or already updated by an interrupted or concurrent run — is
  recomputed, never counted twice. Also required: the aggregate has no conflict
  (without partial overlaps its kept set is every candidate no other candidate of the
  scope contains; with them the greedy walk may keep a territory inside a skipped one),
  and the pending row says whether the value replaced a validated one
  (``PendingRecompute.replaced``; unknown: recompute).

Tested: an interrupted run, a recompute between the validation and the incremental run
(tests/indicators/test_recompute_triggers.py), and on PostgreSQL with real threads two
incremental runs and a full one at once (tests/indicators/test_recompute_real_services.py).
"""

import json
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from indicators.aggregation import runs
from indicators.aggregation.plans import SCOPE_KINDS, Plan, dependents_of, plan_for
from indicators.aggregation.runs import database_now
from indicators.aggregation.writer import _last_validated, _learn_last_validations
from indicators.models import (
    Aggregate,
    Indicator,
    IndicatorValue,
    PendingRecompute,
    RecomputeRun,
)
from territories.models import TerritoryClosure


def record_pending(values: Iterable[IndicatorValue], replaced=None) -> None:
    """Called inside the validating transaction: the work survives a broker outage.
    ``replaced``: the (territory id, indicator id, year) whose new value replaced a
    validated one (None: not known).

    The transaction holds a share lock on the indicators until it commits, and dates
    the pending rows once it has it: a recompute (which locks them for update) never
    runs alongside, so an aggregate dated before these rows cannot include their values
    — which the incremental run relies on to add a new candidate to the count in place
    (``_Changes``)."""
    values = list(values)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {Indicator._meta.db_table} ORDER BY id FOR SHARE")
    started = database_now()
    PendingRecompute.objects.bulk_create(
        PendingRecompute(
            territory_id=v.territory_id,
            indicator_id=v.indicator_id,
            year=v.year,
            replaced=None
            if replaced is None
            else (v.territory_id, v.indicator_id, v.year) in replaced,
            created_at=started,
        )
        for v in values
    )


class _Changes:
    """The pending changes, and which aggregates above them they leave as they are but
    for the number of candidates. A changed territory counts in a scope only if it is
    kept there; where, before and after the change, it is either no candidate or lies
    inside a candidate that lies in the scope (counted instead of it), the scope's kept
    set, sums, population and conflicts are those of the last run — a new value only
    adds a candidate, a replaced one not even that. (A commune reporting what its EPCI
    also reports changes no figure of the EPCI, the département or the région.)"""

    def __init__(self, pending: list[tuple], plans: dict[str, Plan]):
        self.plans = plans
        # (territory, year) → {indicator id: whether a validated value was there before
        # the earliest pending row, i.e. when the aggregates below were computed}
        self.changed: dict[tuple[int, int], dict[int, bool | None]] = defaultdict(dict)
        for _id, indicator_id, year, territory, replaced, _at in pending:
            self.changed[territory, year].setdefault(indicator_id, replaced)
        earliest = min(row[5] for row in pending)
        territories = {territory for territory, _year in self.changed}
        years = sorted({year for _territory, year in self.changed})
        self.above: dict[int, set[int]] = defaultdict(set)  # scopes wholly containing
        self.containers: dict[int, set[int]] = defaultdict(set)  # territories likewise
        for ancestor, descendant, kind, depth in TerritoryClosure.objects.filter(
            descendant_id__in=territories, contains_whole=True
        ).values_list("ancestor_id", "descendant_id", "ancestor__kind", "depth"):
            if depth > 0:
                self.containers[descendant].add(ancestor)
            if kind in SCOPE_KINDS:  # a scope is one of its own candidates (depth 0)
                self.above[descendant].add(ancestor)
        self.under: dict[tuple[int, int], list[int]] = defaultdict(list)  # changed, by scope
        for territory, year in self.changed:
            for scope in self.above[territory]:
                self.under[scope, year].append(territory)
        containers = set().union(*self.containers.values())
        self.inside = set(  # (scope, container) pairs, the container wholly inside
            TerritoryClosure.objects.filter(
                ancestor_id__in=set().union(*self.above.values()),
                descendant_id__in=containers,
                contains_whole=True,
            ).values_list("ancestor_id", "descendant_id")
        )
        components = {c.pk for plan in plans.values() for c in plan.components}
        self.has = set(  # validated values, now
            IndicatorValue.objects.validated()
            .filter(
                territory_id__in=territories | containers,
                indicator_id__in=components,
                year__in=years,
            )
            .values_list("territory_id", "indicator_id", "year")
        )
        # The aggregates that may be updated in place: dated before the changes were
        # recorded, so they cannot include them (see record_pending) — one recomputed
        # since, or already updated by an interrupted or concurrent run, is dated after
        # and is recomputed, never counted twice; and without partial overlaps, so
        # their kept set is every candidate no other candidate of the scope contains
        # (with partial overlaps the greedy walk may keep a territory inside a skipped one).
        self.settled = {
            (scope, indicator, year)
            for scope, indicator, year, conflicts in Aggregate.objects.filter(
                scope_id__in=set().union(*self.above.values()),
                indicator__in=[plan.indicator for plan in plans.values()],
                year__in=years,
                computed_at__lt=earliest,
            ).values_list("scope_id", "indicator_id", "year", "conflicts")
            if not conflicts
        }

    def work(self) -> tuple[dict[str, tuple[set[int], set[int]]], dict[tuple, int]]:
        """What to do for every scope above a changed territory, for the plans using
        the changed indicators: ``{identifier: (years, scopes)}`` to recompute, and
        ``{(identifier, scope, year): change in the number of candidates}`` of the
        aggregates whose figures stay as they are (``refresh_candidates``)."""
        needed: dict[str, tuple[set, set]] = defaultdict(lambda: (set(), set()))
        counts: dict[tuple, int] = {}
        for (territory, year), indicators in self.changed.items():
            for identifier, plan in self.plans.items():
                if not indicators.keys() & {c.pk for c in plan.components}:
                    continue
                for scope in self.above[territory]:
                    key = (identifier, scope, year)
                    if key in counts:
                        continue
                    delta = self._candidates_change(plan, scope, year)
                    if delta is None:
                        years, scopes = needed[identifier]
                        years.add(year)
                        scopes.add(scope)
                    else:
                        counts[key] = delta
        for identifier, (years, scopes) in needed.items():  # recomputed all the same
            for key in [k for k in counts if k[0] == identifier]:
                if key[1] in scopes and key[2] in years:
                    del counts[key]
        return needed, counts

    def _candidates_change(self, plan: Plan, scope: int, year: int) -> int | None:
        """None when the aggregate must be recomputed; else how many more (or fewer)
        candidates it has — every changed territory is, before and after, either no
        candidate or inside a candidate lying in the scope (counted through it)."""
        if (scope, plan.indicator.pk, year) not in self.settled:
            return None
        components = [c.pk for c in plan.components]
        delta = 0
        for territory in self.under[scope, year]:  # not every change: linear in them
            if not self.changed[territory, year].keys() & set(components):
                continue
            for state in (False, True):  # before, after
                candidate = self._candidate(territory, components, year, state)
                if candidate is None:
                    return None  # not known: recompute
                if candidate and not any(
                    self._candidate(container, components, year, state)
                    for container in self.containers[territory]
                    if (scope, container) in self.inside or container == scope
                ):
                    return None  # kept in the scope: its value counts
                delta += int(candidate) if state else -int(candidate)
        return delta

    def _candidate(self, territory: int, components: list[int], year: int, after: bool):
        """Whether the territory has every component this year, after the changes or
        before them (None: not known)."""
        changed = self.changed.get((territory, year), {})
        found = [
            (territory, c, year) in self.has if after or c not in changed else changed[c]
            for c in components
        ]
        return None if None in found else all(found)


def refresh_candidates(counts: dict[tuple, int], plans: dict[str, Plan]) -> int:
    """Aggregates the pending changes leave exact but for their number of candidates
    (new territories inside a counted one): update that number, the latest validation
    and the computation date. Runs in the caller's transaction, which holds the locks
    on the indicators. Returns the rows updated."""
    if not counts:
        return 0
    stamp = connection.ops.adapt_datetimefield_value(database_now())
    last_validated: dict[int, object] = {}
    _learn_last_validations(
        last_validated, [c.pk for plan in plans.values() for c in plan.components]
    )
    indicators = sorted({plans[identifier].indicator.pk for identifier, _s, _y in counts})
    by_key = {
        (plans[identifier].indicator.pk, scope, year): (plans[identifier], delta)
        for (identifier, scope, year), delta in counts.items()
    }
    rows = []
    for pk, indicator, scope, year, computed_from in Aggregate.objects.filter(
        indicator_id__in=indicators,
        scope_id__in={scope for _i, scope, _y in counts},
        year__in={year for _i, _s, year in counts},
    ).values_list("pk", "indicator_id", "scope_id", "year", "computed_from"):
        if (indicator, scope, year) not in by_key:
            continue
        plan, delta = by_key[indicator, scope, year]
        computed_from["candidates"] += delta
        computed_from["last_validated_at"] = _last_validated(plan, last_validated)
        rows.append((json.dumps(computed_from), stamp, pk))
    update = (
        f"UPDATE {Aggregate._meta.db_table} SET computed_from = %s, computed_at = %s WHERE id = %s"
    )
    with connection.cursor() as cursor:  # a few dozen rows: no CASE … WHEN per row
        if connection.vendor == "postgresql" and rows:  # and one round trip
            cursor.execute("; ".join([update] * len(rows)), [p for row in rows for p in row])
        else:
            cursor.executemany(update, rows)
    return len(rows)


def recompute_pending(trigger: str = "validation", stream=None) -> RecomputeRun | None:
    """Handle the pending work recorded so far: only the affected indicators (and the
    ratios using them), years and scopes above the reporting territories, but the
    aggregates these changes cannot alter (``_Changes``): those get their candidate
    counts updated in place, under the locks on the indicators. The pending rows are
    deleted only once their aggregates are written, so a crash loses nothing."""
    if not PendingRecompute.objects.exists():
        return None
    started_at = timezone.now()
    catalogue = {i.identifier: i for i in Indicator.objects.all()}
    by_pk = {i.pk: i.identifier for i in catalogue.values()}
    changed_indicators = set(PendingRecompute.objects.values_list("indicator_id", flat=True))
    affected = dependents_of({by_pk[pk] for pk in changed_indicators}, catalogue)
    plans = {
        identifier: plan
        for identifier in sorted(affected)
        if (plan := plan_for(catalogue[identifier], catalogue)) is not None
    }
    with transaction.atomic():
        # Locked first, then read: a second worker waits here, then finds these rows
        # gone, or the aggregates dated after them (recomputed, not counted twice).
        locked = sorted(plan.indicator.pk for plan in plans.values())
        list(Indicator.objects.select_for_update().filter(pk__in=locked).order_by("pk"))
        pending = list(
            PendingRecompute.objects.filter(indicator_id__in=changed_indicators)
            .order_by("created_at", "id")
            .values_list("id", "indicator_id", "year", "territory_id", "replaced", "created_at")
        )
        if not pending:
            return None
        needed, counts = _Changes(pending, plans).work()
        updated = refresh_candidates(counts, plans)
    work = [
        (catalogue[identifier], sorted(years), sorted(scopes))
        for identifier, (years, scopes) in sorted(needed.items())
    ]
    changed = sorted({row[3] for row in pending})
    peer_years: dict[int, set[int]] = defaultdict(set)
    for _id, indicator_id, year, *_rest in pending:
        peer_years[indicator_id].add(year)
    run = runs._run(
        work,
        catalogue,
        trigger,
        stream,
        pending_handled=len(pending),
        territories=changed,
        started_at=started_at,
        updated=updated,
        peers=[(catalogue[by_pk[pk]], years) for pk, years in sorted(peer_years.items())],
    )
    PendingRecompute.objects.filter(id__in=[row[0] for row in pending]).delete()
    return run
