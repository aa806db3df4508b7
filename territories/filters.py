"""API filters selecting rows by territory: by id, official code, SIREN, kind, or the
département they lie in (through the closure table)."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from kit.api.filters import DEPARTEMENT_RE, CodeFilter, IdFilter, SirenFilter
from territories.models import Territory, TerritoryKind


class DepartementField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        departement = Territory.objects.filter(kind=TerritoryKind.DEPARTEMENT, code=value).first()
        if departement is None:
            raise ValidationError(_("Département inconnu : « %(v)s »."), params={"v": value[:20]})
        return departement


@extend_schema_field(OpenApiTypes.STR)
class DepartementFilter(django_filters.Filter):
    """Rows whose territory lies in a département (by its code), through the closure
    table. ``field_name`` is the path to the territory ("" for territories)."""

    field_class = DepartementField
    schema_pattern = DEPARTEMENT_RE.pattern

    def filter(self, qs, value):
        if value is None:
            return qs
        prefix = f"{self.field_name}__" if self.field_name else ""
        return qs.filter(**{f"{prefix}ancestor_links__ancestor": value})


def territory_filters(prefix: str):
    """The filters selecting the territory of a row (value, contract, aggregate)."""
    return {
        f"{prefix}": IdFilter(
            field_name=prefix, help_text=_("Identifiant du territoire dans l'API.")
        ),
        f"{prefix}_code": CodeFilter(
            field_name=f"{prefix}__code",
            help_text=_("Code officiel du territoire : INSEE (commune), département, région."),
        ),
        f"{prefix}_siren": SirenFilter(
            field_name=f"{prefix}__siren",
            help_text=_("SIREN du territoire (EPCI, syndicat, commune)."),
        ),
        f"{prefix}_kind": django_filters.ChoiceFilter(
            field_name=f"{prefix}__kind",
            choices=TerritoryKind.choices,
            help_text=_("Type de territoire."),
        ),
    }
