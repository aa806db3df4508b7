"""The error format of the API: a French ``detail``, and for a 400 (or a 409) the
messages of each field or parameter in ``errors``."""

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler

from kit.api import parsers

# Codes of the service errors that mean "the object is not in a state that allows
# this" (HTTP 409) rather than "your input is wrong" (HTTP 400).
CONFLICT_CODES = {"not_editable", "invalid_transition", "stale"}


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
