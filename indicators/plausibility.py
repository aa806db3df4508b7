"""Plausibility of a reported value against the previous validated one: the one home
of the rule. The bounds live in the catalogue (``Indicator.max_change_percent``,
``Indicator.is_cumulative``, editable in the admin); a value found implausible needs a
justification before its report is submitted, and the reviewer sees the finding."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kit.templatetags.tri_format import change_percent


class FindingKind(models.TextChoices):
    ZERO_AFTER_VALUE = "zero_after_value", gettext_lazy("zéro après une valeur")
    CUMULATIVE_DECREASE = "cumulative_decrease", gettext_lazy("baisse d'un cumul")
    CHANGE_BEYOND_BOUND = "change_beyond_bound", gettext_lazy("variation hors borne")


@dataclass(frozen=True)
class Finding:
    kind: str  # a FindingKind
    change: Decimal | None  # relative change in % (None when the previous value was 0)
    previous_year: int | None
    message: str


def relative_change(previous: Decimal | None, value: Decimal | None) -> Decimal | None:
    """The change from ``previous`` to ``value`` in % (None without a non-zero base)."""
    if previous is None or value is None or previous == 0:
        return None
    return (Decimal(value) - Decimal(previous)) / abs(Decimal(previous)) * 100


def format_change(change: Decimal | None) -> str:
    """A change in % as French text with its sign: ``+9 900 %``, ``−35 %`` (— if none)."""
    return change_percent(change)


def check_plausibility(
    indicator, previous: Decimal | None, value: Decimal | None, previous_year: int | None = None
) -> Finding | None:
    """The finding on ``value`` of ``indicator`` given the ``previous`` validated value
    (of ``previous_year``), or None when it is plausible or there is nothing to compare."""
    if previous is None or value is None:
        return None
    previous, value = Decimal(previous), Decimal(value)
    change = relative_change(previous, value)
    since = (
        _("par rapport à %(year)s") % {"year": previous_year}
        if previous_year
        else _("par rapport à la valeur validée précédente")
    )
    if value == 0 and previous != 0:
        return Finding(
            FindingKind.ZERO_AFTER_VALUE,
            change,
            previous_year,
            _("zéro alors qu'une valeur était validée (%(since)s), justification requise")
            % {"since": since},
        )
    if indicator.is_cumulative and value < previous:
        return Finding(
            FindingKind.CUMULATIVE_DECREASE,
            change,
            previous_year,
            _("%(change)s %(since)s : un cumul ne baisse pas, justification requise")
            % {"change": format_change(change), "since": since},
        )
    bound = indicator.max_change_percent
    if bound is not None and change is not None and abs(change) > bound:
        return Finding(
            FindingKind.CHANGE_BEYOND_BOUND,
            change,
            previous_year,
            _("%(change)s %(since)s (au-delà de ±%(bound)s %%), justification requise")
            % {"change": format_change(change), "since": since, "bound": bound},
        )
    return None
