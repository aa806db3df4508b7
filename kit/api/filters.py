"""Filters shared by several endpoints: identifiers a reuser joins on (INSEE / SIREN
codes, référentiel identifiers) and year ranges. An unknown value is a 400 with the
reason, never a silent empty answer."""

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kit.years import YEAR_MAX, YEAR_MIN

CODE_RE = re.compile(r"^(?:[0-9AB]{2,5}|\d{9})$")  # INSEE, département, région, SIREN
SIREN_RE = re.compile(r"^\d{9}$")
DEPARTEMENT_RE = re.compile(r"^(?:[0-9]{2,3}|2[AB])$")
IDENTIFIER = r"[A-Za-z0-9_.\-]+"  # an indicator of the référentiel, e.g. cae_2.a
MAX_LIST = 50
INDICATOR_LIST_RE = re.compile(rf"^\s*{IDENTIFIER}\s*(?:,\s*{IDENTIFIER}\s*){{0,{MAX_LIST - 1}}}$")
# Any other text parameter: not blank (StrictQueryMixin), no NUL (RejectNulMiddleware).
TEXT_RE = re.compile(r"^[^\u0000]*[^\s\u0000][^\u0000]*$")
INTEGER_RE = re.compile(r"-?[0-9]+")

ID_MAX = 2**63 - 1


class StrictIntegerField(forms.IntegerField):
    """A whole number written in ASCII digits only: Django's IntegerField also takes
    "12.0", " 12", "1_2" or "１２", which no OpenAPI integer describes."""

    def to_python(self, value):
        if value not in self.empty_values and not INTEGER_RE.fullmatch(str(value)):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class IdFilter(django_filters.NumberFilter):
    """An API identifier: a positive whole number (a decimal or an overflow is a 400)."""

    field_class = StrictIntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(*args, **kwargs)


class StrictBooleanField(forms.Field):
    def to_python(self, value):
        text = str(value or "").strip().lower()
        if text == "":
            return None
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise ValidationError(_("Valeur attendue : true ou false."))


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class YearFilter(django_filters.NumberFilter):
    field_class = StrictIntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", YEAR_MIN)
        kwargs.setdefault("max_value", YEAR_MAX)
        super().__init__(*args, **kwargs)


def validate_code(value):
    if not CODE_RE.match(value):
        raise ValidationError(
            _("« %(v)s » n'est pas un code officiel (INSEE, département, région ou SIREN)."),
            params={"v": value[:20]},
        )


def validate_siren(value):
    if not SIREN_RE.match(value):
        raise ValidationError(_("Un SIREN compte 9 chiffres."))


class CodeFilter(django_filters.CharFilter):
    """An official code (INSEE commune, département, région): format checked."""

    schema_pattern = CODE_RE.pattern

    def __init__(self, *args, **kwargs):
        super().__init__(*args, validators=[validate_code], **kwargs)


class SirenFilter(django_filters.CharFilter):
    schema_pattern = SIREN_RE.pattern

    def __init__(self, *args, **kwargs):
        super().__init__(*args, validators=[validate_siren], **kwargs)


def schema_constraints(filter_field) -> dict:
    """What the API enforces on a filter's value, in OpenAPI terms (see
    tri_portal.api.schema): integer bounds, and for text a pattern (not blank, no NUL,
    or the filter's own format) and a maximum length."""
    field = filter_field.field
    if isinstance(field, forms.IntegerField):
        bounds = {"minimum": field.min_value, "maximum": field.max_value}
        return {"type": "integer", **{k: v for k, v in bounds.items() if v is not None}}
    if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
        return {}  # an enum
    if isinstance(field, (forms.CharField, forms.ModelChoiceField)):
        schema = {
            "minLength": 1,
            "pattern": getattr(filter_field, "schema_pattern", TEXT_RE.pattern),
        }
        if getattr(field, "max_length", None):
            schema["maxLength"] = field.max_length
        return schema
    return {}
