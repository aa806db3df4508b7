"""The contracts app's reaction to the indicators app below it (which cannot call it)."""

from django.dispatch import receiver

from contracts.stats import refresh_contract_stats
from indicators.signals import aggregates_recomputed


@receiver(aggregates_recomputed)
def refresh_stats_after_recompute(sender, run, territories=None, **kwargs):
    """Achieved changes depend on the latest validated values: refresh the contract
    figures with the aggregates — after a full run all of them, after an incremental
    run only the achieved changes above the territories whose values changed."""
    refresh_contract_stats(territories, values_only=territories is not None)
