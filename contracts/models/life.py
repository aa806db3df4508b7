"""A contract's life after signing: its amendments (*avenants*) and their changes,
and its final evaluation (a verdict per target in force at its end)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contracts.models.contracts import Contract
from contracts.models.targets import Target
from indicators.models import VALUE_DECIMALS, VALUE_DIGITS


class Amendment(models.Model):
    """An *avenant*: signed on a date, in force from ``effective_year`` on (the progress
    of earlier years keeps the targets as they were), with its changes."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="amendments")
    number = models.PositiveSmallIntegerField(_("numéro"))
    signed_on = models.DateField(_("signé le"))
    effective_year = models.PositiveSmallIntegerField(_("en vigueur à partir de l'année"))
    reason = models.TextField(_("motif"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("enregistré par"),
    )
    recorded_at = models.DateTimeField(_("enregistré le"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("avenant")
        verbose_name_plural = _("avenants")
        ordering = ["contract", "effective_year", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "number"],
                name="one_amendment_number_per_contract",
                violation_error_message=_("Ce contrat a déjà un avenant portant ce numéro."),
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1),
                name="amendment_number_positive",
                violation_error_message=_("Le numéro d'un avenant est un entier positif."),
            ),
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="amendment_has_reason",
                violation_error_message=_("Un avenant doit être motivé."),
            ),
        ]

    def __str__(self):
        return _("Avenant n° %(number)s") % {"number": self.number}


class AmendmentChangeKind(models.TextChoices):
    CHANGE_TARGET = "change_target", _("objectif modifié")
    ADD_TARGET = "add_target", _("objectif ajouté")
    REMOVE_TARGET = "remove_target", _("objectif retiré")
    CHANGE_END_DATE = "change_end_date", _("date de fin modifiée")


# The kinds that concern a target (the others, the contract itself).
TARGET_CHANGE_KINDS = (
    AmendmentChangeKind.CHANGE_TARGET,
    AmendmentChangeKind.ADD_TARGET,
    AmendmentChangeKind.REMOVE_TARGET,
)


def _value_field(label):
    return models.DecimalField(
        label, max_digits=VALUE_DIGITS, decimal_places=VALUE_DECIMALS, null=True, blank=True
    )


class AmendmentChange(models.Model):
    """One change an amendment makes, with the values before and after: the target rows
    hold the targets as last amended, these rows say what they were before (so the
    original targets and those in force in any year are derived from them,
    ``contracts.life.targets_in_force``)."""

    amendment = models.ForeignKey(Amendment, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("nature"), max_length=16, choices=AmendmentChangeKind.choices)
    # The target's id: kept after a removal deletes its row (so every change of one
    # target, before and after, is found by it).
    target_ref = models.PositiveIntegerField(_("objectif n°"), null=True, blank=True)
    # What the target was (and is) on, kept after a removal deletes the target row.
    indicator = models.ForeignKey(
        "indicators.Indicator",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("indicateur"),
    )
    baseline_year = models.PositiveSmallIntegerField(_("année de référence"), null=True, blank=True)
    baseline_value = _value_field(_("valeur de référence"))
    old_target_year = models.PositiveSmallIntegerField(_("ancienne année cible"), null=True)
    old_target_value = _value_field(_("ancienne valeur cible"))
    new_target_year = models.PositiveSmallIntegerField(_("nouvelle année cible"), null=True)
    new_target_value = _value_field(_("nouvelle valeur cible"))
    old_end_date = models.DateField(_("ancienne date de fin"), null=True, blank=True)
    new_end_date = models.DateField(_("nouvelle date de fin"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("modification d'un avenant")
        verbose_name_plural = _("modifications d'un avenant")
        ordering = ["amendment", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AmendmentChangeKind.values),
                name="amendment_change_kind_valid",
                violation_error_message=_("Nature de modification inconnue."),
            ),
            models.CheckConstraint(
                condition=~Q(kind="change_end_date")
                | Q(old_end_date__isnull=False, new_end_date__isnull=False),
                name="amendment_end_date_change_has_dates",
                violation_error_message=_(
                    "Une modification de la date de fin en donne l'ancienne et la nouvelle."
                ),
            ),
        ]

    def __str__(self):
        return self.get_kind_display()


class Verdict(models.TextChoices):
    MET = "met", _("atteint")
    PARTLY_MET = "partly_met", _("partiellement atteint")
    NOT_MET = "not_met", _("non atteint")


class FinalEvaluation(models.Model):
    """The evaluation a contract is completed with: a written assessment and a verdict
    per target in force at its end."""

    contract = models.OneToOneField(
        Contract, on_delete=models.CASCADE, related_name="final_evaluation"
    )
    assessment = models.TextField(_("bilan"))
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("évalué par"),
    )
    evaluated_at = models.DateTimeField(_("évalué le"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("évaluation finale")
        verbose_name_plural = _("évaluations finales")
        constraints = [
            models.CheckConstraint(
                condition=~Q(assessment=""),
                name="final_evaluation_has_assessment",
                violation_error_message=_("L'évaluation finale doit comporter un bilan écrit."),
            ),
        ]

    def __str__(self):
        return _("Évaluation finale de %(contract)s") % {"contract": self.contract.reference}


class TargetVerdict(models.Model):
    """Whether one target in force at the contract's end was met, on the last validated
    value up to the end year (``value``), computed; staff may override it with a
    comment."""

    evaluation = models.ForeignKey(
        FinalEvaluation, on_delete=models.CASCADE, related_name="verdicts"
    )
    target = models.ForeignKey(
        Target, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("objectif")
    )
    indicator = models.ForeignKey(
        "indicators.Indicator",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("indicateur"),
    )
    baseline_year = models.PositiveSmallIntegerField(_("année de référence"))
    baseline_value = _value_field(_("valeur de référence"))
    target_year = models.PositiveSmallIntegerField(_("année cible"))
    target_value = _value_field(_("valeur cible"))
    value_year = models.PositiveSmallIntegerField(_("année de la valeur"), null=True, blank=True)
    value = _value_field(_("valeur à la fin du contrat"))
    computed_verdict = models.CharField(
        _("verdict calculé"), max_length=12, choices=Verdict.choices
    )
    verdict = models.CharField(_("verdict"), max_length=12, choices=Verdict.choices)
    comment = models.TextField(_("commentaire"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("verdict sur un objectif")
        verbose_name_plural = _("verdicts sur les objectifs")
        ordering = ["evaluation", "indicator__identifier", "target_year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(verdict=F("computed_verdict")) | ~Q(comment=""),
                name="overridden_verdict_has_comment",
                violation_error_message=_(
                    "Un verdict différent du verdict calculé doit être commenté."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.indicator.identifier} : {self.get_verdict_display()}"

    @property
    def overridden(self) -> bool:
        return self.verdict != self.computed_verdict
