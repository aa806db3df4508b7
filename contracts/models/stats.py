"""Materialised contract figures of a scope (written by ``contracts.stats``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
