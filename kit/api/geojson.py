"""GeoJSON (RFC 7946) answers of the API: ``?format=geojson`` or ``Accept:
application/geo+json`` on a detail resource (and on a list that has a map), with the
licence in a ``Link`` header like the other open data, and its OpenAPI description."""

from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from kit.api import exports
from kit.cache import BROWSER_MAX_AGE

MEDIA_TYPE = "application/geo+json"
FORMATS = ("json", "geojson")


class GeoJSONRenderer(JSONRenderer):
    media_type = MEDIA_TYPE
    format = "geojson"


def wants_geojson(request, formats=FORMATS) -> bool:
    """True for ``?format=geojson`` or a request that accepts GeoJSON only (content
    negotiation picked the GeoJSON renderer); 400 for another ``format``."""
    fmt = request.query_params.get("format")
    if fmt is not None and fmt not in formats:
        raise exceptions.ValidationError(
            {"format": [_("Format inconnu : choisissez %s.") % ", ".join(formats)]}
        )
    renderer = getattr(request, "accepted_renderer", None)
    return fmt == "geojson" or (fmt is None and getattr(renderer, "format", "") == "geojson")


def geojson_response(request, collection: dict) -> Response:
    """A FeatureCollection as ``application/geo+json``, naming the open-data licence in
    its ``Link`` header (the outlines' own licence and attribution are in its
    ``metadata`` member). Outlines change only with the data: an anonymous answer may be
    kept by the browser as long as a public page (``kit.cache.BROWSER_MAX_AGE``)."""
    response = Response(collection, content_type=MEDIA_TYPE)
    if request.user.is_authenticated:
        patch_cache_control(response, private=True)
    else:
        patch_cache_control(response, public=True, max_age=BROWSER_MAX_AGE)
    patch_vary_headers(response, ["Accept", "Authorization", "Cookie"])
    return exports.with_licence(response)


class GeoJSONMixin:
    """``retrieve`` answers GeoJSON when asked; subclasses give ``geojson_of(obj)``, a
    FeatureCollection or None when there is no outline (a French 404)."""

    geojson_actions = ("retrieve",)
    no_outline_message = gettext_lazy("Aucun contour n'est publié pour ce territoire.")

    def get_renderers(self):
        if getattr(self, "action", None) in self.geojson_actions:
            return [JSONRenderer(), GeoJSONRenderer()]
        return super().get_renderers()

    def allowed_query_parameters(self) -> set[str]:
        allowed = super().allowed_query_parameters()
        return allowed | {"format"} if self.action in self.geojson_actions else allowed

    def geojson_of(self, obj) -> dict | None:
        raise NotImplementedError

    def retrieve(self, request, *args, **kwargs):
        if not wants_geojson(request):
            return super().retrieve(request, *args, **kwargs)
        collection = self.geojson_of(self.get_object())
        if collection is None:
            raise exceptions.NotFound(self.no_outline_message)
        return geojson_response(request, collection)


def geojson_schema(serializer_class, description: str):
    """OpenAPI of a detail resource that also answers GeoJSON."""
    return extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=list(FORMATS),
                description=gettext_lazy(
                    "json (par défaut) ou geojson : le contour en GeoJSON (RFC 7946, "
                    "application/geo+json, aussi avec l'en-tête Accept), avec sa licence et "
                    "son attribution dans « metadata » et l'en-tête Link."
                ),
            )
        ],
        responses={
            (200, "application/json"): serializer_class,
            (200, MEDIA_TYPE): OpenApiResponse(OpenApiTypes.OBJECT, description=description),
        },
    )
