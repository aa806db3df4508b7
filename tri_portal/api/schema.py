"""OpenAPI: every operation documents the error answers it can give, in the one
error format of the API (see ``base.ErrorSerializer``), and every parameter and body
field the constraints the API enforces on it: a request the schema allows is never
refused for its form (only for what it names: an unknown département, a year outside
the contract…)."""

import re

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from kit.api.errors import ErrorSerializer
from kit.api.filters import TEXT_RE, schema_constraints

# A text field of a JSON body: DRF refuses NUL characters, and trims a required one
# before refusing it blank.
NO_NUL = r"^[^\u0000]*$"
BLANK = {"type": "string", "maxLength": 0}

ERRORS = {
    "400": "Paramètre ou donnée invalide (messages en français par champ).",
    "401": "Jeton absent, invalide ou révoqué.",
    "403": "Action réservée à un autre rôle (agents de la Région et de l'ADEME).",
    "404": "Ressource inexistante ou hors de votre périmètre.",
    "409": "L'état de la ressource ne permet pas cette action (rapport déjà soumis ou validé…).",
    "429": "Trop de requêtes : réessayez après le délai indiqué par l'en-tête Retry-After.",
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class PortalAutoSchema(AutoSchema):
    def error_codes(self) -> list[str]:
        codes = ["400", "401", "429"]
        if self.path_regex and "{" in self.path:
            codes.append("404")
        if self.method in WRITE_METHODS:
            codes += ["403", "404", "409"]
        elif getattr(self.view, "write_permission_errors", False):
            codes.append("403")
        return sorted(set(codes))

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self.error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERRORS[code]), code
                )
        if "429" in responses:
            responses["429"].setdefault("headers", {})["Retry-After"] = {
                "schema": {"type": "integer"},
                "description": "Secondes à attendre avant de réessayer.",
            }
        return responses

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request":
            return schema
        text = isinstance(field, serializers.CharField) and schema.get("type") == "string"
        if text and "pattern" not in schema:
            blank = field.allow_blank or not field.trim_whitespace
            schema["pattern"] = NO_NUL if blank else TEXT_RE.pattern
        if isinstance(field, serializers.ListSerializer):
            if not field.allow_empty:
                schema["minItems"] = max(schema.get("minItems", 0), 1)
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
        return schema

    def _insert_field_validators(self, field, schema):
        """drf-spectacular offers a text that may be blank as ``oneOf`` its pattern or
        "": where the pattern matches "" too, "" would match both, hence be invalid."""
        super()._insert_field_validators(field, schema)
        *inner, blank = schema.get("oneOf") or [None]
        if blank == BLANK and len(inner) == 1 and re.search(inner[0].get("pattern", ""), ""):
            del schema["oneOf"]
            schema.update(inner[0])


class PortalFilterExtension(DjangoFilterExtension):
    """django-filter's parameters, with the bounds, formats and lengths the filters
    enforce (``filters.schema_constraints``)."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(
            auto_schema, model, filterset_class, field_name, filter_field
        )
        constraints = schema_constraints(filter_field)
        for parameter in parameters:
            parameter["schema"] = {**parameter["schema"], **constraints}
        return parameters
