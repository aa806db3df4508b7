"""The staff dashboard: the 2050 goals, the reports to handle, the recomputes and the
overlaps left out. Reads only materialised aggregates and contract figures."""

from django.utils import timezone

from contracts.models import ContractStats, ProgressReport, ReportStatus, TargetAlignment
from contracts.reporting import late_reports
from contracts.selectors import alignment_counts
from indicators.models import Aggregate, PendingRecompute, RecomputeRun
from tri_portal.regional_goals import default_region, regional_goals


def staff_dashboard() -> dict:
    region = default_region()
    return {
        "region": region,
        "goals": regional_goals(region) if region else [],
        "stats": ContractStats.objects.filter(scope=region).first() if region else None,
        "submitted_reports": ProgressReport.objects.filter(status=ReportStatus.SUBMITTED)
        .select_related("contract__territory", "submitted_by")
        .order_by("submitted_at"),
        "late_reports": late_reports(timezone.localdate()),
        "alignments": [
            (value or "none", TargetAlignment(value).label, count)
            for value, count in alignment_counts().items()
        ],
        "last_run": RecomputeRun.objects.first(),
        "pending": PendingRecompute.objects.count(),
        "conflicts": Aggregate.objects.filter(conflicts__0__isnull=False)
        .select_related("scope", "indicator")
        .order_by("-year", "scope__name")[:50],
    }
