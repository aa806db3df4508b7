from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from indicators import formulas
from indicators.peer_groups import (
    BANDS_BY_CODE,
    MIN_PEERS,
    PEER_KIND_PLURALS,
    POPULATION_BANDS,
    PeerKind,
)
from indicators.units import UNIT_BOUNDS, UNIT_DECIMALS
from kit.templatetags.tri_format import number, percent
from kit.years import YEAR_MAX, YEAR_MIN
from territories.models import TerritoryKind


class Theme(models.TextChoices):
    TERRITORY = "territoire", _("Territoire")
    ENERGY_CLIMATE = "energie_et_climat", _("Énergie et climat")
    PLANNING = "urbanisme_et_amenagement", _("Urbanisme et aménagement")
    ECONOMY = "activites_economiques", _("Activités économiques")
    FOOD = "agri_alim", _("Agriculture et alimentation")
    WASTE = "eci_dechets", _("Économie circulaire et déchets")
    MOBILITY = "mobilite_et_transport", _("Mobilité et transport")


class Direction(models.TextChoices):
    LOWER = "lower", _("plus bas, c'est mieux")
    HIGHER = "higher", _("plus haut, c'est mieux")
    NEUTRAL = "neutral", _("sans sens d'amélioration")


class Aggregation(models.TextChoices):
    SUM = "sum", _("somme")
    RATIO = "ratio", _("rapport de composantes")
    WEIGHTED_MEAN = "weighted_mean", _("moyenne pondérée par la population")
    NONE = "none", _("non agrégeable")


class Origin(models.TextChoices):
    ADEME = "ademe", _("Référentiel ADEME (Territoires en Transitions)")
    TRI = "tri", _("Indicateur propre aux contrats TRI")


# Thousands separators a French number may carry: space, no-break and narrow no-break.
NUMBER_SPACES = str.maketrans("", "", " \u00a0\u202f")
# How precisely a value is stored: indicator values, targets, aggregates, the
# API and the import all use these (``Indicator.check_value`` refuses more places).
VALUE_DIGITS = 22
VALUE_DECIMALS = 6
VALUE_QUANTUM = Decimal(1).scaleb(-VALUE_DECIMALS)  # 0.000001
# The population in formulas and in the catalogue (``val(terr_1)``).
POPULATION_IDENTIFIER = "terr_1"


class Indicator(models.Model):
    identifier = models.CharField(_("identifiant"), max_length=50, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    unit = models.CharField(_("unité"), max_length=30, choices=[(u, u) for u in UNIT_BOUNDS])
    theme = models.CharField(_("thématique"), max_length=30, choices=Theme.choices)
    direction = models.CharField(_("sens d'amélioration"), max_length=10, choices=Direction.choices)
    aggregation = models.CharField(
        _("agrégation"), max_length=15, choices=Aggregation.choices, default=Aggregation.SUM
    )
    formula = models.CharField(
        _("formule"),
        max_length=300,
        blank=True,
        help_text=_("Pour un indicateur calculé, ex. val(cae_3.a)/1000/val(cae_2.a)*100."),
    )
    is_key = models.BooleanField(_("indicateur clé TRI"), default=False)
    origin = models.CharField(_("origine"), max_length=10, choices=Origin.choices)
    # Plausibility bounds (indicators.plausibility): a reported value beyond them needs
    # a justification before its report is submitted.
    max_change_percent = models.PositiveSmallIntegerField(
        _("variation annuelle plausible (± %)"),
        null=True,
        blank=True,
        help_text=_(
            "Au-delà de cette variation par rapport à la dernière valeur validée, le référent "
            "doit justifier la valeur. Vide : pas de borne."
        ),
    )
    is_cumulative = models.BooleanField(
        _("cumul (ne baisse jamais)"),
        default=False,
        help_text=_("Une baisse par rapport à la dernière valeur validée doit être justifiée."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("indicateur")
        verbose_name_plural = _("indicateurs")
        ordering = ["identifier"]

    def __str__(self):
        return f"{self.identifier} — {self.name} ({self.unit})"

    def clean(self):
        super().clean()
        if self.formula:
            try:
                formulas.validate_formula(self.formula)
            except formulas.FormulaError as exc:
                raise ValidationError({"formula": str(exc)}) from exc

    @property
    def is_derived(self) -> bool:
        return bool(self.formula)

    @property
    def components(self) -> list[str]:
        return formulas.components(self.formula)

    @property
    def bounds(self) -> tuple[Decimal, Decimal]:
        return UNIT_BOUNDS[self.unit]

    @property
    def decimals(self) -> int:
        """The precision a value is shown with (a count has none)."""
        return UNIT_DECIMALS[self.unit]

    def check_value(self, value) -> Decimal:
        """Return ``value`` as a Decimal or raise a French ValidationError."""
        try:
            number = Decimal(str(value).strip().translate(NUMBER_SPACES).replace(",", "."))
        except (ArithmeticError, ValueError) as exc:
            raise ValidationError(
                _("« %(value)s » n'est pas un nombre."),
                code="not_a_number",
                params={"value": value},
            ) from exc
        if not number.is_finite():
            raise ValidationError(_("La valeur doit être un nombre fini."), code="not_finite")
        if number.as_tuple().exponent < -VALUE_DECIMALS:
            raise ValidationError(
                _("%(value)s a plus de %(n)s décimales : arrondissez la valeur."),
                code="too_precise",
                params={"value": value, "n": VALUE_DECIMALS},
            )
        low, high = self.bounds
        if not low <= number <= high:
            raise ValidationError(
                _(
                    "%(value)s %(unit)s est hors des bornes plausibles (%(low)s à %(high)s %(unit)s)."
                ),
                code="out_of_bounds",
                params={"value": number, "unit": self.unit, "low": low, "high": high},
            )
        return number


class ValueStatus(models.TextChoices):
    DRAFT = "draft", _("brouillon")
    SUBMITTED = "submitted", _("soumise")
    VALIDATED = "validated", _("validée")
    REJECTED = "rejected", _("rejetée")
    SUPERSEDED = "superseded", _("remplacée")


class IndicatorValueQuerySet(models.QuerySet):
    def validated(self):
        return self.filter(status=ValueStatus.VALIDATED)


class IndicatorValue(models.Model):
    """An observation of an indicator for a territory and a year.

    Values are entered in a progress report (draft → submitted) and become
    validated only through ``contracts.services.validate_report``; a newer
    validated value for the same territory/indicator/year supersedes the old one."""

    territory = models.ForeignKey(
        "territories.Territory",
        on_delete=models.PROTECT,
        related_name="indicator_values",
        verbose_name=_("territoire"),
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="values", verbose_name=_("indicateur")
    )
    year = models.PositiveSmallIntegerField(_("année"))
    value = models.DecimalField(_("valeur"), max_digits=VALUE_DIGITS, decimal_places=VALUE_DECIMALS)
    source = models.CharField(_("source"), max_length=300, blank=True)
    comment = models.TextField(_("commentaire"), blank=True)
    status = models.CharField(
        _("statut"), max_length=12, choices=ValueStatus.choices, default=ValueStatus.DRAFT
    )
    report = models.ForeignKey(
        "contracts.ProgressReport",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="values",
        verbose_name=_("rapport d'avancement"),
    )
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("saisie par"),
    )
    entered_at = models.DateTimeField(_("saisie le"), default=timezone.now)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("validée par"),
    )
    validated_at = models.DateTimeField(_("validée le"), null=True, blank=True)
    justification = models.TextField(
        _("justification"),
        blank=True,
        help_text=_("Pourquoi une valeur hors des bornes de plausibilité est juste."),
    )
    corrected_at = models.DateTimeField(_("corrigée le"), null=True, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("corrigée par"),
    )
    self_corrected = models.BooleanField(
        _("corrigée sans second contrôle"),
        default=False,
        help_text=_("Corrigée par la personne qui l'avait validée ou saisie."),
    )

    history = HistoricalRecords()
    objects = IndicatorValueQuerySet.as_manager()

    class Meta:
        verbose_name = _("valeur d'indicateur")
        verbose_name_plural = _("valeurs d'indicateurs")
        ordering = ["territory", "indicator", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["territory", "indicator", "year"],
                condition=Q(status="validated"),
                name="one_validated_value_per_territory_indicator_year",
                violation_error_message=_(
                    "Une valeur validée existe déjà pour ce territoire, cet indicateur et cette année."
                ),
            ),
            models.UniqueConstraint(
                fields=["report", "indicator"],
                condition=Q(report__isnull=False),
                name="one_value_per_indicator_per_report",
                violation_error_message=_(
                    "Ce rapport contient déjà une valeur pour cet indicateur."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ValueStatus.values),
                name="indicator_value_status_valid",
                violation_error_message=_("Statut de valeur inconnu."),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=YEAR_MIN, year__lte=YEAR_MAX),
                name="indicator_value_year_plausible",
                violation_error_message=format_lazy(
                    _("L'année doit être comprise entre {min} et {max}."),
                    min=YEAR_MIN,
                    max=YEAR_MAX,
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status="validated") | Q(validated_at__isnull=False),
                name="validated_value_has_validation_date",
                violation_error_message=_("Une valeur validée doit porter sa date de validation."),
            ),
        ]
        indexes = [
            models.Index(fields=["indicator", "year", "status"]),
            # The latest validation of an indicator (each aggregate records it): without
            # it, a scan of every value of the indicator (0.4 s nationally) per recompute.
            models.Index(
                fields=["indicator", "validated_at"],
                condition=Q(status="validated"),
                name="value_latest_validation",
            ),
            # The aggregates read, per indicator, every validated (territory, year,
            # value): from this index alone (an index-only scan), instead of fetching
            # rows spread over the whole table (2 s → 0.2 s per indicator nationally).
            models.Index(
                fields=["indicator", "year", "territory", "value"],
                condition=Q(status="validated"),
                name="value_aggregation_read",
            ),
        ]

    def __str__(self):
        return f"{self.indicator.identifier} {self.territory.name} {self.year} = {self.value}"

    def clean(self):
        super().clean()
        if self.indicator_id is None:
            return
        if self.indicator.is_derived:
            raise ValidationError(
                _(
                    "« %(identifier)s » est calculé à partir de ses composantes : il ne se saisit pas."
                )
                % {"identifier": self.indicator.identifier}
            )
        if self.value is not None:
            try:
                self.indicator.check_value(self.value)
            except ValidationError as exc:
                raise ValidationError({"value": exc.messages}) from exc
        if self.year and self.year > timezone.localdate().year:
            raise ValidationError(
                {"year": _("L'année %(year)s est dans le futur.") % {"year": self.year}}
            )


def covered_share(covered_population: int, scope_population: int | None) -> Decimal | None:
    """The share (0 to 1) of the scope's population an aggregate covers; None when the
    scope's population is unknown."""
    if not scope_population:
        return None
    return Decimal(covered_population) / Decimal(scope_population)


def is_partial(covered_population: int, scope_population: int | None) -> bool:
    """An aggregate is partial unless its territories cover the whole scope's population
    (unknown population: partial, it cannot be shown as the total)."""
    return not scope_population or covered_population < scope_population


class Aggregate(models.Model):
    """A materialised aggregate of an indicator over a scope (the region, a
    département, a syndicat or EPCI with members) for a year, without double
    counting nested territories. Dashboards and the API read only these rows."""

    scope = models.ForeignKey(
        "territories.Territory",
        on_delete=models.CASCADE,
        related_name="aggregates",
        verbose_name=_("périmètre"),
        db_index=False,  # the unique (scope, indicator, year) serves it
        # Derived rows, rewritten 200 000 at a time by the nightly recompute: a
        # database constraint would check each of them at commit (3.6 s of a national
        # run) for ids the recompute has just read from these very tables; deleting a
        # territory or an indicator still deletes its aggregates (Django cascades).
        db_constraint=False,
    )
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.CASCADE,
        related_name="aggregates",
        verbose_name=_("indicateur"),
        db_index=False,  # the index (indicator, year) serves it
        db_constraint=False,  # see scope
    )
    year = models.PositiveSmallIntegerField(_("année"))
    value = models.DecimalField(
        _("valeur"),
        max_digits=VALUE_DIGITS + 2,  # a sum of many values
        decimal_places=VALUE_DECIMALS,
        null=True,
        blank=True,
    )
    covered_population = models.PositiveBigIntegerField(_("population couverte"), default=0)
    contributors = models.PositiveIntegerField(_("territoires retenus"), default=0)
    conflicts = models.JSONField(
        _("chevauchements écartés"),
        default=list,
        blank=True,
        help_text=_(
            "Territoires écartés parce qu'ils chevauchent partiellement un territoire retenu."
        ),
    )
    computed_at = models.DateTimeField(_("calculé le"))
    is_demo = models.BooleanField(
        _("donnée de démonstration"),
        default=False,
        help_text=_("Vrai dès qu'une des valeurs additionnées est une donnée de démonstration."),
    )
    computed_from = models.JSONField(
        _("calculé à partir de"),
        default=dict,
        blank=True,
        help_text=_(
            "Territoires retenus, nombre de valeurs candidates, dernière validation prise en compte."
        ),
    )

    class Meta:
        verbose_name = _("agrégat")
        verbose_name_plural = _("agrégats")
        ordering = ["scope", "indicator", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "indicator", "year"], name="one_aggregate_per_scope_indicator_year"
            ),
        ]
        indexes = [models.Index(fields=["indicator", "year"])]

    def __str__(self):
        return f"{self.indicator.identifier} {self.scope.name} {self.year} = {self.value}"

    # What share of the scope it covers (the scope's population is on the territory:
    # select_related("scope") and a list reads it without a query per row).
    @property
    def scope_population(self) -> int | None:
        return self.scope.population

    @property
    def covered_share(self) -> Decimal | None:
        return covered_share(self.covered_population, self.scope_population)

    @property
    def is_partial(self) -> bool:
        return is_partial(self.covered_population, self.scope_population)

    @property
    def coverage_label(self) -> str:
        """What a page says next to the value: a partial aggregate is never a total."""
        covered = number(self.covered_population)
        if not self.is_partial:
            return _("Total du territoire : %(covered)s habitants, toute sa population") % {
                "covered": covered
            }
        if self.covered_share is None:
            return _(
                "Agrégat partiel : %(covered)s habitants (population du territoire inconnue) "
                "— pas le total du territoire"
            ) % {"covered": covered}
        return _(
            "Agrégat partiel : %(covered)s habitants sur %(population)s (%(share)s) — pas "
            "le total du territoire"
        ) % {
            "covered": covered,
            "population": number(self.scope_population),
            "share": percent(self.covered_share, 1),
        }


class PendingRecompute(models.Model):
    """Work recorded in the validating transaction: recompute the aggregates of this
    indicator and year above this territory. Survives a broker outage; deleted by
    the recompute that handled it."""

    territory = models.ForeignKey(
        "territories.Territory", on_delete=models.CASCADE, related_name="+"
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    # Whether the validated value replaced an earlier validated one (None: not known).
    # A replacement leaves the territory a candidate as it was: when it is not kept in
    # a scope either, that scope's aggregate stays exact and is not recomputed.
    replaced = models.BooleanField(null=True, default=None)
    # On the database's clock, once the validating transaction holds its locks (see
    # record_pending).
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("recalcul en attente")
        verbose_name_plural = _("recalculs en attente")
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.indicator_id} {self.year} ({self.territory_id})"


class RecomputeRun(models.Model):
    """One recompute: what it covered and how long it took (shown on the staff dashboard)."""

    started_at = models.DateTimeField(_("commencé le"))
    finished_at = models.DateTimeField(_("terminé le"))
    trigger = models.CharField(_("déclencheur"), max_length=20)
    indicators = models.PositiveIntegerField(_("indicateurs"), default=0)
    aggregates_written = models.PositiveIntegerField(_("agrégats écrits"), default=0)
    conflicts = models.PositiveIntegerField(_("chevauchements"), default=0)
    pending_handled = models.PositiveIntegerField(_("recalculs en attente traités"), default=0)

    class Meta:
        verbose_name = _("recalcul des agrégats")
        verbose_name_plural = _("recalculs des agrégats")
        ordering = ["-finished_at"]

    def __str__(self):
        return f"{self.trigger} {self.finished_at:%d/%m/%Y %H:%M}"


class TargetEntry(models.TextChoices):
    """How an objective (a contract's target, a regional goal) was entered; it is
    always stored as absolute numbers."""

    ABSOLUTE = "absolute", _("valeur absolue")
    PERCENT = "percent", _("évolution en %")
    DIVIDE = "divide", _("division par un facteur")


class RegionalGoalQuerySet(models.QuerySet):
    def of_region(self, region):
        return self.filter(territory=region).select_related("indicator", "territory")


class Objective(models.Model):
    """From a baseline (year, value) to a target (year, value) on one indicator — what a
    contract's ``Target`` and the region's ``RegionalGoal`` share, evaluated by the same
    trajectory maths (``indicators.trajectory.evaluate_objective``). May be entered as a
    relative change ("−60 %", "÷4"); always stored absolute."""

    baseline_year = models.PositiveSmallIntegerField(_("année de référence"))
    baseline_value = models.DecimalField(
        _("valeur de référence"), max_digits=VALUE_DIGITS, decimal_places=VALUE_DECIMALS
    )
    target_year = models.PositiveSmallIntegerField(_("année cible"))
    target_value = models.DecimalField(
        _("valeur cible"), max_digits=VALUE_DIGITS, decimal_places=VALUE_DECIMALS
    )
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

    # What ``clean`` says when the target year is not after the baseline year.
    year_order_message = _("L'année cible doit être postérieure à l'année de référence.")

    class Meta:
        abstract = True

    def __str__(self):
        return (
            f"{self.indicator.identifier} : {self.baseline_value} ({self.baseline_year}) "
            f"→ {self.target_value} ({self.target_year})"
        )

    def objective_errors(self) -> dict[str, list]:
        """The baseline and target's errors, by field: years in order, values the
        indicator accepts (``Indicator.check_value``)."""
        errors = {}
        if self.baseline_year and self.target_year and self.target_year <= self.baseline_year:
            errors["target_year"] = [self.year_order_message]
        if self.indicator_id:
            for field in ("baseline_value", "target_value"):
                value = getattr(self, field)
                if value is None:
                    continue
                try:
                    self.indicator.check_value(value)
                except ValidationError as exc:
                    errors[field] = exc.messages
        return errors


class RegionalGoal(Objective):
    """A long-term goal the region set itself (the TRI 2050 goals of the SRADDET): from
    a reference (year, value) to a goal (year, value) for one indicator. Not a contract:
    no signatories, no signing date, no progress reports — the region's own validated
    values (and its aggregates) say where it stands.

    Its reference and goal are an ``Objective``'s baseline and target."""

    territory = models.ForeignKey(
        "territories.Territory",
        on_delete=models.PROTECT,
        related_name="regional_goals",
        verbose_name=_("région"),
    )
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.PROTECT,
        related_name="regional_goals",
        verbose_name=_("indicateur"),
    )
    adopted_by = models.CharField(
        _("adopté par"),
        max_length=300,
        help_text=_("Le document qui fixe l'objectif, ex. « SRADDET Hauts-de-France (2020) »."),
    )
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)

    history = HistoricalRecords()
    objects = RegionalGoalQuerySet.as_manager()
    year_order_message = _("L'année de l'objectif doit être postérieure à l'année de référence.")

    class Meta:
        verbose_name = _("objectif régional")
        verbose_name_plural = _("objectifs régionaux")
        ordering = ["territory", "indicator__identifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["territory", "indicator"],
                name="one_regional_goal_per_indicator",
                violation_error_message=_("Cette région a déjà un objectif pour cet indicateur."),
            ),
            models.CheckConstraint(
                condition=Q(target_year__gt=F("baseline_year")),
                name="regional_goal_year_after_reference_year",
                violation_error_message=_(
                    "L'année de l'objectif doit être postérieure à l'année de référence."
                ),
            ),
            models.CheckConstraint(
                condition=Q(baseline_year__gte=YEAR_MIN, target_year__lte=YEAR_MAX),
                name="regional_goal_years_plausible",
                violation_error_message=format_lazy(
                    _("Les années doivent être comprises entre {min} et {max}."),
                    min=YEAR_MIN,
                    max=YEAR_MAX,
                ),
            ),
            models.CheckConstraint(
                condition=Q(entered_as__in=TargetEntry.values),
                name="regional_goal_entry_valid",
                violation_error_message=_("Mode de saisie de l'objectif inconnu."),
            ),
        ]

    def clean(self):
        super().clean()
        errors = {}
        if self.territory_id and self.territory.kind != TerritoryKind.REGION:
            errors["territory"] = _("Un objectif régional se fixe pour une région.")
        errors.update(self.objective_errors())
        if errors:
            raise ValidationError(errors)


class PeerStatistic(models.Model):
    """The distribution of a headline indicator's figure (per inhabitant where the unit
    calls for it) over a group of comparable territories — same peer kind, same
    population band — in one area (a region's code, or « FR » for all of France) and
    year. Written by the aggregate jobs (``indicators.peers``); only groups of at least
    ``MIN_PEERS`` territories are stored, so nothing smaller is ever published."""

    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.CASCADE,
        related_name="peer_statistics",
        verbose_name=_("indicateur"),
        db_index=False,  # the unique key starts with it
    )
    year = models.PositiveSmallIntegerField(_("année"))
    peer_kind = models.CharField(_("type de territoire"), max_length=10, choices=PeerKind.choices)
    band = models.CharField(
        _("tranche de population"),
        max_length=15,
        choices=[(band.code, band.label) for band in POPULATION_BANDS],
    )
    area = models.CharField(
        _("zone"), max_length=3, help_text=_("Code de la région, ou « FR » pour la France.")
    )
    n = models.PositiveIntegerField(_("territoires comparés"))
    q1 = models.DecimalField(
        _("1er quartile"), max_digits=VALUE_DIGITS, decimal_places=VALUE_DECIMALS
    )
    median = models.DecimalField(
        _("médiane"), max_digits=VALUE_DIGITS, decimal_places=VALUE_DECIMALS
    )
    q3 = models.DecimalField(
        _("3e quartile"), max_digits=VALUE_DIGITS, decimal_places=VALUE_DECIMALS
    )
    min = models.DecimalField(_("minimum"), max_digits=VALUE_DIGITS, decimal_places=VALUE_DECIMALS)
    max = models.DecimalField(_("maximum"), max_digits=VALUE_DIGITS, decimal_places=VALUE_DECIMALS)
    is_demo = models.BooleanField(
        _("donnée de démonstration"),
        default=False,
        help_text=_("Vrai dès qu'une des valeurs comparées est une donnée de démonstration."),
    )
    computed_at = models.DateTimeField(_("calculé le"))

    class Meta:
        verbose_name = _("statistique de comparaison")
        verbose_name_plural = _("statistiques de comparaison")
        ordering = ["indicator", "year", "area", "peer_kind", "band"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year", "peer_kind", "band", "area"],
                name="one_peer_statistic_per_group",
                violation_error_message=_(
                    "Une statistique existe déjà pour ce groupe, cet indicateur et cette année."
                ),
            ),
            models.CheckConstraint(
                condition=Q(n__gte=MIN_PEERS),
                name="peer_statistic_enough_peers",
                violation_error_message=_("Pas de statistique sur moins de 5 territoires."),
            ),
        ]

    def __str__(self):
        return f"{self.indicator_id} {self.year} {self.peer_kind} {self.band} {self.area}: {self.median}"

    @property
    def band_label(self) -> str:
        return BANDS_BY_CODE[self.band].label

    @property
    def group_label(self) -> str:
        """« communautés de communes de 20 000 à 50 000 habitants »"""
        return f"{PEER_KIND_PLURALS[self.peer_kind]} {self.band_label}"
