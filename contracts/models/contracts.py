"""Contracts: their statuses, who may see or report on them, their
signatories and *fiches action*."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contracts import calendar

CONTRACT_YEARS = 3


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def three_year_end_dates(start: date) -> set[date]:
    """A three-year contract ends the day before its third anniversary, or on it."""
    anniversary = add_years(start, CONTRACT_YEARS)
    return {anniversary, date.fromordinal(anniversary.toordinal() - 1)}


class ContractTheme(models.Model):
    slug = models.SlugField(_("identifiant"), unique=True)
    name = models.CharField(_("nom"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("thématique de contrat")
        verbose_name_plural = _("thématiques de contrat")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("en préparation")
    SIGNED = "signed", _("signé")
    ACTIVE = "active", _("en cours")
    COMPLETED = "completed", _("achevé")
    TERMINATED = "terminated", _("résilié")


# Named sets of contract statuses, in workflow order: each meaning defined here once
# and imported wherever it is used (querysets, pages, API, figures, reporting).

# Published: listed, shown and exported to everyone, counted in the public figures.
PUBLIC_STATUSES = (ContractStatus.SIGNED, ContractStatus.ACTIVE, ContractStatus.COMPLETED)
# Progress is reported on them (officer space, imports, reminders, late reports).
REPORTING_STATUSES = (ContractStatus.SIGNED, ContractStatus.ACTIVE, ContractStatus.COMPLETED)
# They cover their territory's population today (completed ones no longer do).
COVERING_STATUSES = (ContractStatus.SIGNED, ContractStatus.ACTIVE)
# Over: their targets are judged on the values up to their end, not on later ones (a
# renewal's years belong to the renewal).
ENDED_STATUSES = (ContractStatus.COMPLETED, ContractStatus.TERMINATED)


def assigned_territories(user):
    """Ids of the territories an officer is assigned to (a queryset, for subqueries)."""
    from territories.models import OfficerAssignment

    return OfficerAssignment.objects.filter(user=user).values("territory_id")


class ContractQuerySet(models.QuerySet):
    def public(self):
        return self.filter(status__in=PUBLIC_STATUSES)

    def reportable_by(self, user):
        """Contracts whose progress ``user`` may report: staff, any; an officer, those
        of the territories they are assigned to; anyone else, none."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(territory_id__in=assigned_territories(user))

    def with_earlier_last_year(self):
        """Each contract with ``earlier_last_year``: the last year of its territory's
        earlier contracts (``contracts.calendar.earlier_last_year``), in the same query."""
        earlier = (
            Contract.objects.filter(
                territory_id=OuterRef("territory_id"),
                start_date__lt=OuterRef("start_date"),
                status__in=REPORTING_STATUSES,
            )
            .order_by("-end_date")
            .values("end_date__year")[:1]
        )
        return self.annotate(earlier_last_year=Subquery(earlier))

    def visible_to(self, user):
        """Public contracts, plus those ``user`` works on (their own territory's drafts
        for an officer, everything for staff)."""
        if user.is_authenticated and user.is_staff:
            return self.all()
        if user.is_authenticated:
            return self.filter(
                Q(status__in=PUBLIC_STATUSES) | Q(territory_id__in=assigned_territories(user))
            )
        return self.public()


class Contract(models.Model):
    territory = models.ForeignKey(
        "territories.Territory",
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("territoire"),
    )
    reference = models.CharField(_("référence"), max_length=50, unique=True)
    title = models.CharField(_("intitulé"), max_length=250)
    summary = models.TextField(_("résumé"), blank=True)
    status = models.CharField(
        _("statut"), max_length=12, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    signed_on = models.DateField(_("signé le"), null=True, blank=True)
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"))
    duration_override_reason = models.CharField(
        _("motif d'une durée autre que trois ans"),
        max_length=300,
        blank=True,
        help_text=_("Obligatoire si le contrat ne dure pas trois ans."),
    )
    themes = models.ManyToManyField(
        ContractTheme, related_name="contracts", verbose_name=_("thématiques"), blank=True
    )
    status_changed_at = models.DateTimeField(_("statut modifié le"), null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("statut modifié par"),
    )
    termination_reason = models.CharField(_("motif de résiliation"), max_length=300, blank=True)
    terminated_on = models.DateField(_("résilié le"), null=True, blank=True)
    predecessor = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="successor",
        verbose_name=_("contrat précédent"),
        help_text=_("Le contrat que celui-ci renouvelle."),
    )
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    history = HistoricalRecords(m2m_fields=[themes])
    objects = ContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("contrat")
        verbose_name_plural = _("contrats")
        ordering = ["-signed_on", "reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")),
                name="contract_end_after_start",
                violation_error_message=_(
                    "La date de fin doit être postérieure à la date de début."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(signed_on__isnull=False),
                name="contract_signed_has_date",
                violation_error_message=_("Un contrat signé doit porter sa date de signature."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ContractStatus.values),
                name="contract_status_valid",
                violation_error_message=_("Statut de contrat inconnu."),
            ),
            models.CheckConstraint(
                condition=~Q(status="terminated") | ~Q(termination_reason=""),
                name="contract_terminated_has_reason",
                violation_error_message=_("Une résiliation doit être motivée."),
            ),
            models.CheckConstraint(
                condition=~Q(status="terminated") | Q(terminated_on__isnull=False),
                name="contract_terminated_has_date",
                violation_error_message=_("Une résiliation doit être datée."),
            ),
        ]

    def __str__(self):
        return f"{self.reference} — {self.territory.name}"

    def clean(self):
        super().clean()
        if self.start_date and self.end_date:
            if self.end_date <= self.start_date:
                raise ValidationError(
                    {"end_date": _("La date de fin doit être postérieure à la date de début.")}
                )
            if (
                self.end_date not in three_year_end_dates(self.start_date)
                and not self.duration_override_reason.strip()
            ):
                raise ValidationError(
                    {
                        "duration_override_reason": _(
                            "Un contrat d'objectifs dure trois ans (du %(start)s au %(end)s) : "
                            "indiquez le motif d'une autre durée."
                        )
                        % {
                            "start": self.start_date.strftime("%d/%m/%Y"),
                            "end": min(three_year_end_dates(self.start_date)).strftime("%d/%m/%Y"),
                        }
                    }
                )

    def earlier_contracts(self):
        """The territory's earlier contracts that reported (a renewal's
        predecessors): the years up to their end were reported under them."""
        return Contract.objects.filter(
            territory_id=self.territory_id,
            start_date__lt=self.start_date,
            status__in=REPORTING_STATUSES,
        ).exclude(pk=self.pk)

    @property
    def first_year(self) -> int:
        """First year that can be reported (``contracts.calendar.first_year``)."""
        return calendar.first_year(self)

    @property
    def last_year(self) -> int:
        """Last year that can be reported (``contracts.calendar.last_year``)."""
        return calendar.last_year(self)


class Signatory(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="signatories")
    organisation = models.CharField(_("organisme"), max_length=200)
    representative = models.CharField(_("représenté par"), max_length=200, blank=True)
    role = models.CharField(_("qualité"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("signataire")
        verbose_name_plural = _("signataires")
        ordering = ["id"]

    def __str__(self):
        return self.organisation


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("prévue")
    IN_PROGRESS = "in_progress", _("en cours")
    DONE = "done", _("réalisée")
    ABANDONED = "abandoned", _("abandonnée")


class Action(models.Model):
    """A *fiche action* of a contract."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="actions")
    theme = models.ForeignKey(ContractTheme, on_delete=models.PROTECT, verbose_name=_("thématique"))
    title = models.CharField(_("intitulé"), max_length=250)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("état"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.PLANNED
    )
    budget = models.DecimalField(
        _("budget (€)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("fiche action")
        verbose_name_plural = _("fiches action")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0),
                name="action_budget_not_negative",
                violation_error_message=_("Le budget ne peut pas être négatif."),
            ),
        ]

    def __str__(self):
        return self.title
