"""The contracts' share of the regional effort, materialised per scope (written by
``contracts.effort`` through ``contracts.stats.refresh_contract_stats``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from indicators.models import VALUE_DECIMALS, VALUE_DIGITS, covered_share

# The fixed horizon of the share of effort, besides the end of the active contracts.
EFFORT_FIXED_HORIZON = 2030


class EffortHorizon(models.TextChoices):
    CONTRACTS_END = "contracts_end", _("fin des contrats en cours")
    FIXED_YEAR = "fixed_year", _("année fixe")


class EffortShare(models.Model):
    """What the active contracts of a scope commit to on a headline indicator by a
    horizon (``committed_change``), against what the regional path requires of the whole
    scope over the same years (``required_change``, None when it cannot be computed
    without a partial figure), and the share of it they cover. See ``contracts.effort``
    for the rule."""

    scope = models.ForeignKey(
        "territories.Territory",
        on_delete=models.CASCADE,
        related_name="effort_shares",
        verbose_name=_("périmètre"),
    )
    indicator = models.ForeignKey(
        "indicators.Indicator",
        on_delete=models.CASCADE,
        related_name="effort_shares",
        verbose_name=_("indicateur"),
    )
    horizon_kind = models.CharField(
        _("type d'échéance"), max_length=20, choices=EffortHorizon.choices
    )
    horizon_year = models.PositiveSmallIntegerField(_("échéance"))
    start_year = models.PositiveSmallIntegerField(
        _("année de départ"),
        help_text=_("La plus ancienne année de référence des objectifs comptés."),
    )
    committed_change = models.DecimalField(
        _("évolution engagée par les contrats"),
        max_digits=VALUE_DIGITS + 2,
        decimal_places=VALUE_DECIMALS,
    )
    required_change = models.DecimalField(
        _("évolution demandée par la trajectoire régionale"),
        max_digits=VALUE_DIGITS + 2,
        decimal_places=VALUE_DECIMALS,
        null=True,
        blank=True,
        help_text=_("Vide quand il faudrait un agrégat partiel pour la calculer."),
    )
    share = models.DecimalField(
        _("part couverte par les contrats"),
        max_digits=18,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("Évolution engagée / évolution demandée (1 : 100 %)."),
    )
    covered_population = models.PositiveBigIntegerField(
        _("population des territoires comptés"), default=0
    )
    scope_population = models.PositiveBigIntegerField(_("population du périmètre"), default=0)
    targets_counted = models.PositiveIntegerField(_("objectifs comptés"), default=0)
    targets_skipped = models.PositiveIntegerField(
        _("objectifs déjà comptés"),
        default=0,
        help_text=_("Objectifs d'un territoire inclus dans celui d'un objectif compté."),
    )
    conflicts = models.JSONField(
        _("chevauchements écartés"),
        default=list,
        blank=True,
        help_text=_("Références des contrats dont le territoire chevauche partiellement un autre."),
    )
    is_demo = models.BooleanField(_("donnée de démonstration"), default=False)
    computed_at = models.DateTimeField(_("calculé le"))

    class Meta:
        verbose_name = _("part de l'effort régional")
        verbose_name_plural = _("parts de l'effort régional")
        ordering = ["scope", "indicator", "horizon_kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "indicator", "horizon_kind"],
                name="one_effort_share_per_scope_indicator_horizon",
                violation_error_message=_(
                    "Ce périmètre a déjà une part de l'effort pour cet indicateur et cette échéance."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.scope_id} {self.indicator_id} {self.horizon_year}"

    @property
    def covered_share(self):
        """Share (0 to 1) of the scope's population the counted targets cover."""
        return covered_share(self.covered_population, self.scope_population)
