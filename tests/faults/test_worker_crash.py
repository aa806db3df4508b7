"""Worker crash: a real Celery worker killed with SIGKILL in the middle of a full
recompute leaves the previous aggregates whole and readable; a new worker's run
then gives the clean result.

*When is the worker "in the middle"?* A timer would race the run. Instead another
connection holds a row lock on one aggregate of the first indicator the run
replaces: the worker's transaction gets as far as deleting that indicator's rows
and waits on the lock. PostgreSQL then shows its backend, inside an open
transaction, waiting on a lock in ``DELETE FROM indicators_aggregate`` — an exact
"it has started writing" signal (pg_stat_activity), after which it is killed."""

import signal
import threading
import uuid

import pytest
from django.db import connection, connections, transaction
from rest_framework.test import APIClient

from contracts import services
from indicators import aggregation
from indicators.models import Aggregate, Indicator, PendingRecompute, RecomputeRun
from indicators.tasks import recompute_all_task
from tests.faults.conftest import (
    active_contract,
    aggregate_table,
    communes,
    drop_queue,
    reporter,
    submitted_report,
    task_queue,
)
from tests.realservices import celery_worker, wait_until

pytestmark = [pytest.mark.fault, pytest.mark.postgres, pytest.mark.redis]

CONTRACTS = 12


def first_indicator_written(before: list[tuple]) -> Indicator:
    """The first indicator, in the run's order, that has aggregates: every indicator
    before it has none, so nothing visible changes before the lock is reached."""
    with_rows = {row[1] for row in before}
    catalogue = {i.identifier: i for i in Indicator.objects.all()}
    for indicator in catalogue.values():  # the run's order (Indicator.Meta.ordering)
        if aggregation.plan_for(indicator, catalogue) and indicator.pk in with_rows:
            return indicator
    raise AssertionError("no aggregate to replace")


def blocked_delete():
    """The backend of a recompute waiting on a lock while deleting aggregates."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT pid, xact_start IS NOT NULL FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
              AND wait_event_type = 'Lock' AND query LIKE 'DELETE FROM "indicators_aggregate"%%'
            """
        )
        return cursor.fetchone()


def backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


class RowLock:
    """Holds ``SELECT … FOR UPDATE`` on one row of ``queryset`` in its own thread and
    connection until released."""

    def __init__(self, queryset):
        self.queryset = queryset
        self.locked, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self.hold)

    def hold(self):
        try:
            with transaction.atomic():
                assert self.queryset.select_for_update().order_by("pk").last() is not None
                self.locked.set()
                self.release.wait(timeout=120)
        finally:
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(timeout=30)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(timeout=60)


def test_a_worker_killed_mid_recompute_leaves_the_previous_aggregates_whole(staff):
    contracts = [active_contract(commune) for commune in communes(CONTRACTS)]
    with task_queue():  # validations: recorded, not computed
        for index, contract in enumerate(contracts):
            services.validate_report(
                submitted_report(contract, 2018, 100 + index, reporter()), staff
            )
    aggregation.recompute_all()
    before = aggregate_table(with_computed_at=True)
    runs_before = RecomputeRun.objects.count()
    # New validated values (2019, and 2018 superseded): the next full run must change
    # the aggregates, so "unchanged after the crash" means something.
    with task_queue():
        for index, contract in enumerate(contracts):
            services.validate_report(
                submitted_report(contract, 2019, 300 + index, reporter()), staff
            )
    pending = PendingRecompute.objects.count()
    target = first_indicator_written(before)
    reader = APIClient()

    queue = f"crash-{uuid.uuid4().hex[:8]}"
    try:
        with (
            RowLock(Aggregate.objects.filter(indicator=target)) as lock,
            celery_worker(queue) as worker,
        ):
            recompute_all_task.apply_async(kwargs={"trigger": "killed"}, queue=queue)
            caught = wait_until(blocked_delete, timeout=90)
            assert caught, "the worker never reached the aggregates"
            backend_pid, in_transaction = caught
            assert in_transaction
            # Mid-write: readers get the previous set, whole, without waiting.
            during = aggregate_table(with_computed_at=True)
            api = reader.get("/api/v1/aggregates/", {"page_size": 1})

            worker.send_signal(signal.SIGKILL)
            assert worker.wait(timeout=20) == -signal.SIGKILL
            lock.release.set()
            # PostgreSQL rolls the orphan transaction back when it finds its client gone.
            assert wait_until(lambda: not backend_alive(backend_pid), timeout=30)
    finally:
        drop_queue(queue)

    assert during == before
    assert api.status_code == 200
    assert api.json()["count"] == len(before)
    assert aggregate_table(with_computed_at=True) == before
    assert RecomputeRun.objects.count() == runs_before  # the killed run recorded nothing
    assert PendingRecompute.objects.count() == pending  # its work is still owed

    # A new worker, a new run: complete, and the same as a clean recompute.
    queue = f"rerun-{uuid.uuid4().hex[:8]}"
    with celery_worker(queue), task_queue(queue):
        recompute_all_task.apply_async(kwargs={"trigger": "after-crash"}, queue=queue)
        assert wait_until(
            lambda: RecomputeRun.objects.filter(trigger="after-crash").exists(), timeout=90
        ), "the new worker did not complete the run"
    rerun = aggregate_table()
    assert not PendingRecompute.objects.exists()

    aggregation.recompute_all()
    assert rerun == aggregate_table()
    assert rerun != [row[:-1] for row in before]  # the 2019 values are in
