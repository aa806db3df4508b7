"""French number formatting for templates: ``1 234,5`` and ``12,3 %``."""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def number(value, decimals=0):
    """A number with French grouping and ``decimals`` decimal places (— if missing)."""
    if value is None or value == "":
        return "—"
    quantum = Decimal(1).scaleb(-int(decimals))
    rounded = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    return number_format(rounded, int(decimals), force_grouping=True)


@register.filter
def measure(value, indicator):
    """A value of ``indicator`` at the indicator's precision (its ``decimals``: a count
    of dwellings or charge points has none, GWh one) — the one way pages show a value."""
    return number(value, indicator.decimals)


@register.filter
def percent(fraction, decimals=0):
    """A fraction (0.123) as a percentage (``12 %``)."""
    if fraction is None or fraction == "":
        return "—"
    return f"{number(Decimal(str(fraction)) * 100, decimals)}\u00a0%"


MINUS = "\u2212"


def _signed(rounded: Decimal, places: int) -> str:
    """``rounded`` in French with an explicit sign (the typographic minus)."""
    sign = MINUS if rounded < 0 else "+" if rounded > 0 else ""
    return f"{sign}{number_format(abs(rounded), places, force_grouping=True)}"


@register.filter
def change_percent(value):
    """A change in % (``9900``) as French text with its sign, to the unit (``+9 900 %``,
    ``−35 %``; — if missing)."""
    if value is None or value == "":
        return "—"
    rounded = Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{_signed(rounded, 0)}\u00a0%"


@register.filter
def pace(value):
    """A pace in % per year (``-1.657459``) as French text: at most two decimals,
    trailing zeros dropped, an explicit sign (``−1,66 %/an``, ``+15 %/an``; — if
    missing)."""
    if value is None or value == "":
        return "—"
    rounded = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    places = max(0, -rounded.normalize().as_tuple().exponent)
    return f"{_signed(rounded, places)}\u00a0%/an"
