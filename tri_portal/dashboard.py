"""Read-side of the dashboards: only materialised aggregates and contract figures."""

from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from contracts.models import (
    Contract,
    ContractKind,
    ContractStats,
    ProgressReport,
    ReportStatus,
    Target,
)
from contracts.reporting import late_reports
from contracts.selectors import evaluate_target
from indicators.models import Aggregate, PendingRecompute, RecomputeRun
from indicators.progress import TargetProgress
from territories.models import Territory, TerritoryKind


@dataclass
class GoalRow:
    target: Target
    progress: TargetProgress
    series: list


def default_region() -> Territory | None:
    return Territory.objects.filter(
        kind=TerritoryKind.REGION, code=settings.TERRITORIES_DEFAULT_REGION
    ).first()


def regional_goals(region: Territory) -> list[GoalRow]:
    """The region's 2050 goals against its aggregates (latest value, trajectory, status)."""
    goals = Contract.objects.filter(kind=ContractKind.REGIONAL_GOALS, territory=region).first()
    if goals is None:
        return []
    targets = list(goals.targets.select_related("indicator").order_by("indicator__identifier"))
    series: dict[int, list] = {t.indicator_id: [] for t in targets}
    rows = (
        Aggregate.objects.filter(scope=region, indicator_id__in=series, value__isnull=False)
        .order_by("year")
        .values_list("indicator_id", "year", "value")
    )
    for indicator_id, year, value in rows:
        series[indicator_id].append((year, value))
    return [
        GoalRow(t, evaluate_target(t, series[t.indicator_id]), series[t.indicator_id])
        for t in targets
    ]


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
        "last_run": RecomputeRun.objects.first(),
        "pending": PendingRecompute.objects.count(),
        "conflicts": Aggregate.objects.filter(conflicts__0__isnull=False)
        .select_related("scope", "indicator")
        .order_by("-year", "scope__name")[:50],
    }
