"""Pagination, throttling, error format and strict query parameters shared by every
endpoint of the API."""

import hashlib
import re
from datetime import datetime
from decimal import Decimal
from functools import cache, partial

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.db import connections, models
from django.http import Http404
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import ISO_8601, exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.relations import PKOnlyObject, PrimaryKeyRelatedField, RelatedField
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from kit.api import exports, parsers
from kit.cache import versioned_value

# Codes of the service errors that mean "the object is not in a state that allows
# this" (HTTP 409) rather than "your input is wrong" (HTTP 400).
CONFLICT_CODES = {"not_editable", "invalid_transition", "stale"}
COMMON_PARAMETERS = {"page", "page_size"}
WHOLE_NUMBER_RE = re.compile(r"[0-9]+")


def _whole_number(raw: str) -> int | None:
    """``raw`` as a whole number if it is written in ASCII digits (not "²", "１" or
    " 1", which ``int`` or ``str.isdigit`` would take), else None."""
    if not WHOLE_NUMBER_RE.fullmatch(raw):
        return None
    digits = raw.lstrip("0")
    return int(digits[:20] or "0")  # 20 digits are past any bound: no 5 000-digit int


class PagePagination(PageNumberPagination):
    """``page`` and ``page_size``: a value that is not a whole number in range is a
    400 on that parameter (not a silent default, not a 404). The schema declares the
    same bounds."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000
    last_page_strings = ()  # ``page=last`` is not a number

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        number = _whole_number(raw)
        if number is None or not 1 <= number <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("Nombre entier de 1 à %(max)s attendu.") % {"max": self.max_page_size}
                    ]
                }
            )
        return number

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        number = _whole_number(raw)
        if number is None or number < 1:
            raise exceptions.ValidationError(
                {self.page_query_param: [_("Nombre entier à partir de 1 attendu.")]}
            )
        return number

    def check_parameters(self, request) -> None:
        """Refuse a malformed ``page`` or ``page_size`` where no page is cut (the
        exports): the schema declares them for the whole operation."""
        self.get_page_size(request)
        self.get_page_number(request, None)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.page_query_param: {"minimum": 1},
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        }
        for parameter in parameters:
            parameter["schema"] = {"type": "integer", **bounds[parameter["name"]]}
        return parameters

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound as exc:
            raise exceptions.ValidationError(
                {
                    self.page_query_param: [
                        _("Page inexistante : %(reason)s") % {"reason": exc.detail}
                    ]
                }
            ) from exc


class PublicDataPaginator(Paginator):
    """A paginator whose row count is cached on the public data version: counting
    hundreds of thousands of values costs more than reading a page of them. Only for
    lists of public data, whose every change bumps the version (tri_portal.receivers,
    the validation and recompute signals). ``count_key`` names what is counted; by
    default, the query itself."""

    def __init__(self, *args, count_key: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_key = count_key

    def _count_key(self) -> str:
        queryset = self.object_list
        if self.count_key is None:
            sql, params = queryset.query.sql_with_params()
            text = f"{sql}:{params!r}"
        else:
            text = self.count_key
        text = f"{connections[queryset.db].settings_dict['NAME']}:{text}"
        return f"tri:count:{hashlib.sha256(text.encode()).hexdigest()[:32]}"

    @cached_property
    def count(self):
        return versioned_value(self._count_key(), lambda: super(PublicDataPaginator, self).count)

    def page(self, number):
        """A full page even if the count were behind the rows (a bulk write that did
        not bump the data version): the count bounds the page numbers, not the rows."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)


class PublicDataPagination(PagePagination):
    """``PagePagination`` for lists of public data whose rows depend on nothing but the
    query parameters (not on the user): the row count is cached per endpoint and
    parameters (see PublicDataPaginator), without compiling the query to name it."""

    def paginate_queryset(self, queryset, request, view=None):
        skipped = {self.page_query_param, self.page_size_query_param}
        params = sorted(
            (name, values) for name, values in request.query_params.lists() if name not in skipped
        )
        endpoint = f"{type(view).__module__}.{type(view).__qualname__}" if view else ""
        self.django_paginator_class = partial(
            PublicDataPaginator, count_key=f"{endpoint}:{params!r}"
        )
        return super().paginate_queryset(queryset, request, view)


def _same(value):
    return value


def _datetime_converter(field, zone):
    """DateTimeField.to_representation of an aware datetime in ISO 8601, the current
    time zone looked up once per page instead of once per value."""

    def convert(value):
        if type(value) is datetime and value.tzinfo is not None:
            try:
                text = value.astimezone(zone).isoformat()
            except OverflowError:
                return field.to_representation(value)  # DRF's own error
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return field.to_representation(value)

    return convert


def _converter(field, zone):
    """A function giving ``field.to_representation`` of a raw column value: the plain
    fields' own conversion without the method call, the others' method."""
    kind = type(field)
    if kind is serializers.CharField:
        return str  # CharField.to_representation is str(value)
    if kind is serializers.IntegerField:
        return int
    if kind is PrimaryKeyRelatedField and field.pk_field is None:
        return _same  # the related object's pk: the column itself
    if isinstance(field, RelatedField):
        return lambda value: field.to_representation(PKOnlyObject(value))
    if (
        kind is serializers.DateTimeField
        and zone is not None
        and not hasattr(field, "timezone")
        and str(getattr(field, "format", api_settings.DATETIME_FORMAT)).lower() == ISO_8601
    ):
        return _datetime_converter(field, zone)
    return field.to_representation


@cache
def _readable_fields(serializer_class) -> tuple:
    return tuple(serializer_class()._readable_fields)


def flat_representation(serializer_class, rows, sources) -> list[dict]:
    """What ``serializer_class(many=True).data`` gives for the instances behind ``rows``
    (tuples of ``values_list(*sources)``, one source per readable field, in order),
    without building model instances: each field's conversion on each value."""
    fields = _readable_fields(serializer_class)
    if len(fields) != len(sources):
        raise ValueError(f"{serializer_class.__name__}: one source per field expected")
    names = [field.field_name for field in fields]
    zone = timezone.get_current_timezone() if settings.USE_TZ else None
    converters = [_converter(field, zone) for field in fields]
    return [
        dict(
            zip(
                names,
                [
                    None if value is None else convert(value)
                    for convert, value in zip(converters, row, strict=True)
                ],
                strict=True,
            )
        )
        for row in rows
    ]


class FlatListMixin:
    """JSON list pages read with ``values_list`` (a tuple per row, no model instance)
    and written by the serializer's own fields: the same JSON as the serializer, at a
    fraction of the cost. ``flat_sources``: the ORM path of each readable field of the
    serializer, in the serializer's order."""

    flat_sources: tuple[str, ...] = ()

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset()).values_list(*self.flat_sources)
        page = self.paginate_queryset(queryset)
        rows = flat_representation(
            self.get_serializer_class(), queryset if page is None else page, self.flat_sources
        )
        return self.get_paginated_response(rows) if page is not None else Response(rows)


class StaticFormFilterSetMixin:
    """A FilterSet whose form class is built once per FilterSet class: django-filter
    builds a new form class, and each of its fields, at every request. Only for filters
    whose form fields depend on nothing but the class (no queryset computed from the
    request)."""

    def get_form_class(self):
        owner = type(self)
        form_class = owner.__dict__.get("_static_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            owner._static_form_class = form_class
        return form_class


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflit avec l'état actuel de la ressource."
    default_code = "conflict"


class ErrorSerializer(serializers.Serializer):
    """Every error answer: a French message, and the messages of each invalid field
    or parameter for a 400."""

    detail = serializers.CharField(help_text="Message d'erreur en français.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages par champ ou paramètre (réponses 400 et 409).",
    )


def _flatten(data, prefix="") -> dict[str, list[str]]:
    """DRF's nested error structure as ``{"field" | "values.0.value": [messages]}``."""
    if isinstance(data, dict):
        flat = {}
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(data, list) and data and all(isinstance(item, str) for item in data):
        return {prefix or "non_field_errors": [str(item) for item in data]}
    if isinstance(data, list):
        flat = {}
        for index, item in enumerate(data):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "non_field_errors": [str(data)]}


def _detail(exc: DjangoValidationError) -> dict:
    return exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}


def as_conflict(exc: DjangoValidationError) -> Conflict:
    """A service's refusal as a 409: for an action that takes no input (submit a
    report…), only the state of the resource can be the reason."""
    conflict = Conflict(" ".join(exc.messages))
    conflict.errors = _flatten(_detail(exc))
    return conflict


def _from_django(exc: DjangoValidationError) -> exceptions.APIException:
    codes = {error.code for error in exc.error_list} if not hasattr(exc, "error_dict") else set()
    if hasattr(exc, "error_dict"):
        for errors in exc.error_dict.values():
            codes.update(error.code for error in errors)
    if codes and codes <= CONFLICT_CODES:
        return as_conflict(exc)
    return exceptions.ValidationError(_detail(exc))


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def _translated(exc):
    """Django's and DRF's own errors, in the API's French (and without naming models)."""
    if isinstance(exc, DjangoValidationError):
        return _from_django(exc)
    if isinstance(exc, Http404):  # Django's text is English and names the model
        return exceptions.NotFound(_("Ressource introuvable (ou hors de votre périmètre)."))
    if isinstance(exc, exceptions.ParseError) and exc.get_codes() != parsers.TOO_DEEP:
        return exceptions.ParseError(
            _("Corps de requête illisible : JSON attendu (UTF-8, sans NaN ni Infinity).")
        )
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge(_("Requête trop volumineuse."))
    return exc


def exception_handler(exc, context):
    exc = _translated(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": _("Requête invalide : voir les messages par champ."),
            "errors": _flatten(response.data),
        }
    else:
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        response.data = {"detail": str(detail or exc)}
        if getattr(exc, "errors", None):
            response.data["errors"] = exc.errors
    return response


class StrictQueryMixin:
    """Refuse unknown query parameters (a misspelt filter would otherwise silently
    return everything)."""

    extra_query_parameters: set[str] = set()

    def allowed_query_parameters(self) -> set[str]:
        allowed = COMMON_PARAMETERS | self.extra_query_parameters
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is not None:
            allowed |= set(filterset_class.base_filters)
        return allowed

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if getattr(self, "action", None) is None:
            return  # a method the endpoint does not have: 405 comes first
        allowed = self.allowed_query_parameters()
        errors = {}
        for name, values in request.query_params.lists():
            if name not in allowed:
                errors[name] = [_("Paramètre inconnu.")]
            elif any(value.strip() == "" for value in values):
                errors[name] = [_("Valeur vide : donnez une valeur ou retirez le paramètre.")]
        if errors:
            raise exceptions.ValidationError(dict(sorted(errors.items())))


class ExportMixin:
    """``?format=csv|xlsx`` on a list endpoint: every filtered row (not one page), as an
    open-data file streamed from the database. Subclasses give the dataset and
    ``export_rows(queryset)`` yielding one tuple per row in the dataset's column order."""

    export_dataset: "exports.OpenDataTable"

    def allowed_query_parameters(self) -> set[str]:
        return super().allowed_query_parameters() | {"format", "sep"}

    def export_rows(self, queryset):
        raise NotImplementedError

    def list(self, request, *args, **kwargs):
        fmt = request.query_params.get("format", "json")
        if fmt not in exports.FORMATS:
            raise exceptions.ValidationError(
                {"format": [_("Format inconnu : choisissez json, csv ou xlsx.")]}
            )
        separator = request.query_params.get("sep", ",")
        if separator not in exports.SEPARATORS:
            raise exceptions.ValidationError(
                {"sep": [_("Séparateur inconnu : choisissez « , » ou « ; ».")]}
            )
        if fmt == "json":
            return super().list(request, *args, **kwargs)
        self.paginator.check_parameters(request)
        queryset = self.filter_queryset(self.get_queryset())
        filename = f"{self.export_dataset.name}-{timezone.localdate().isoformat()}"
        if fmt == "csv":
            return exports.csv_response(
                self.export_dataset,
                self.export_rows(queryset),
                filename,
                separator=exports.SEPARATORS[separator],
            )
        if queryset.count() > exports.XLSX_MAX_ROWS:
            raise exceptions.ValidationError(
                {
                    "format": [
                        _(
                            "Trop de lignes pour un classeur XLSX (plus d'un million) : "
                            "filtrez davantage ou téléchargez le CSV."
                        )
                    ]
                }
            )
        return exports.xlsx_response(self.export_dataset, self.export_rows(queryset), filename)


def export_schema(serializer_class):
    """OpenAPI of an exportable list: JSON pages, or the whole CSV / XLSX file."""
    return extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=list(exports.FORMATS),
                description=_(
                    "json (par défaut, paginé), csv ou xlsx : toutes les lignes filtrées, "
                    "en fichier de données ouvertes."
                ),
            ),
            OpenApiParameter(
                "sep",
                str,
                enum=[",", ";"],
                description=_(
                    "CSV : « , » (par défaut, point décimal) ou « ; » (tableurs français : "
                    "virgule décimale, UTF-8 avec BOM)."
                ),
            ),
        ],
        responses={
            (200, "application/json"): serializer_class(many=True),
            (200, "text/csv"): OpenApiTypes.STR,
            (200, exports.XLSX_MEDIA_TYPE): OpenApiTypes.BINARY,
        },
    )


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
