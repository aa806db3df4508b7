"""Serializer fields and the model serializer of the API: decimals written plainly,
numbers accepted as typed."""

from datetime import datetime
from decimal import Decimal

from django.db import models
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kit.api import exports

NUMBER_TEXT_MAX = 40


@extend_schema_field(
    {
        "anyOf": [
            # Digits, spaces, one sign, a decimal point or comma, an exponent: the
            # characters of a number (its bounds and precision depend on the indicator).
            {"type": "string", "pattern": r"^[\s\d_+\-.,eE]*$", "maxLength": NUMBER_TEXT_MAX},
            {"type": "number"},
        ]
    }
)
class NumberTextField(serializers.CharField):
    """A number as typed ("1 234,5") or as a JSON number; blank or null clears. The
    indicator's ``check_value`` reads it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", NUMBER_TEXT_MAX)
        super().__init__(**kwargs)


class PlainDecimalField(serializers.DecimalField):
    """Decimals as strings without trailing zeros: ``"1234.5"``, never ``1.2345E+3``."""

    def to_representation(self, value):
        if value is None:
            return None
        return exports.plain_decimal(exports.rounded(Decimal(value), self.decimal_places))


class ApiModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DecimalField: PlainDecimalField,
    }


class RowKeyField(serializers.PrimaryKeyRelatedField):
    """A foreign key read from a row of ``.values()`` (a dict, no model instance): the
    column holds the related object's id, written as it is."""

    def use_pk_only_optimization(self):
        return False

    def to_representation(self, value):
        return value


def iso_datetime(value: datetime | None) -> str | None:
    """An aware datetime as DRF's DateTimeField writes it: ISO 8601 in the current time
    zone, "Z" for UTC."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
