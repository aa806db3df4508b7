"""API of territories: official codes, nesting, population."""

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, viewsets

from kit.api.filters import CodeFilter, IdFilter, SirenFilter
from kit.api.geojson import (
    MEDIA_TYPE,
    GeoJSONMixin,
    geojson_response,
    geojson_schema,
    wants_geojson,
)
from kit.api.views import StrictQueryMixin
from territories.filters import DepartementFilter
from territories.models import Territory, TerritoryClosure, TerritoryKind
from territories.selectors import outline_collection, outline_of


class TerritoryFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=TerritoryKind.choices, help_text=_("Type."))
    code = CodeFilter(help_text=_("Code officiel : INSEE (commune), département, région."))
    siren = SirenFilter(help_text=_("SIREN (EPCI, syndicat, commune)."))
    departement = DepartementFilter(
        field_name="", help_text=_("Code du département contenant le territoire.")
    )
    parent = IdFilter(
        field_name="parent_memberships__parent",
        help_text=_("Identifiant du territoire dont il est membre direct (EPCI, syndicat…)."),
    )
    search = django_filters.CharFilter(
        method="filter_search", max_length=100, help_text=_("Nom (contient), code ou SIREN.")
    )

    class Meta:
        model = Territory
        fields = []

    def filter_search(self, queryset, name, value):
        return queryset.search(value)


class TerritorySerializer(serializers.ModelSerializer):
    nature = serializers.SerializerMethodField(help_text=_("Nature juridique (CA, CC, SCoT…)."))
    departements = serializers.SerializerMethodField(
        help_text=_("Codes des départements où il se trouve.")
    )
    region = serializers.SerializerMethodField(help_text=_("Code de la région."))
    siren_is_official = serializers.BooleanField(
        source="siren_verified",
        help_text=_(
            "Faux pour un SIREN de démonstration (le syndicat de la démonstration) : ce "
            "n'est pas le numéro officiel du territoire."
        ),
    )
    siren_note = serializers.CharField(
        help_text=_("Ce qu'il faut savoir du SIREN quand il n'est pas officiel ; vide sinon.")
    )
    population = serializers.IntegerField(
        allow_null=True,
        help_text=_(
            "Population municipale ; pour un EPCI, un syndicat, un département ou la région, "
            "la somme de celles de ses communes présentes dans le portail."
        ),
    )
    listed_population = serializers.IntegerField(
        allow_null=True,
        help_text=_(
            "Population totale selon la liste officielle des EPCI, pour un EPCI dont une "
            "partie des communes est hors du portail (EPCI interrégional) ; null sinon."
        ),
    )
    population_note = serializers.CharField(
        help_text=_(
            "Explication quand la liste officielle des EPCI donne un autre chiffre ; vide sinon."
        )
    )

    class Meta:
        model = Territory
        fields = [
            "id",
            "kind",
            "code",
            "siren",
            "siren_is_official",
            "siren_note",
            "name",
            "slug",
            "nature",
            "population",
            "population_year",
            "listed_population",
            "population_note",
            "departements",
            "region",
        ]

    def get_nature(self, territory) -> str:
        return territory.epci_nature or territory.syndicat_nature or ""

    def get_departements(self, territory) -> list[str]:
        return sorted(
            link.ancestor.code
            for link in territory.parent_links
            if link.ancestor.kind == TerritoryKind.DEPARTEMENT
        )

    def get_region(self, territory) -> str | None:
        regions = [
            link.ancestor.code
            for link in territory.parent_links
            if link.ancestor.kind == TerritoryKind.REGION
        ]
        return min(regions) if regions else None


def with_parent_links(queryset):
    """Prefetch the département and region above each territory (one query)."""
    return queryset.prefetch_related(
        Prefetch(
            "ancestor_links",
            queryset=TerritoryClosure.objects.filter(
                ancestor__kind__in=[TerritoryKind.DEPARTEMENT, TerritoryKind.REGION]
            ).select_related("ancestor"),
            to_attr="parent_links",
        )
    )


def outline_feature(territory) -> tuple[dict, list | None]:
    properties = {
        "id": territory.pk,
        "kind": territory.kind,
        "code": territory.code,
        "name": territory.name,
    }
    return properties, outline_of(territory)


OUTLINE_DESCRIPTION = _(
    "Contour (IGN ADMIN EXPRESS COG, Licence Ouverte 2.0, © IGN) : celui de la commune, ou "
    "l'union de ses communes pour un EPCI, un syndicat, un département ou la région."
)


@extend_schema_view(
    retrieve=geojson_schema(TerritorySerializer, OUTLINE_DESCRIPTION),
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=["json", "geojson"],
                description=_(
                    "json (par défaut) ou geojson : la page demandée en FeatureCollection, "
                    "un contour par territoire (paginée comme le JSON : page_size ≤ 1000)."
                ),
            )
        ],
        responses={
            (200, "application/json"): TerritorySerializer(many=True),
            (200, MEDIA_TYPE): OpenApiResponse(
                OpenApiTypes.OBJECT, description=OUTLINE_DESCRIPTION
            ),
        },
    ),
)
class TerritoryViewSet(GeoJSONMixin, StrictQueryMixin, viewsets.ReadOnlyModelViewSet):
    """Territories of the reference data (Etalab découpage administratif) and the
    syndicats entered by the Region, ordered by type then code. ``format=geojson`` (or
    ``Accept: application/geo+json``) gives their outlines: one territory, or one page of
    the list (``?kind=commune&format=geojson`` for the communes)."""

    serializer_class = TerritorySerializer
    filterset_class = TerritoryFilter
    geojson_actions = ("retrieve", "list")

    def get_queryset(self):
        return with_parent_links(Territory.objects.order_by("kind", "code", "pk"))

    def geojson_of(self, territory) -> dict | None:
        properties, polygons = outline_feature(territory)
        if polygons is None:
            return None
        return outline_collection([(properties, polygons)])

    def list(self, request, *args, **kwargs):
        if not wants_geojson(request):
            return super().list(request, *args, **kwargs)
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        collection = outline_collection([outline_feature(t) for t in page])
        paginator = self.paginator
        collection["count"] = paginator.page.paginator.count
        collection["next"] = paginator.get_next_link()
        collection["previous"] = paginator.get_previous_link()
        return geojson_response(request, collection)
