"""The progress report workflow: open a report, save its values (optimistic locking),
submit (implausible values justified), withdraw before review, reject, validate (by
someone who took no part in the report: four eyes; it publishes the values and
schedules the recompute)."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.calendar import check_report_year
from contracts.models import (
    EDITABLE_REPORT_STATUSES,
    REPORTING_STATUSES,
    Contract,
    ProgressReport,
    ReportStatus,
)
from contracts.services.review import check_four_eyes, check_justified
from indicators.models import Indicator, IndicatorValue, ValueStatus
from indicators.services import schedule_recompute, supersede_earlier
from kit.tasks import safe_delay


def _locked(instance):
    return type(instance).objects.select_for_update().get(pk=instance.pk)


def notify_on_commit(event: str, report_id: int) -> None:
    """E-mail the people concerned once the transaction has committed (Celery task)."""
    from contracts import tasks

    task = {"submitted": tasks.notify_report_submitted, "reviewed": tasks.notify_report_reviewed}[
        event
    ]
    transaction.on_commit(lambda: safe_delay(task, report_id))


@dataclass
class ReportedValue:
    indicator: Indicator
    value: Decimal | str | None
    source: str = ""
    comment: str = ""
    justification: str = ""


def open_report(contract: Contract, year: int, by=None) -> ProgressReport:
    """The report of ``contract`` for ``year``, created as a draft if missing."""
    return open_report_created(contract, year, by)[0]


def open_report_created(contract: Contract, year: int, by=None) -> tuple[ProgressReport, bool]:
    """As :func:`open_report`, and whether this call created it (concurrent callers:
    exactly one gets ``True``)."""
    if contract.status not in REPORTING_STATUSES:
        raise ValidationError(
            _(
                "Le contrat %(ref)s est « %(status)s » : on ne peut pas y rendre compte d'avancement."
            )
            % {"ref": contract.reference, "status": contract.get_status_display()}
        )
    check_report_year(contract, year)
    with transaction.atomic():
        return ProgressReport.objects.get_or_create(contract=contract, year=year)


VERSION_BATCH = 500  # reports per UPDATE … WHERE id IN (…)


def check_version(report: ProgressReport, expected_version: int | None) -> None:
    """Optimistic locking: the writer saw ``expected_version``; if someone saved the
    report since, refuse instead of overwriting their work."""
    if expected_version is not None and report.version != expected_version:
        raise ValidationError(
            _(
                "Le rapport %(year)s a été modifié par quelqu'un d'autre pendant votre saisie : "
                "rechargez-le pour voir ses valeurs actuelles, puis recommencez."
            )
            % {"year": report.year},
            code="stale",
        )


def bump_report_versions(reports: Iterable[ProgressReport], by, date=None) -> None:
    """Optimistic locking, the writing half: every write of a report's values (the
    progress form, the API, the spreadsheet import) counts one version, with the
    report's history row, in the caller's transaction; a writer who read the report
    before then meets :func:`check_version`. The caller holds the reports' row locks
    (``select_for_update``, or rows it created in this transaction)."""
    reports = list(reports)
    ids = [report.pk for report in reports]
    for start in range(0, len(ids), VERSION_BATCH):
        ProgressReport.objects.filter(pk__in=ids[start : start + VERSION_BATCH]).update(
            version=F("version") + 1
        )
    current = ProgressReport.objects.in_bulk(ids)
    ProgressReport.history.bulk_history_create(
        current.values(),
        update=True,
        default_user=by,
        default_change_reason=None,  # as a save() records it
        default_date=date or timezone.now(),
    )
    for report in reports:
        report.version = current[report.pk].version


def save_report_values(
    report: ProgressReport, entries: Iterable[ReportedValue], by, expected_version=None
) -> list[IndicatorValue]:
    """Create or update the report's draft values; an entry whose value is None or
    empty removes that indicator's value. All entries are checked first: one bad
    entry and nothing is saved (the ValidationError maps identifiers to messages).
    With ``expected_version``, a report saved by someone else since is refused."""
    entries = list(entries)
    errors: dict[str, list[str]] = {}
    checked: list[tuple[ReportedValue, Decimal | None]] = []
    seen = set()
    for entry in entries:
        identifier = entry.indicator.identifier
        if identifier in seen:
            errors.setdefault(identifier, []).append(_("Indicateur présent deux fois."))
            continue
        seen.add(identifier)
        if entry.indicator.is_derived:
            errors.setdefault(identifier, []).append(
                _("Indicateur calculé à partir de ses composantes : il ne se saisit pas.")
            )
            continue
        if entry.value is None or str(entry.value).strip() == "":
            checked.append((entry, None))
            continue
        try:
            checked.append((entry, entry.indicator.check_value(entry.value)))
        except ValidationError as exc:
            errors.setdefault(identifier, []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)

    saved = []
    with transaction.atomic():
        report = _locked(report)
        check_version(report, expected_version)
        if not report.is_editable:
            raise ValidationError(
                _("Le rapport %(year)s est « %(status)s » : il n'est plus modifiable.")
                % {"year": report.year, "status": report.get_status_display()},
                code="not_editable",
            )
        check_report_year(report.contract, report.year)
        for entry, number in checked:
            existing = IndicatorValue.objects.filter(
                report=report, indicator=entry.indicator
            ).first()
            if number is None:
                if existing:
                    existing._history_user = by
                    existing.delete()
                continue
            value = existing or IndicatorValue(
                report=report,
                indicator=entry.indicator,
                territory=report.contract.territory,
                year=report.year,
                # What is reported for a demonstration contract is demonstration data.
                is_demo=report.contract.is_demo,
            )
            value.value = number
            value.source = entry.source.strip()
            value.comment = entry.comment.strip()
            value.justification = (entry.justification or "").strip()
            value.status = ValueStatus.DRAFT
            value.entered_by = by
            value.entered_at = timezone.now()
            value.full_clean()
            value._history_user = by
            value.save()
            saved.append(value)
        bump_report_versions([report], by)
    return saved


def _set_values_status(report: ProgressReport, status: str, by, **fields) -> list[IndicatorValue]:
    values = list(report.values.select_for_update().order_by("pk"))
    for value in values:
        value.status = status
        for name, field_value in fields.items():
            setattr(value, name, field_value)
        value._history_user = by
        value.save()
    return values


def _transition_report(report, allowed, new_status, by) -> ProgressReport:
    locked = _locked(report)
    if locked.status not in allowed:
        raise ValidationError(
            _("Passage impossible de « %(old)s » à « %(new)s » pour le rapport %(year)s.")
            % {
                "old": locked.get_status_display(),
                "new": ReportStatus(new_status).label,
                "year": locked.year,
            },
            code="invalid_transition",
        )
    locked.status = new_status
    locked.version += 1
    locked._history_user = by
    return locked


@transaction.atomic
def submit_report(report: ProgressReport, by) -> ProgressReport:
    locked = _transition_report(report, EDITABLE_REPORT_STATUSES, ReportStatus.SUBMITTED, by)
    if not locked.values.exists():
        raise ValidationError(_("Le rapport ne contient aucune valeur : rien à soumettre."))
    check_justified(locked)
    locked.submitted_at = timezone.now()
    locked.submitted_by = by
    locked.save()
    _set_values_status(locked, ValueStatus.SUBMITTED, by)
    notify_on_commit("submitted", locked.pk)
    report.refresh_from_db()
    return report


@transaction.atomic
def withdraw_report(report: ProgressReport, by) -> ProgressReport:
    """Before review, whoever submitted the report or an officer of its territory takes
    it back: a draft again, its values editable."""
    locked = _transition_report(report, {ReportStatus.SUBMITTED}, ReportStatus.DRAFT, by)
    officer = not by.is_staff and ProgressReport.objects.visible_to(by).filter(pk=locked.pk)
    if by.pk != locked.submitted_by_id and not (officer and officer.exists()):
        raise ValidationError(
            _(
                "Seuls la personne qui l'a soumis et les référents du territoire peuvent "
                "retirer ce rapport."
            ),
            code="not_allowed",
        )
    locked.submitted_at = None
    locked.submitted_by = None
    locked._change_reason = _("Retiré avant examen")
    locked.save()
    _set_values_status(locked, ValueStatus.DRAFT, by)
    report.refresh_from_db()
    return report


@transaction.atomic
def reject_report(report: ProgressReport, by, reason: str) -> ProgressReport:
    if not (reason or "").strip():
        raise ValidationError(
            _("Indiquez le motif du rejet : le référent en a besoin pour corriger.")
        )
    locked = _transition_report(report, {ReportStatus.SUBMITTED}, ReportStatus.REJECTED, by)
    locked.rejection_reason = reason.strip()
    locked.reviewed_at = timezone.now()
    locked.reviewed_by = by
    locked.save()
    _set_values_status(locked, ValueStatus.REJECTED, by)
    notify_on_commit("reviewed", locked.pk)
    report.refresh_from_db()
    return report


@transaction.atomic
def validate_report(report: ProgressReport, by) -> list[IndicatorValue]:
    """Publish the report's values as validated observations (the only way a value
    becomes validated); an earlier validated value for the same territory, indicator
    and year is kept in the records as *superseded*."""
    locked = _transition_report(report, {ReportStatus.SUBMITTED}, ReportStatus.VALIDATED, by)
    check_four_eyes(locked, by)
    now = timezone.now()
    locked.reviewed_at = now
    locked.reviewed_by = by
    locked.rejection_reason = ""
    locked.save()
    values = list(locked.values.select_for_update().order_by("pk"))
    replaced = set()  # (territory, indicator, year) that had a validated value already
    for value in values:
        if supersede_earlier(value, by):
            replaced.add((value.territory_id, value.indicator_id, value.year))
    validated = _set_values_status(
        locked, ValueStatus.VALIDATED, by, validated_by=by, validated_at=now
    )
    schedule_recompute(validated, replaced)
    # The fiches action take the status the report gives them (services.story).
    from contracts.services.story import publish_action_statuses

    publish_action_statuses(locked, by)
    notify_on_commit("reviewed", locked.pk)
    report.refresh_from_db()
    return validated
