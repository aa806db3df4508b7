"""Running a recompute: the indicators' plans grouped by years and scopes (one
statement each), each group's aggregates replaced in one transaction under a lock on
the indicator rows — readers never see a half-written set, and concurrent recomputes
serialise — and the run recorded (``RecomputeRun``, then ``aggregates_recomputed``).
Also the database's clock, on which aggregates and pending work are dated (the
protocol is in ``incremental``).
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from indicators.aggregation.plans import Plan, plan_for
from indicators.aggregation.writer import build_aggregates, write_rows
from indicators.models import Aggregate, Indicator, PendingRecompute, RecomputeRun
from indicators.signals import aggregates_recomputed
from kit.console import ProgressBar


def database_now():
    """The database's clock — one clock for the web processes and the workers, whatever
    their hosts (the current time, not the transaction's start)."""
    if connection.vendor != "postgresql":
        return timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def _plan_for_analytics() -> None:
    """Planner settings for the recompute transaction (only): the statements work on
    temporary tables with statistics, but the bit tests of their joins still make the
    estimated sizes far off; hash joins and hash aggregates are right for all of them,
    and their hash tables need more than the default 4 MB in a national run."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_mergejoin = off")
            cursor.execute("SET LOCAL work_mem = '128MB'")
            # Compiling these statements costs seconds and saves less.
            cursor.execute("SET LOCAL jit = off")
            # With estimated sizes far off (bit tests), the planner sorts a million
            # rows on disk to group them where hashing them is cheaper.
            cursor.execute("SET LOCAL enable_sort = off")
            # The commit need not wait for the disk: the run's next write (its
            # RecomputeRun, the deletion of the pending work) commits synchronously
            # and flushes this one with it; aggregates are derived data anyway.
            cursor.execute("SET LOCAL synchronous_commit = off")


def replace_aggregates(plans: list[Plan], years, scopes, bar=None) -> tuple[int, int]:
    """Recompute and replace these indicators' rows (restricted to years/scopes) in one
    transaction — readers see the old rows until it commits; the locks on the
    indicator rows serialise concurrent recomputes. Returns (rows, conflicts)."""
    written = conflicts = 0
    with transaction.atomic():
        indicators = sorted(plan.indicator.pk for plan in plans)
        list(Indicator.objects.select_for_update().filter(pk__in=indicators).order_by("pk"))
        _plan_for_analytics()
        stale = Aggregate.objects.filter(indicator__in=indicators)
        if years is not None:
            stale = stale.filter(year__in=list(years))
        if scopes is not None:
            stale = stale.filter(scope_id__in=list(scopes))
        stale.delete()
        for rows in build_aggregates(plans, years, scopes, database_now()):
            write_rows(rows)
            written += len(rows)
            conflicts += sum(len(row.conflicts) for row in rows)
    if bar is not None:  # the indicators of one statement are done together
        bar.advance(len(plans))
    return written, conflicts


def recompute(
    indicators: Iterable[Indicator] | None = None,
    years: Iterable[int] | None = None,
    scopes: Iterable[int] | None = None,
    trigger: str = "manual",
    stream=None,
) -> RecomputeRun:
    """Recompute the aggregates of these indicators (default: all), years and scopes
    (default: all) and record the run."""
    catalogue = {i.identifier: i for i in Indicator.objects.all()}
    chosen = list(indicators) if indicators is not None else list(catalogue.values())
    years = None if years is None else sorted(set(years))
    scopes = None if scopes is None else sorted(set(scopes))
    peers = [(i, years) for i in chosen]
    return _run([(i, years, scopes) for i in chosen], catalogue, trigger, stream, peers=peers)


def _run(
    work,
    catalogue,
    trigger,
    stream,
    pending_handled: int = 0,
    territories=None,
    started_at=None,
    updated: int = 0,
    peers=(),
) -> RecomputeRun:
    """``work``: (indicator, years or None, scope ids or None) triples; ``territories``:
    the territories whose values changed (None: all), passed on to the receivers;
    ``updated``: aggregates already updated in place by this run; ``peers``: the
    (indicator, years or None) whose values changed: their peer statistics (and those
    of the headline ratios using them) are sent to the workers as a job of their own."""
    started_at = started_at or timezone.now()
    jobs = [(plan_for(i, catalogue), y, s) for i, y, s in work]
    jobs = [(p, y, s) for p, y, s in jobs if p is not None and y != [] and s != []]
    groups: dict[tuple, list[Plan]] = defaultdict(list)  # same years and scopes: one statement
    for plan, years, scopes in jobs:
        groups[
            (None if years is None else tuple(years), None if scopes is None else tuple(scopes))
        ].append(plan)
    written, conflicts = updated, 0
    with ProgressBar("Agrégats", len(jobs), stream) as bar:
        for (years, scopes), plans in groups.items():
            rows, found = replace_aggregates(plans, years, scopes, bar)
            written += rows
            conflicts += found
    if peers:
        enqueue_peer_statistics(peers)
    run = RecomputeRun.objects.create(
        started_at=started_at,
        finished_at=timezone.now(),
        trigger=trigger,
        indicators=len(jobs),
        aggregates_written=written,
        conflicts=conflicts,
        pending_handled=pending_handled,
    )
    aggregates_recomputed.send(sender=RecomputeRun, run=run, territories=territories)
    return run


def enqueue_peer_statistics(peers) -> None:
    """The peer statistics of the (indicator, years) whose values changed, as a job of
    their own after the run (``indicators.tasks``, which imports this module)."""
    from indicators.tasks import enqueue_peer_statistics as enqueue

    enqueue(peers)


def recompute_all(trigger: str = "manual", stream=None) -> RecomputeRun:
    """Full recompute; clears the pending work recorded before it started."""
    cutoff = list(PendingRecompute.objects.values_list("id", flat=True))
    run = recompute(trigger=trigger, stream=stream)
    handled, _ = PendingRecompute.objects.filter(id__in=cutoff).delete()
    if handled:
        run.pending_handled = handled
        run.save(update_fields=["pending_handled"])
    return run
