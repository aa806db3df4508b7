from django.dispatch import receiver

from contracts.stats import refresh_contract_stats
from indicators.signals import aggregates_recomputed


@receiver(aggregates_recomputed)
def refresh_stats_after_recompute(sender, run, **kwargs):
    """Achieved changes depend on the latest validated values: refresh with the aggregates."""
    refresh_contract_stats()
