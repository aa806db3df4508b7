"""What a progress report tells beyond its figures: where each *fiche action* stands
(status, progress, money spent, a short narrative) and the evidence files attached."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contracts.models.contracts import Action, ActionStatus
from contracts.models.reports import ProgressReport, ReportStatus
from kit.files import FORMAT_LABELS, content_type_of, safe_download_name

MAX_NARRATIVE = 1000
MAX_REPORT_COMMENT = 2000
MAX_PROGRESS = 100

# Evidence files: what they may be (kit.files formats), how big, and where they are kept
# (a prefix of the default storage — never under STATIC_ROOT, never served by an URL of
# the storage: only EvidenceDownloadView, which checks the report's scope).
EVIDENCE_FORMATS = ("pdf", "xlsx", "ods", "csv", "png", "jpeg")
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_EVIDENCE_PER_REPORT = 20
EVIDENCE_PREFIX = "evidence"


class ActionUpdateQuerySet(models.QuerySet):
    def published(self):
        """Updates of validated reports: the only ones the public sees."""
        return self.filter(report__status=ReportStatus.VALIDATED)


class ActionUpdate(models.Model):
    """Where a *fiche action* stands in a report's year, as the officer tells it.
    ``ActionStatus.PLANNED`` reads « not started » here."""

    report = models.ForeignKey(
        ProgressReport, on_delete=models.CASCADE, related_name="action_updates"
    )
    # An action with reported updates is not deleted (the published years keep it).
    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="updates")
    status = models.CharField(
        _("état"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.PLANNED
    )
    progress = models.PositiveSmallIntegerField(
        _("avancement (%)"),
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_PROGRESS)],
    )
    spent = models.DecimalField(
        _("dépenses (€)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    narrative = models.TextField(_("ce qui a été fait"), max_length=MAX_NARRATIVE, blank=True)

    history = HistoricalRecords()
    objects = ActionUpdateQuerySet.as_manager()

    class Meta:
        verbose_name = _("point d'étape d'une fiche action")
        verbose_name_plural = _("points d'étape des fiches action")
        ordering = ["report", "action_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "action"],
                name="one_update_per_action_per_report",
                violation_error_message=_("Cette fiche action a déjà un point d'étape."),
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=MAX_PROGRESS),
                name="action_update_progress_at_most_100",
                violation_error_message=_("L'avancement est un pourcentage de 0 à 100."),
            ),
            models.CheckConstraint(
                condition=Q(spent__isnull=True) | Q(spent__gte=0),
                name="action_update_spent_not_negative",
                violation_error_message=_("Les dépenses ne peuvent pas être négatives."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ActionStatus.values),
                name="action_update_status_valid",
                violation_error_message=_("État de fiche action inconnu."),
            ),
        ]

    def __str__(self):
        return f"{self.report} — {self.action}"


def evidence_path(instance, filename: str) -> str:
    """Kept under the report, with the name the officer gave it (the storage makes it
    unique)."""
    return f"{EVIDENCE_PREFIX}/{instance.report.contract_id}/{instance.report.year}/{filename}"


class EvidenceFile(models.Model):
    """A file an officer attaches to a report (a PDF, a spreadsheet, a photo)."""

    report = models.ForeignKey(ProgressReport, on_delete=models.PROTECT, related_name="evidence")
    title = models.CharField(_("titre"), max_length=200)
    file = models.FileField(_("fichier"), upload_to=evidence_path, max_length=300)
    file_format = models.CharField(_("format"), max_length=10, editable=False)
    size = models.PositiveBigIntegerField(_("taille (octets)"), editable=False)
    uploaded_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("déposé par"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pièce justificative")
        verbose_name_plural = _("pièces justificatives")
        ordering = ["report", "uploaded_at", "id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("officer:evidence_file", args=[self.report_id, self.pk])

    @property
    def content_type(self) -> str:
        return content_type_of(self.file_format)

    @property
    def format_label(self) -> str:
        return FORMAT_LABELS.get(self.file_format, "")

    @property
    def download_name(self) -> str:
        return safe_download_name(self.title, self.file_format.replace("jpeg", "jpg"))
