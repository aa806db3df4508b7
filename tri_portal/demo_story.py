"""Demo: what the demo's validated reports tell beyond their figures — an update of each
*fiche action* and an overall comment per validated report, and one evidence file (a
small PDF made here) — deterministic, bulk-written, every text labelled demonstration."""

from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from contracts.models import (
    EVIDENCE_PREFIX,
    Action,
    ActionStatus,
    ActionUpdate,
    EvidenceFile,
    ProgressReport,
    ReportStatus,
)

DEMO_COMMENT = (
    "Donnée de démonstration (fictive) : l'année {year} en quelques lignes — les chantiers "
    "engagés avancent, le comité de suivi s'est réuni deux fois."
)
DEMO_NARRATIVE = {
    ActionStatus.PLANNED: "Démonstration : action pas encore commencée cette année.",
    ActionStatus.IN_PROGRESS: "Démonstration : marchés attribués, travaux en cours.",
    ActionStatus.DONE: "Démonstration : action achevée, réception des travaux faite.",
    ActionStatus.ABANDONED: "Démonstration : action abandonnée, faute de financement.",
}
EVIDENCE_TITLE = "Démonstration — compte rendu du comité de suivi (fictif)"


def demo_pdf(text: str) -> bytes:
    """A valid one-page PDF showing ``text`` (ASCII), with its cross-reference table."""
    stream = f"BT /F1 12 Tf 50 750 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _update(action: Action, index: int, last: int) -> ActionUpdate:
    """Year ``index`` (0-based) of ``last + 1`` validated years: the last year ends
    where the action stands today; the years before it lead there."""
    final = action.status
    if index == last:
        status = final
    elif final == ActionStatus.PLANNED:
        status = ActionStatus.PLANNED
    else:
        status = ActionStatus.IN_PROGRESS
    step = (index + 1) * 100 // (last + 2)  # rises every year, below 100 before the end
    progress = {ActionStatus.PLANNED: 0, ActionStatus.DONE: 100}.get(status, step)
    spent = None
    if action.budget is not None and status != ActionStatus.PLANNED:
        spent = (action.budget / (last + 1)).quantize(Decimal("0.01"))
    return ActionUpdate(
        action=action,
        status=status,
        progress=progress,
        spent=spent,
        narrative=DEMO_NARRATIVE[status],
    )


def load_demo_story(by=None) -> None:
    """Idempotent: reports that already tell something are left as they are."""
    reports = list(
        ProgressReport.objects.filter(contract__is_demo=True, status=ReportStatus.VALIDATED)
        .exclude(action_updates__isnull=False)
        .order_by("contract_id", "year")
    )
    if not reports:
        return
    actions: dict[int, list[Action]] = {}
    for action in Action.objects.filter(contract__in={r.contract_id for r in reports}):
        actions.setdefault(action.contract_id, []).append(action)
    years: dict[int, list[int]] = {}
    for report in reports:
        years.setdefault(report.contract_id, []).append(report.year)
    updates = []
    for report in reports:
        own = years[report.contract_id]
        index, last = own.index(report.year), len(own) - 1
        for action in actions.get(report.contract_id, []):
            update = _update(action, index, last)
            update.report = report
            updates.append(update)
        report.comment = DEMO_COMMENT.format(year=report.year)
    ActionUpdate.objects.bulk_create(updates)
    ProgressReport.objects.bulk_update(reports, ["comment"])
    _demo_evidence(reports[0], by)


def _demo_evidence(report: ProgressReport, by) -> None:
    if report.evidence.exists():
        return
    content = demo_pdf(f"Demonstration - comite de suivi {report.year} - document fictif")
    name = f"{EVIDENCE_PREFIX}/{report.contract_id}/{report.year}/comite-de-suivi-demo.pdf"
    if default_storage.exists(name):
        default_storage.delete(name)
    stored = default_storage.save(name, ContentFile(content))
    EvidenceFile.objects.bulk_create(
        [
            EvidenceFile(
                report=report,
                title=EVIDENCE_TITLE,
                file=stored,
                file_format="pdf",
                size=len(content),
                uploaded_by=by,
            )
        ]
    )
