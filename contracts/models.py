import re
from contextlib import suppress
from datetime import date
from decimal import Decimal
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

CONTRACT_YEARS = 3
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


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


class ContractKind(models.TextChoices):
    COTRI = "cotri", _("Contrat d'objectifs TRI")
    REGIONAL_GOALS = "regional_goals", _("Objectifs régionaux 2050")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("en préparation")
    SIGNED = "signed", _("signé")
    ACTIVE = "active", _("en cours")
    COMPLETED = "completed", _("achevé")
    TERMINATED = "terminated", _("résilié")


PUBLIC_STATUSES = [ContractStatus.SIGNED, ContractStatus.ACTIVE, ContractStatus.COMPLETED]


def assigned_territories(user):
    """Ids of the territories an officer is assigned to (a queryset, for subqueries)."""
    from territories.models import OfficerAssignment

    return OfficerAssignment.objects.filter(user=user).values("territory_id")


class ContractQuerySet(models.QuerySet):
    def public(self):
        return self.filter(status__in=PUBLIC_STATUSES)

    def cotri(self):
        return self.filter(kind=ContractKind.COTRI)

    def reportable_by(self, user):
        """Contracts whose progress ``user`` may report: staff, any; an officer, those
        of the territories they are assigned to; anyone else, none."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(territory_id__in=assigned_territories(user))

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
    kind = models.CharField(
        _("type"), max_length=20, choices=ContractKind.choices, default=ContractKind.COTRI
    )
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

    @property
    def first_year(self) -> int:
        """First year that can be reported: the earliest baseline year, else the start year."""
        years = [t.baseline_year for t in self.targets.all()]
        return min([*years, self.start_date.year])

    @property
    def last_year(self) -> int:
        return self.end_date.year


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


def validate_document_size(file):
    if file.size > MAX_DOCUMENT_BYTES:
        raise ValidationError(_("Le document dépasse 20 Mo."))


# What a document may be, and the type it is served as (never one a browser renders).
DOCUMENT_TYPES = {
    "pdf": "application/pdf",
    "odt": "application/vnd.oasis.opendocument.text",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}
OPAQUE_TYPE = "application/octet-stream"
MAX_DOWNLOAD_NAME = 100


class ContractDocumentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Public documents of public contracts, for everyone; every document of the
        contracts of their territories for an officer; every document for staff."""
        if user.is_authenticated and user.is_staff:
            return self.all()
        public = Q(public=True, contract__status__in=PUBLIC_STATUSES)
        if user.is_authenticated:
            return self.filter(public | Q(contract__territory_id__in=assigned_territories(user)))
        return self.filter(public)


class ContractDocument(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("titre"), max_length=200)
    file = models.FileField(
        _("fichier"),
        upload_to="contracts/%Y/",
        validators=[
            FileExtensionValidator(list(DOCUMENT_TYPES)),
            validate_document_size,
        ],
    )
    public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_(
            "Téléchargeable par tous sur la page du contrat une fois celui-ci signé ; "
            "sinon réservé aux agents et aux référents du territoire."
        ),
    )
    size = models.PositiveBigIntegerField(_("taille (octets)"), null=True, editable=False)
    uploaded_at = models.DateTimeField(_("déposé le"), auto_now_add=True)

    objects = ContractDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["title", "id"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        """Keep the file's size (pages list it without touching the storage)."""
        with suppress(OSError):  # the stored file went missing: keep the size known
            self.size = self.file.size if self.file else None
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("contract_document", args=[self.contract_id, self.pk])

    @property
    def extension(self) -> str:
        """The file's extension if it is an accepted one, else ''."""
        extension = PurePosixPath(self.file.name).suffix.lower().lstrip(".")
        return extension if extension in DOCUMENT_TYPES else ""

    @property
    def content_type(self) -> str:
        return DOCUMENT_TYPES.get(self.extension, OPAQUE_TYPE)

    @property
    def download_name(self) -> str:
        """The title as a file name: words joined by dashes (no path, quote or control
        character can reach the header), then the accepted extension."""
        stem = "-".join(re.findall(r"\w+", self.title))[:MAX_DOWNLOAD_NAME] or "document"
        return f"{stem}.{self.extension}" if self.extension else stem

    @property
    def is_public(self) -> bool:
        """Anyone may download it (the rule of ``visible_to`` for one document)."""
        return self.public and self.contract.status in PUBLIC_STATUSES


class TargetEntry(models.TextChoices):
    ABSOLUTE = "absolute", _("valeur absolue")
    PERCENT = "percent", _("évolution en %")
    DIVIDE = "divide", _("division par un facteur")


class Target(models.Model):
    """An *objectif chiffré*: from a baseline (year, value) to a target (year, value).

    May be entered as a relative change ("−60 %", "÷4"); always stored absolute."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="targets")
    indicator = models.ForeignKey(
        "indicators.Indicator",
        on_delete=models.PROTECT,
        related_name="targets",
        verbose_name=_("indicateur"),
    )
    baseline_year = models.PositiveSmallIntegerField(_("année de référence"))
    baseline_value = models.DecimalField(_("valeur de référence"), max_digits=22, decimal_places=6)
    target_year = models.PositiveSmallIntegerField(_("année cible"))
    target_value = models.DecimalField(_("valeur cible"), max_digits=22, decimal_places=6)
    entered_as = models.CharField(
        _("saisi comme"), max_length=10, choices=TargetEntry.choices, default=TargetEntry.ABSOLUTE
    )
    relative_change = models.DecimalField(
        _("évolution saisie"),
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("−60 pour « −60 % », 4 pour « ÷4 »."),
    )
    comment = models.CharField(_("commentaire"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("objectif chiffré")
        verbose_name_plural = _("objectifs chiffrés")
        ordering = ["contract", "indicator__identifier", "target_year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_year__gt=F("baseline_year")),
                name="target_year_after_baseline_year",
                violation_error_message=_(
                    "L'année cible doit être postérieure à l'année de référence."
                ),
            ),
            models.UniqueConstraint(
                fields=["contract", "indicator", "target_year"],
                name="one_target_per_indicator_and_year",
                violation_error_message=_(
                    "Ce contrat a déjà un objectif pour cet indicateur à cette échéance."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.indicator.identifier} : {self.baseline_value} ({self.baseline_year}) → {self.target_value} ({self.target_year})"

    def clean(self):
        super().clean()
        if self.baseline_year and self.target_year and self.target_year <= self.baseline_year:
            raise ValidationError(
                {"target_year": _("L'année cible doit être postérieure à l'année de référence.")}
            )
        if self.indicator_id:
            errors = {}
            for field in ("baseline_value", "target_value"):
                value = getattr(self, field)
                if value is None:
                    continue
                try:
                    self.indicator.check_value(value)
                except ValidationError as exc:
                    errors[field] = exc.messages
            if errors:
                raise ValidationError(errors)


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("brouillon")
    SUBMITTED = "submitted", _("soumis")
    VALIDATED = "validated", _("validé")
    REJECTED = "rejected", _("rejeté")


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
        return self.status in (ReportStatus.DRAFT, ReportStatus.REJECTED)


class ContractStats(models.Model):
    """Materialised contract figures of a scope (the region, each département),
    recomputed with the aggregates: read by the dashboards, never computed on the fly."""

    scope = models.OneToOneField(
        "territories.Territory",
        on_delete=models.CASCADE,
        related_name="contract_stats",
        verbose_name=_("périmètre"),
    )
    population = models.PositiveBigIntegerField(_("population"), default=0)
    covered_population = models.PositiveBigIntegerField(
        _("population couverte par un contrat signé ou en cours"), default=0
    )
    covered_population_all = models.PositiveBigIntegerField(
        _("population couverte par un contrat signé, en cours ou achevé"), default=0
    )
    by_status = models.JSONField(_("contrats par statut"), default=dict)
    by_theme = models.JSONField(_("contrats par thématique"), default=dict)
    changes = models.JSONField(
        _("évolutions visées et atteintes"),
        default=dict,
        help_text=_(
            "Par indicateur clé : somme des évolutions visées et atteintes, sans double compte."
        ),
    )
    computed_at = models.DateTimeField(_("calculé le"))

    class Meta:
        verbose_name = _("synthèse des contrats")
        verbose_name_plural = _("synthèses des contrats")

    def __str__(self):
        return f"{self.scope.name} ({self.computed_at:%d/%m/%Y %H:%M})"

    @property
    def covered_share(self):
        return self.covered_population / self.population if self.population else None

    @property
    def covered_share_all(self):
        return self.covered_population_all / self.population if self.population else None
