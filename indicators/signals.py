from django.dispatch import Signal

# The one signal of the indicators app: the apps above it react to a recompute
# (contracts refreshes its figures, the composition root its cached pages), which
# this app cannot call. (A validation calls ``indicators.services.schedule_recompute``.)

# Sent after a recompute run has written its aggregates (``run``: the RecomputeRun;
# ``territories``: ids of the territories whose values changed, None for a full run).
aggregates_recomputed = Signal()
