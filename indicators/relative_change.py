"""Objectives entered as a relative change ("−60 %", "÷4"): parsed, turned into
absolute values, and written back (contract targets and the region's 2050 goals)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from indicators.models import VALUE_QUANTUM


def parse_relative_change(text: str) -> tuple[str, Decimal]:
    """``"−60 %"`` → ("percent", −60); ``"÷4"`` or ``"/4"`` → ("divide", 4);
    ``"+30 %"`` → ("percent", 30)."""
    cleaned = (text or "").strip().replace("\u2212", "-").replace(" ", "").replace("\u202f", "")
    cleaned = cleaned.replace(",", ".")
    try:
        if cleaned[:1] in ("÷", "/"):
            factor = Decimal(cleaned[1:])
            if not factor.is_finite() or factor <= 0:
                raise ValueError
            return "divide", factor
        if cleaned.endswith("%"):
            percent = Decimal(cleaned[:-1])
            if not percent.is_finite() or percent < -100:
                raise ValueError
            return "percent", percent
    except (ArithmeticError, ValueError, IndexError):
        pass
    raise ValidationError(
        _(
            "Évolution relative illisible : « %(text)s » (exemples : « −60 %% », « +30 %% », « ÷4 »)."
        )
        % {"text": text}
    )


def target_from_relative(baseline: Decimal, kind: str, amount: Decimal) -> Decimal:
    """Absolute target value for a relative change from a non-zero baseline."""
    if baseline == 0:
        raise ValidationError(
            _(
                "Un objectif relatif (en % ou ÷) est impossible sur une valeur de référence nulle : saisissez une valeur cible absolue."
            )
        )
    value = baseline / amount if kind == "divide" else baseline * (1 + amount / 100)
    return value.quantize(VALUE_QUANTUM)


def format_relative_change(kind: str, amount: Decimal) -> str:
    """The text form of a relative change, as parse_relative_change reads it back."""
    if kind == "divide":
        return f"÷{amount.normalize():f}"
    sign = "+" if amount > 0 else "−" if amount < 0 else ""
    return f"{sign}{abs(amount).normalize():f} %"
