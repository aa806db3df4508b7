"""Celery tasks of the report workflow (thin wrappers over contracts.notifications)."""

from celery import shared_task
from django.db import DatabaseError

from contracts import notifications
from contracts.models import ProgressReport
from kit.cache import bump_data_version_on_commit

OPTIONS = {"acks_late": True, "ignore_result": True, "max_retries": 3, "retry_backoff": True}


@shared_task(name="contracts.notify_report_submitted", **OPTIONS)
def notify_report_submitted(report_id: int) -> int:
    report = ProgressReport.objects.select_related("contract__territory").get(pk=report_id)
    return notifications.report_submitted(report)


@shared_task(name="contracts.notify_report_reviewed", **OPTIONS)
def notify_report_reviewed(report_id: int) -> int:
    report = ProgressReport.objects.select_related("contract__territory", "submitted_by").get(
        pk=report_id
    )
    return notifications.report_reviewed(report)


@shared_task(name="contracts.send_report_reminders", **OPTIONS)
def send_report_reminders(kind: str = "due") -> int:
    return notifications.send_reminders(kind)


@shared_task(
    name="contracts.refresh_contract_stats",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    ignore_result=True,
)
def refresh_contract_stats_task(territories: list[int] | None = None) -> int:
    """Refresh the contract figures (and shares of effort) of the scopes above
    ``territories`` (None: every scope) — after a target or a regional goal changed."""
    from contracts.stats import refresh_contract_stats

    refreshed = refresh_contract_stats(territories)
    bump_data_version_on_commit()  # the cached pages show the figures just rewritten
    return refreshed
