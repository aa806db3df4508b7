"""The alignment thresholds for the pages that explain them (the legend on contract
pages, the method page), read from their one home ``indicators.alignment``."""

from django import template
from django.conf import settings
from django.utils.formats import number_format

from indicators.alignment import ALIGNED_RATIO, BEYOND_RATIO

register = template.Library()


def _ratio(value) -> str:
    places = max(0, -value.normalize().as_tuple().exponent)
    return number_format(value, places)


@register.simple_tag
def alignment_thresholds() -> dict[str, str]:
    """``{"aligned": "1", "beyond": "1,5", "reference_year": "2012"}``: from which ratio
    of the committed pace to the required pace a target is aligned, and beyond the
    path; the reference year of the regional path."""
    return {
        "aligned": _ratio(ALIGNED_RATIO),
        "beyond": _ratio(BEYOND_RATIO),
        "reference_year": str(settings.TRI_REFERENCE_YEAR),
    }
