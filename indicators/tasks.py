"""Celery tasks: thin wrappers over indicators.aggregation (acks_late, retried)."""

import logging

from celery import shared_task
from django.db import DatabaseError

from indicators import aggregation
from kit.tasks import safe_delay

logger = logging.getLogger(__name__)

RETRY = {
    "autoretry_for": (DatabaseError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 5,
    "acks_late": True,
    # Results are not needed (the outcome is in the database) and waiting on the
    # result store would hold the caller when Redis is down.
    "ignore_result": True,
}


@shared_task(name="indicators.recompute_pending", **RETRY)
def recompute_pending_task() -> int:
    """Recompute what validations left pending; returns the number of aggregates written."""
    run = aggregation.recompute_pending()
    return run.aggregates_written if run else 0


@shared_task(name="indicators.recompute_all", **RETRY)
def recompute_all_task(trigger: str = "nightly") -> int:
    """Full recompute (nightly, or the staff dashboard's *recompute now*). Pending work
    recorded before it started is covered by it and cleared."""
    run = aggregation.recompute_all(trigger=trigger)
    return run.aggregates_written


@shared_task(name="indicators.refresh_peer_statistics", **RETRY)
def refresh_peer_statistics_task(work=None) -> int:
    """The peer statistics of ``work`` — [indicator id, years or None] pairs whose
    values changed (None: every headline indicator, every year) — after a recompute run,
    as a job of its own: at national scale it reads every commune's values."""
    from indicators.models import Indicator
    from indicators.peers import refresh_peer_statistics

    catalogue = {i.identifier: i for i in Indicator.objects.all()}
    by_id = {i.pk: i for i in catalogue.values()}
    pairs = None
    if work is not None:
        pairs = [(by_id[pk], years) for pk, years in work if pk in by_id]
    return refresh_peer_statistics(pairs, catalogue)


def enqueue_peer_statistics(work) -> bool:
    """Send the peer statistics of ``work`` ((indicator, years or None) pairs, or None
    for all) to the workers (run in-process in eager mode); never fails the caller."""
    pairs = None
    if work is not None:
        pairs = [[i.pk, None if years is None else sorted(years)] for i, years in work]
    return safe_delay(refresh_peer_statistics_task, pairs)


def enqueue_pending_recompute() -> bool:
    """Send the pending recompute to the broker; never fails the caller (the work is
    recorded in the database and the next run picks it up). Returns True if sent."""
    sent = safe_delay(recompute_pending_task)
    if not sent:
        logger.warning("Recalcul des agrégats non lancé : reste en attente.")
    return sent


def enqueue_full_recompute(trigger: str = "staff") -> bool:
    """Send a full recompute to the workers (run in-process in eager mode)."""
    return safe_delay(recompute_all_task, trigger=trigger)
