from django.dispatch import receiver

from contracts.stats import refresh_contract_changes, refresh_contract_stats
from indicators.signals import aggregates_recomputed


@receiver(aggregates_recomputed)
def refresh_stats_after_recompute(sender, run, territories=None, **kwargs):
    """Achieved changes depend on the latest validated values: refresh with the aggregates
    (after an incremental run, only the changes of the scopes above the territories
    whose values changed)."""
    if territories is None:
        refresh_contract_stats()
    else:
        refresh_contract_changes(territories)
