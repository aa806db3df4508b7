from django.db import transaction
from django.dispatch import receiver

from indicators.aggregation import record_pending
from indicators.signals import values_validated


@receiver(values_validated)
def schedule_recompute(sender, values, replaced=None, **kwargs):
    """Record the affected aggregates in the validating transaction, and send the
    recompute to the workers once that transaction has committed."""
    from indicators.tasks import enqueue_pending_recompute

    record_pending(values, replaced)
    transaction.on_commit(enqueue_pending_recompute)
