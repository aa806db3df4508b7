"""API filters on the indicator catalogue: a list of référentiel identifiers, each of
which must be known (an unknown one is a 400 with the reason)."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from indicators.models import Indicator
from kit.api.filters import INDICATOR_LIST_RE, MAX_LIST
from kit.cache import versioned_value


def indicator_ids(identifiers: list[str]) -> dict[str, int]:
    """Identifier → id of those of ``identifiers`` in the catalogue: from the catalogue
    kept for the data version (no query), the database confirming any it lacks."""
    catalogue = versioned_value(
        "tri:indicator-ids", lambda: dict(Indicator.objects.values_list("identifier", "pk"))
    )
    known = {i: catalogue[i] for i in identifiers if i in catalogue}
    missing = [i for i in identifiers if i not in known]
    if missing:
        known.update(
            Indicator.objects.filter(identifier__in=missing).values_list("identifier", "pk")
        )
    return known


class IndicatorListField(forms.CharField):
    """``cae_2.a`` or ``cae_2.a,cae_1.a``: every identifier must be in the catalogue."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return []
        parts = [part.strip() for part in value.split(",")]
        if len(parts) > MAX_LIST:
            raise ValidationError(_("Au plus %(n)s indicateurs à la fois."), params={"n": MAX_LIST})
        if "" in parts:
            raise ValidationError(_("Identifiant vide : séparez les identifiants par une virgule."))
        identifiers = list(dict.fromkeys(parts))
        known = indicator_ids(identifiers)
        unknown = [i for i in identifiers if i not in known]
        if unknown:
            raise ValidationError(
                _("Indicateur inconnu : %(ids)s (voir /api/v1/indicators/)."),
                params={"ids": ", ".join(i[:60] for i in unknown)},
            )
        return [known[i] for i in identifiers]


@extend_schema_field(OpenApiTypes.STR)
class IndicatorListFilter(django_filters.Filter):
    field_class = IndicatorListField
    schema_pattern = INDICATOR_LIST_RE.pattern

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}_id__in": value})
