"""Targets (*objectifs chiffrés*) of a contract."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contracts.models.contracts import Contract
from indicators.models import Objective, TargetEntry  # noqa: F401 (re-exported)


class Target(Objective):
    """An *objectif chiffré* of a contract (its baseline and target: ``Objective``)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="targets")
    indicator = models.ForeignKey(
        "indicators.Indicator",
        on_delete=models.PROTECT,
        related_name="targets",
        verbose_name=_("indicateur"),
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
