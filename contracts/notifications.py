"""E-mails of the report workflow, in French, plain text + HTML."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from contracts import calendar
from contracts.models import (
    HANDED_IN_REPORT_STATUSES,
    REPORTING_STATUSES,
    ProgressReport,
    ReportStatus,
)
from contracts.reporting import late_reports
from territories.models import OfficerAssignment


def _send(template: str, recipients: list[str], context: dict) -> int:
    recipients = sorted({r for r in recipients if r})
    if not recipients:
        return 0
    context = {**context, "site_url": settings.SITE_URL.rstrip("/")}
    subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{template}.txt", context),
        to=recipients,
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    return message.send()


def officers_of(territory) -> list[str]:
    return list(
        OfficerAssignment.objects.filter(territory=territory, user__is_active=True).values_list(
            "user__email", flat=True
        )
    )


def staff_emails() -> list[str]:
    return list(
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def report_url(report: ProgressReport) -> str:
    return reverse("officer:report", args=[report.contract_id, report.year])


def report_submitted(report: ProgressReport) -> int:
    return _send(
        "report_submitted",
        staff_emails(),
        {"report": report, "url": reverse("staff_report", args=[report.pk])},
    )


def report_reviewed(report: ProgressReport) -> int:
    recipients = officers_of(report.contract.territory)
    if report.submitted_by:
        recipients.append(report.submitted_by.email)
    template = "report_validated" if report.status == ReportStatus.VALIDATED else "report_rejected"
    return _send(template, recipients, {"report": report, "url": report_url(report)})


def due_reports(today) -> list[tuple]:
    """(contract, year) whose report on last year is expected and not yet sent."""
    from contracts.models import Contract

    year = today.year - 1
    contracts = [
        contract
        for contract in Contract.objects.filter(status__in=REPORTING_STATUSES)
        .with_earlier_last_year()
        .select_related("territory")
        if year in calendar.due_years(contract)
    ]
    done = set(
        ProgressReport.objects.filter(
            contract__in=contracts,
            year=year,
            status__in=HANDED_IN_REPORT_STATUSES,
        ).values_list("contract_id", flat=True)
    )
    return [(c, year) for c in contracts if c.pk not in done]


def send_reminders(kind: str, today=None) -> int:
    """``due``: yearly reminder of the report to send; ``late``: past the deadline."""
    today = today or timezone.localdate()
    if kind == "late":
        items = [(late.contract, late.year) for late in late_reports(today)]
    else:
        items = due_reports(today)
    sent = 0
    for contract, year in items:
        sent += _send(
            f"reminder_{kind}",
            officers_of(contract.territory),
            {
                "contract": contract,
                "year": year,
                "deadline": calendar.deadline(year),
                "url": reverse("officer:report", args=[contract.pk, year]),
            },
        )
    return sent
