"""Yearly progress reports of a contract and their workflow statuses."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contracts.models.contracts import Contract, assigned_territories


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("brouillon")
    SUBMITTED = "submitted", _("soumis")
    VALIDATED = "validated", _("validé")
    REJECTED = "rejected", _("rejeté")


# Named sets of report statuses: the officer may still change the values and submit…
EDITABLE_REPORT_STATUSES = (ReportStatus.DRAFT, ReportStatus.REJECTED)
# …or the report was handed in (a report so is never late).
HANDED_IN_REPORT_STATUSES = (ReportStatus.SUBMITTED, ReportStatus.VALIDATED)


class ProgressReportQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Reports ``user`` may see and work on (same scope as Contract.reportable_by)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(contract__territory_id__in=assigned_territories(user))


class ProgressReport(models.Model):
    """The yearly progress report of a contract: the values an officer reports."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="reports")
    year = models.PositiveSmallIntegerField(_("année"))
    status = models.CharField(
        _("statut"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("soumis le"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("soumis par"),
    )
    reviewed_at = models.DateTimeField(_("examiné le"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("examiné par"),
    )
    rejection_reason = models.TextField(_("motif du rejet"), blank=True)
    comment = models.TextField(
        _("commentaire général"),
        blank=True,
        help_text=_("Ce que l'année a apporté, en quelques lignes (public une fois validé)."),
    )
    version = models.PositiveIntegerField(
        _("version"),
        default=0,
        editable=False,
        help_text=_(
            "Augmente à chaque enregistrement : deux saisies simultanées ne s'écrasent pas."
        ),
    )

    history = HistoricalRecords()
    objects = ProgressReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("rapport d'avancement")
        verbose_name_plural = _("rapports d'avancement")
        ordering = ["contract", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "year"],
                name="one_report_per_contract_per_year",
                violation_error_message=_("Ce contrat a déjà un rapport pour cette année."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReportStatus.values),
                name="report_status_valid",
                violation_error_message=_("Statut de rapport inconnu."),
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="rejected_report_has_reason",
                violation_error_message=_("Un rejet doit être motivé."),
            ),
        ]

    def __str__(self):
        return f"{self.contract.reference} — {self.year}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_REPORT_STATUSES
