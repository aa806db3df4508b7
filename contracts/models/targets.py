"""Targets (*objectifs chiffrés*) of a contract."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contracts.models.contracts import Contract
from indicators.models import VALUE_DECIMALS, VALUE_DIGITS, TargetEntry


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
