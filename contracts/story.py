"""Read side of what the reports tell beyond their figures: the action updates of one
report (review page) and of a contract's validated reports (public page)."""

from dataclasses import dataclass

from django.db.models import Prefetch

from contracts.models import Action, ActionUpdate, Contract, ProgressReport, ReportStatus


def action_blocks(report: ProgressReport) -> list[tuple[Action, ActionUpdate | None]]:
    """Every action of the report's contract, with the report's update of it (or None)."""
    updates = {u.action_id: u for u in report.action_updates.all()}
    actions = report.contract.actions.select_related("theme")
    return [(action, updates.get(action.pk)) for action in actions]


@dataclass
class YearStory:
    report: ProgressReport
    updates: list[ActionUpdate]


def published_story(contract: Contract) -> list[YearStory]:
    """The validated reports of ``contract`` that tell something (a comment or action
    updates), latest year first: what the public sees. Two queries."""
    reports = (
        ProgressReport.objects.filter(contract=contract, status=ReportStatus.VALIDATED)
        .prefetch_related(
            Prefetch(
                "action_updates",
                queryset=ActionUpdate.objects.select_related("action").order_by("action_id"),
            )
        )
        .order_by("-year")
    )
    stories = [YearStory(report, list(report.action_updates.all())) for report in reports]
    return [story for story in stories if story.updates or story.report.comment]
