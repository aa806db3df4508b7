"""Targets (*objectifs chiffrés*) of a contract."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contracts.models.contracts import Contract, ContractStatus
from indicators.models import VALUE_DECIMALS, VALUE_DIGITS, Objective, TargetEntry  # noqa: F401

SIGNED_TARGET_MESSAGE = _(
    "Le contrat est signé : ses objectifs ne se modifient plus que par un avenant."
)


# What makes a target: frozen once its contract is signed (amendments change them).
AMENDED_FIELDS = (
    "indicator_id",
    "baseline_year",
    "baseline_value",
    "target_year",
    "target_value",
)


class TargetAlignment(models.TextChoices):
    """A target against the regional 2050 path (``indicators.alignment``): the same
    values as ``indicators.alignment.Alignment``, blank when there is no path."""

    ALIGNED = "aligned", _("alignée sur la trajectoire")
    BELOW = "below", _("en deçà de la trajectoire")
    BEYOND = "beyond", _("au-delà de la trajectoire")
    NONE = "", _("pas de trajectoire régionale")


# The labels a target can be judged by, and those short of the path (the staff list).
JUDGED_ALIGNMENTS = (TargetAlignment.ALIGNED, TargetAlignment.BELOW, TargetAlignment.BEYOND)
SHORT_OF_PATH_ALIGNMENTS = (TargetAlignment.BELOW,)
# The filter value (API, contract list) for targets without a label.
NO_ALIGNMENT_FILTER = "none"
# Computed figures, left out of the audit history (they follow the target and the goals).
ALIGNMENT_FIELDS = [
    "alignment",
    "committed_pace",
    "required_pace",
    "alignment_gap",
    "alignment_computed_at",
]


def alignment_filter_value(value: str) -> str | None:
    """The stored ``alignment`` for a filter value (``aligned``, ``below``, ``beyond``,
    ``none``); ``None`` if it is none of them."""
    if value == NO_ALIGNMENT_FILTER:
        return TargetAlignment.NONE
    return value if value in JUDGED_ALIGNMENTS else None


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
    # The territory's validated value of the baseline year when the target was entered
    # (``contracts.life.validated_baseline``): a baseline typed otherwise is flagged.
    validated_baseline_value = models.DecimalField(
        _("valeur validée de l'année de référence"),
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_DECIMALS,
        null=True,
        blank=True,
        editable=False,
    )

    # Against the regional 2050 path: written by contracts.alignment.refresh_alignments
    # only (in the aggregate jobs), never on page view.
    alignment = models.CharField(
        _("alignement sur la trajectoire régionale"),
        max_length=10,
        choices=TargetAlignment.choices,
        blank=True,
        default=TargetAlignment.NONE,
    )
    committed_pace = models.DecimalField(
        _("rythme engagé (%/an)"),
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_DECIMALS,
        null=True,
        blank=True,
        help_text=_("Évolution relative simple par an, de la référence à la cible, en %."),
    )
    required_pace = models.DecimalField(
        _("rythme requis (%/an)"),
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_DECIMALS,
        null=True,
        blank=True,
        help_text=_("Celui de la trajectoire régionale 2050 sur les mêmes années, en %."),
    )
    alignment_gap = models.DecimalField(
        _("écart à la trajectoire"),
        max_digits=VALUE_DIGITS,
        decimal_places=VALUE_DECIMALS,
        null=True,
        blank=True,
        help_text=_(
            "Ce qui manque à l'objectif pour suivre la trajectoire régionale sur ses "
            "années, dans l'unité de l'indicateur (négatif : en avance)."
        ),
    )
    alignment_computed_at = models.DateTimeField(_("alignement calculé le"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=ALIGNMENT_FIELDS)

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
        if self.contract_id and self.contract.status != ContractStatus.DRAFT:
            raise ValidationError(SIGNED_TARGET_MESSAGE)
        if errors := self.objective_errors():
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        """Refuses to change a signed contract's target in place (only
        ``contracts.services.record_amendment`` does, setting ``_amending``)."""
        if self.pk and not getattr(self, "_amending", False):
            before = (
                Target.objects.filter(pk=self.pk)
                .exclude(contract__status=ContractStatus.DRAFT)
                .values_list(*AMENDED_FIELDS)
                .first()
            )
            if before is not None and before != tuple(
                getattr(self, name) for name in AMENDED_FIELDS
            ):
                raise ValidationError(SIGNED_TARGET_MESSAGE)
        super().save(*args, **kwargs)

    @property
    def baseline_differs(self) -> bool:
        """Whether the baseline differs from the validated value of its year."""
        return (
            self.validated_baseline_value is not None
            and self.baseline_value is not None
            and self.validated_baseline_value != self.baseline_value
        )
