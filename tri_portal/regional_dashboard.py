"""The public regional dashboard: the TRI 2050 goals against the regional aggregates,
and the contract figures of the region and its départements.

Reads only materialised rows (``Aggregate``, ``ContractStats``, ``EffortShare``,
``RecomputeRun``) and
the goal targets: nothing is aggregated while the page is rendered."""

from dataclasses import dataclass

from django.utils.decorators import method_decorator
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from contracts.models import (
    PUBLIC_STATUSES,
    Contract,
    ContractStats,
    ContractStatus,
    ContractTheme,
)
from indicators.models import RecomputeRun
from indicators.trajectory import trajectory_value
from kit.cache import public_page
from kit.charts import Chart, target_chart
from territories.models import Territory, TerritoryKind
from tri_portal.effort_panel import effort_chart, effort_panel
from tri_portal.regional_goals import GoalRow, default_region, regional_goals


@dataclass
class GoalPanel:
    goal: GoalRow
    chart: Chart


@dataclass
class CountRow:
    label: str
    count: int


@dataclass
class DepartementRow:
    departement: Territory
    contracts: int
    covered_population: int
    covered_share: float | None


def goal_chart(goal: GoalRow) -> Chart:
    """The regional aggregates of the goal's indicator, the linear trajectory from the
    baseline year to 2050 and the 2050 goal."""
    target = goal.goal

    def trajectory(year):
        return trajectory_value(
            target.baseline_year,
            target.baseline_value,
            target.target_year,
            target.target_value,
            year,
        )

    chart = target_chart(
        f"graphique-objectif-{slugify(target.indicator.identifier.replace('.', '-').replace('_', '-'))}",
        _("%(name)s : valeurs régionales et trajectoire jusqu'en %(year)s")
        % {"name": target.indicator.name, "year": target.target_year},
        target.indicator.unit,
        target,
        goal.series,
        trajectory,
        decimals=target.indicator.decimals,
    )
    chart.provenance = [goal.provenance(year) for year in chart.years]
    return chart


def public_count(stats: ContractStats) -> int:
    """Contracts of a scope that are public (signed, active or completed)."""
    return sum(stats.by_status.get(status, 0) for status in PUBLIC_STATUSES)


def by_status(stats: ContractStats | None) -> list[CountRow]:
    if stats is None:
        return []
    return [CountRow(ContractStatus(s).label, stats.by_status.get(s, 0)) for s in PUBLIC_STATUSES]


def by_theme(stats: ContractStats | None) -> list[CountRow]:
    if stats is None or not stats.by_theme:
        return []
    names = dict(ContractTheme.objects.filter(slug__in=stats.by_theme).values_list("slug", "name"))
    rows = [CountRow(names.get(slug, slug), count) for slug, count in stats.by_theme.items()]
    return sorted(rows, key=lambda row: (-row.count, row.label))


def by_departement() -> list[DepartementRow]:
    stats = (
        ContractStats.objects.filter(scope__kind=TerritoryKind.DEPARTEMENT)
        .select_related("scope")
        .order_by("scope__code")
    )
    return [
        DepartementRow(s.scope, public_count(s), s.covered_population_all, s.covered_share_all)
        for s in stats
    ]


def regional_dashboard() -> dict:
    """Everything the public regional dashboard shows (a fixed number of queries)."""
    region = default_region()
    if region is None:
        return {
            "region": None,
            "goals": [],
            "goal_panels": [],
            "stats": None,
            "by_status": [],
            "by_theme": [],
            "effort": [],
        }
    goals = regional_goals(region)
    effort = effort_panel(region, goals)
    stats = ContractStats.objects.filter(scope=region).first()
    last_run = RecomputeRun.objects.order_by("-finished_at").first()
    return {
        "region": region,
        "goals": goals,
        "goal_panels": [GoalPanel(goal, goal_chart(goal)) for goal in goals],
        "stats": stats,
        "public_contracts": public_count(stats) if stats else 0,
        "by_status": by_status(stats),
        "by_theme": by_theme(stats),
        "by_departement": by_departement(),
        "last_recompute": last_run.finished_at if last_run else None,
        # The contracts' share of the regional effort (EffortShare rows).
        "effort": effort,
        "effort_chart": effort_chart(effort),
        # Demonstration figures: an aggregate summing demo values, or contract counts
        # and coverage including demo contracts.
        "has_demo": any(a.is_demo for goal in goals for a in goal.aggregates.values())
        or Contract.objects.public().filter(is_demo=True).exists()
        or any(
            row.share.is_demo for panel in effort for row in panel.regional + panel.departements
        ),
    }


@method_decorator(public_page, name="get")
class RegionalDashboardView(TemplateView):
    """Public: where the region stands against its TRI 2050 goals."""

    template_name = "tri_portal/regional_dashboard.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, **regional_dashboard())
