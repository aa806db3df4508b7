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

    def clean(self):
        super().clean()
        if errors := self.objective_errors():
            raise ValidationError(errors)
