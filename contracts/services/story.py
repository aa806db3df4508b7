"""What a report tells beyond its figures: the *fiches action* updates and the overall
comment (saved with the values, in the caller's transaction), the evidence files, and
the actions' status once the report is validated."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from contracts.models import (
    EVIDENCE_FORMATS,
    MAX_EVIDENCE_BYTES,
    MAX_EVIDENCE_PER_REPORT,
    MAX_NARRATIVE,
    MAX_PROGRESS,
    MAX_REPORT_COMMENT,
    Action,
    ActionStatus,
    ActionUpdate,
    EvidenceFile,
    ProgressReport,
    ReportStatus,
)
from contracts.services.reports import bump_report_versions, check_version
from kit.files import check_content


@dataclass
class ActionEntry:
    """One action's update as a form, the API or the import reads it (raw values)."""

    action: Action
    status: str = ActionStatus.PLANNED
    progress: int | str | None = 0
    spent: Decimal | str | None = None
    narrative: str = ""


def _locked_editable(report: ProgressReport) -> ProgressReport:
    locked = ProgressReport.objects.select_for_update().get(pk=report.pk)
    if not locked.is_editable:
        raise ValidationError(
            _("Le rapport %(year)s est « %(status)s » : il n'est plus modifiable.")
            % {"year": locked.year, "status": locked.get_status_display()},
            code="not_editable",
        )
    return locked


def check_action_entry(entry: ActionEntry, contract_id: int) -> tuple[dict, dict[str, list]]:
    """The entry's cleaned fields, and its errors by field name (French messages)."""
    errors: dict[str, list] = {}
    fields: dict = {}
    if entry.action.contract_id != contract_id:
        return {}, {"action": [_("Cette fiche action n'appartient pas au contrat du rapport.")]}
    if entry.status not in ActionStatus.values:
        errors["status"] = [
            _("État inconnu : « %(status)s » (attendu : %(choices)s).")
            % {"status": entry.status, "choices": ", ".join(ActionStatus.values)}
        ]
    fields["status"] = entry.status
    raw = "" if entry.progress is None else str(entry.progress).strip().rstrip("%").strip()
    try:
        progress = int(raw or 0)
    except ValueError:
        progress = None
    if progress is None or not 0 <= progress <= MAX_PROGRESS:
        errors["progress"] = [_("L'avancement est un pourcentage entier de 0 à 100.")]
    fields["progress"] = progress
    spent = parse_amount(entry.spent)
    if spent is not None and (not spent.is_finite() or spent < 0 or spent >= MAX_AMOUNT):
        errors["spent"] = [_("Les dépenses sont un montant en euros, positif ou nul.")]
    fields["spent"] = spent.quantize(Decimal("0.01")) if "spent" not in errors and spent else spent
    narrative = (entry.narrative or "").strip()
    if len(narrative) > MAX_NARRATIVE:
        errors["narrative"] = [
            _("Le récit tient en %(max)s caractères au plus (il en a %(n)s).")
            % {"max": MAX_NARRATIVE, "n": len(narrative)}
        ]
    fields["narrative"] = narrative
    return fields, errors


MAX_AMOUNT = Decimal(10) ** 12


def parse_amount(raw) -> Decimal | None:
    """An amount in euros written in French (``12 500,50``) or English (``12500.5``);
    None when blank; NaN when not a number (refused by the caller)."""
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip().rstrip("€").strip()
    for space in ("\u202f", "\xa0", " "):
        text = text.replace(space, "")
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return Decimal("NaN")


def save_report_story(
    report: ProgressReport,
    entries: list[ActionEntry],
    by,
    comment: str | None = None,
    expected_version=None,
) -> list[ActionUpdate]:
    """Create or update the updates of the report's actions and (unless None) its overall
    comment, as one write of the report (a version, a history row). All entries are
    checked first: one bad entry and nothing is saved (the ValidationError maps each
    action's id, as a string, to its messages; ``comment`` to the comment's)."""
    errors: dict[str, list[str]] = {}
    checked = []
    seen = set()
    for entry in entries:
        key = str(entry.action.pk)
        if key in seen:
            errors.setdefault(key, []).append(_("Fiche action présente deux fois."))
            continue
        seen.add(key)
        fields, messages = check_action_entry(entry, report.contract_id)
        if messages:
            errors.setdefault(key, []).extend(m for field in messages.values() for m in field)
        else:
            checked.append((entry.action, fields))
    if comment is not None and len(comment.strip()) > MAX_REPORT_COMMENT:
        errors["comment"] = [
            _("Le commentaire général tient en %(max)s caractères au plus.")
            % {"max": MAX_REPORT_COMMENT}
        ]
    if errors:
        raise ValidationError(errors)

    saved = []
    with transaction.atomic():
        locked = _locked_editable(report)
        check_version(locked, expected_version)
        existing = {u.action_id: u for u in locked.action_updates.select_for_update()}
        for action, fields in checked:
            update = existing.get(action.pk) or ActionUpdate(report=locked, action=action)
            changed = update.pk is None or any(
                getattr(update, name) != value for name, value in fields.items()
            )
            if not changed:
                continue
            for name, value in fields.items():
                setattr(update, name, value)
            update._history_user = by
            update.save()
            saved.append(update)
        if comment is not None:
            report.comment = comment.strip()
            ProgressReport.objects.filter(pk=locked.pk).update(comment=report.comment)
        bump_report_versions([locked], by)  # the history row carries the comment
        report.version = locked.version
    return saved


def publish_action_statuses(report: ProgressReport, by) -> None:
    """On validation, each reported action takes the status the report gives it —
    unless a later year's report of the contract is already validated (an old report
    validated late does not turn the clock back). Called by ``validate_report``."""
    later = ProgressReport.objects.filter(
        contract_id=report.contract_id, status=ReportStatus.VALIDATED, year__gt=report.year
    ).exists()
    if later:
        return
    for update in report.action_updates.select_related("action"):
        action = update.action
        if action.status != update.status:
            action.status = update.status
            action._history_user = by
            action.save(update_fields=["status"])


def add_evidence(report: ProgressReport, upload, title: str, by) -> EvidenceFile:
    """Attach ``upload`` to an editable report, once its size, count and content (not its
    name: ``kit.files``) are checked; French ValidationError otherwise, nothing saved."""
    title = (title or "").strip() or upload.name.rsplit(".", 1)[0][:200]
    if upload.size > MAX_EVIDENCE_BYTES:
        raise ValidationError(
            _("Le fichier dépasse %(max)s Mo.") % {"max": MAX_EVIDENCE_BYTES // (1024 * 1024)},
            code="too_big",
        )
    if upload.size == 0:
        raise ValidationError(_("Le fichier est vide."), code="empty")
    file_format = check_content(upload, EVIDENCE_FORMATS)
    with transaction.atomic():
        locked = _locked_editable(report)
        if locked.evidence.count() >= MAX_EVIDENCE_PER_REPORT:
            raise ValidationError(
                _("Un rapport porte au plus %(max)s pièces justificatives.")
                % {"max": MAX_EVIDENCE_PER_REPORT},
                code="too_many",
            )
        evidence = EvidenceFile(
            report=locked,
            title=title[:200],
            file_format=file_format,
            size=upload.size,
            uploaded_by=by,
        )
        evidence.file.save(upload.name, upload, save=False)
        stored = evidence.file.name
        try:
            evidence._history_user = by
            evidence.save()
        except Exception:
            evidence.file.storage.delete(stored)
            raise
    return evidence


def delete_evidence(evidence: EvidenceFile, by) -> None:
    """Remove an evidence file of an editable report (the row's history keeps who did
    it; the stored file goes once the transaction has committed)."""
    with transaction.atomic():
        _locked_editable(evidence.report)
        storage, name = evidence.file.storage, evidence.file.name
        evidence._history_user = by
        evidence.delete()
        transaction.on_commit(lambda: storage.delete(name))
