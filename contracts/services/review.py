"""What a reviewer needs before publishing a report: who took part in it (four eyes:
they never validate it) and which of its values are implausible (they need a
justification before the report is submitted)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from contracts.models import ProgressReport
from indicators.models import IndicatorValue, ValueStatus
from indicators.plausibility import Finding, check_plausibility
from indicators.selectors import validated_series

FOUR_EYES = "four_eyes"
JUSTIFICATION_REQUIRED = "justification_required"


def _editing_history(report_ids):
    """History rows of the values of these reports that record a user entering,
    changing or removing a value (not the validation that publishes them)."""
    return IndicatorValue.history.filter(report_id__in=report_ids).filter(
        Q(status__in=[ValueStatus.DRAFT, ValueStatus.SUBMITTED]) | Q(history_type="-")
    )


def report_editors(report: ProgressReport) -> set[int]:
    """Ids of the users who entered, changed or removed values of ``report`` (read from
    the values' history, so an earlier writer overwritten since still counts), or who
    submitted it."""
    history = _editing_history([report.pk])
    editors = set(history.exclude(history_user=None).values_list("history_user_id", flat=True))
    editors.update(report.values.exclude(entered_by=None).values_list("entered_by_id", flat=True))
    if report.submitted_by_id:
        editors.add(report.submitted_by_id)
    return editors


def reports_edited_by(reports, user) -> set[int]:
    """Ids of those of ``reports`` that ``user`` entered, changed or submitted — the
    ones four eyes forbids them to validate (:func:`report_editors`, for a list, in
    two queries)."""
    ids = [report.pk for report in reports]
    edited = {report.pk for report in reports if report.submitted_by_id == user.pk}
    edited.update(
        _editing_history(ids).filter(history_user=user).values_list("report_id", flat=True)
    )
    edited.update(
        IndicatorValue.objects.filter(report_id__in=ids, entered_by=user).values_list(
            "report_id", flat=True
        )
    )
    return edited


def validation_refusal(report: ProgressReport, user) -> str | None:
    """Why ``user`` may not validate ``report`` (four eyes), or None."""
    if user is not None and user.pk in report_editors(report):
        return _(
            "Vous avez saisi ou soumis ce rapport : un autre agent doit le valider "
            "(principe des quatre yeux)."
        )
    return None


def check_four_eyes(report: ProgressReport, user) -> None:
    refusal = validation_refusal(report, user)
    if refusal:
        raise ValidationError(refusal, code=FOUR_EYES)


def previous_points(territory, indicators, year: int) -> dict[str, tuple[int, Decimal]]:
    """``{identifier: (year, value)}``: the latest validated value before ``year`` of
    each indicator, derived ones computed from their components."""
    series = validated_series(territory, indicators)
    previous = {}
    for identifier, points in series.items():
        earlier = [point for point in points if point[0] < year]
        if earlier:
            previous[identifier] = earlier[-1]
    return previous


def value_findings(report: ProgressReport, values=None) -> dict[int, Finding]:
    """``{indicator id: finding}`` for the implausible values of ``report``."""
    values = list(values if values is not None else report.values.select_related("indicator"))
    if not values:
        return {}
    previous = previous_points(
        report.contract.territory, [value.indicator for value in values], report.year
    )
    findings = {}
    for value in values:
        point = previous.get(value.indicator.identifier)
        if point is None:
            continue
        finding = check_plausibility(value.indicator, point[1], value.value, point[0])
        if finding is not None:
            findings[value.indicator_id] = finding
    return findings


def check_justified(report: ProgressReport) -> None:
    """Refuse (one message per indicator) a report with an implausible value that has
    no justification."""
    values = list(report.values.select_related("indicator"))
    findings = value_findings(report, values)
    errors = {
        value.indicator.identifier: [
            ValidationError(
                _("%(name)s : %(finding)s.")
                % {"name": value.indicator.name, "finding": findings[value.indicator_id].message},
                code=JUSTIFICATION_REQUIRED,
            )
        ]
        for value in values
        if value.indicator_id in findings and not value.justification.strip()
    }
    if errors:
        raise ValidationError(errors)
