"""Use cases of the indicators app that the apps above call when they change values."""

from collections.abc import Iterable

from django.db import transaction

from indicators.aggregation import record_pending
from indicators.models import IndicatorValue
from indicators.tasks import enqueue_pending_recompute


def schedule_recompute(values: Iterable[IndicatorValue], replaced=None) -> None:
    """``values`` were just validated (or a validated one corrected), in the caller's
    transaction: record the aggregates they affect in that transaction — the work
    survives a broker outage — and send the recompute to the workers once it has
    committed. ``replaced``: the (territory id, indicator id, year) whose new value
    replaced a validated one (None: not known)."""
    record_pending(values, replaced)
    transaction.on_commit(enqueue_pending_recompute)
