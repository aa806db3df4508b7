from django.dispatch import Signal

# Sent inside the validating transaction with ``values`` (the IndicatorValues that
# became validated), ``by`` (the acting user) and ``replaced`` (the (territory id,
# indicator id, year) of those that replaced a validated value). Receivers that start work
# elsewhere (Celery) must use transaction.on_commit.
values_validated = Signal()

# Sent after a recompute run has written its aggregates (``run``: the RecomputeRun;
# ``territories``: ids of the territories whose values changed, None for a full run).
aggregates_recomputed = Signal()
