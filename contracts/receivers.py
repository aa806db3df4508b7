"""The contracts app's reactions: to the indicators app below it (which cannot call it),
and to edits of what the contract figures are computed from (targets, regional goals),
wherever they are made (admin, imports, shell)."""

import threading

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from contracts.models import Contract, Target
from contracts.stats import refresh_contract_stats
from indicators.models import RegionalGoal
from indicators.signals import aggregates_recomputed
from kit.tasks import safe_delay

EVERY_SCOPE = "all"


@receiver(aggregates_recomputed)
def refresh_stats_after_recompute(sender, run, territories=None, **kwargs):
    """Achieved changes depend on the latest validated values: refresh the contract
    figures with the aggregates — after a full run all of them, after an incremental
    run only the achieved changes above the territories whose values changed."""
    refresh_contract_stats(territories, values_only=territories is not None)


# Territories whose figures wait for the current transaction to commit (EVERY_SCOPE:
# all); one refresh is sent per commit however many targets were saved in it.
_pending = threading.local()


def schedule_stats_refresh(territory_id: int | None) -> None:
    """Refresh the contract figures above ``territory_id`` (None: every scope) once the
    current transaction commits, through a Celery task (run in-process in embedded
    mode); a broker outage never fails the edit (the nightly full run catches up)."""
    pending = getattr(_pending, "territories", None)
    if pending is None:
        pending = _pending.territories = set()
    pending.add(EVERY_SCOPE if territory_id is None else territory_id)
    transaction.on_commit(_send_pending_refresh)


def _send_pending_refresh() -> None:
    from contracts.tasks import refresh_contract_stats_task

    pending = getattr(_pending, "territories", None)
    if not pending:  # already sent by an earlier callback of the same commit
        return
    _pending.territories = set()
    territories = None if EVERY_SCOPE in pending else sorted(pending)
    safe_delay(refresh_contract_stats_task, territories)


@receiver(post_save, sender=Target)
@receiver(post_delete, sender=Target)
def refresh_stats_after_target_change(sender, instance, raw=False, **kwargs):
    """A target counts in the shares of effort (and alignments) of the scopes above
    its contract's territory."""
    if raw:  # loaddata
        return
    territory_id = (
        Contract.objects.filter(pk=instance.contract_id).values_list("territory_id", flat=True)
    ).first()
    schedule_stats_refresh(territory_id)


@receiver(post_save, sender=RegionalGoal)
@receiver(post_delete, sender=RegionalGoal)
def refresh_stats_after_goal_change(sender, instance, raw=False, **kwargs):
    """A regional goal's path enters the required change of every scope."""
    if raw:
        return
    schedule_stats_refresh(None)
