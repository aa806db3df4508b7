"""The regional aggregates' endpoint: filters, serializer, open-data table, viewset."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets

from indicators.api.common import COVERED_SHARE_PLACES, EXPORT_CHUNK, YearRangeFilterSet
from indicators.models import (
    Aggregate,
    covered_share,
    is_partial,
)
from kit.api.exports import Column, OpenDataTable, rounded
from kit.api.serializers import ApiModelSerializer, PlainDecimalField
from kit.api.views import ExportMixin, StrictQueryMixin, export_schema
from kit.db import JSONArrayLength
from territories.filters import territory_filters


class AggregateFilter(YearRangeFilterSet):
    scope, scope_code, scope_siren, scope_kind = territory_filters("scope").values()

    class Meta:
        model = Aggregate
        fields = []


class AggregateSerializer(ApiModelSerializer):
    scope_kind = serializers.CharField(source="scope.kind")
    scope_code = serializers.CharField(source="scope.code")
    scope_siren = serializers.CharField(source="scope.siren", allow_null=True)
    scope_siren_official = serializers.BooleanField(
        source="scope.siren_verified",
        help_text=_("Faux pour un SIREN de démonstration : pas le numéro officiel."),
    )
    scope_name = serializers.CharField(source="scope.name")
    indicator = serializers.CharField(source="indicator.identifier")
    unit = serializers.CharField(source="indicator.unit")
    conflicts = serializers.IntegerField(
        source="conflict_count",
        help_text=_("Territoires écartés car chevauchant partiellement un territoire retenu."),
    )
    scope_population = serializers.IntegerField(
        source="scope.population",
        allow_null=True,
        help_text=_(
            "Population du périmètre : somme des populations municipales de ses communes "
            "présentes dans le portail (la même que sur sa page)."
        ),
    )
    covered_share = PlainDecimalField(
        max_digits=10,
        decimal_places=COVERED_SHARE_PLACES,
        allow_null=True,
        help_text=_(
            "Part de la population du périmètre couverte (0 à 1) : covered_population / "
            "scope_population."
        ),
    )
    is_partial = serializers.BooleanField(
        help_text=_(
            "Vrai si les territoires retenus ne couvrent qu'une partie de la population du "
            "périmètre : la valeur n'est alors pas le total du périmètre."
        )
    )

    class Meta:
        model = Aggregate
        fields = [
            "id",
            "scope",
            "scope_kind",
            "scope_code",
            "scope_siren",
            "scope_siren_official",
            "scope_name",
            "indicator",
            "unit",
            "year",
            "value",
            "covered_population",
            "scope_population",
            "covered_share",
            "is_partial",
            "contributors",
            "conflicts",
            "computed_at",
            "is_demo",
        ]


AGGREGATES = OpenDataTable(
    name="agregats",
    title="Agrégats des indicateurs TRI",
    description=(
        "Indicateurs agrégés sur la région, les départements, les syndicats et EPCI, "
        "sans double compte des territoires imbriqués (recalculés après chaque validation). "
        "Un agrégat ne porte que sur les territoires qui ont publié des valeurs : "
        "covered_population et covered_share disent quelle part de la population du "
        "périmètre il couvre, is_partial = true qu'il n'est pas le total du périmètre."
    ),
    columns=(
        Column("id", "Identifiant", "integer", required=True),
        Column("scope", "Identifiant du périmètre dans l'API", "integer", required=True),
        Column(
            "scope_kind",
            "Type de périmètre",
            "string",
            "region, departement, syndicat, epci",
            True,
        ),
        Column(
            "scope_code",
            "Code officiel du périmètre",
            "string",
            "Code de la région ou du département, SIREN d'un EPCI ou d'un syndicat.",
            True,
        ),
        Column("scope_siren", "SIREN du périmètre", "string"),
        Column(
            "scope_siren_official",
            "SIREN officiel",
            "boolean",
            "false : SIREN de démonstration, pas le numéro officiel du périmètre.",
        ),
        Column("scope_name", "Périmètre", "string", required=True),
        Column(
            "indicator",
            "Identifiant de l'indicateur",
            "string",
            "Identifiant du référentiel, voir /api/v1/indicators/.",
            True,
        ),
        Column("unit", "Unité", "string", "Unité de la valeur agrégée.", True),
        Column("year", "Année", "integer", required=True),
        Column(
            "value",
            "Valeur agrégée",
            "number",
            "Somme sans double compte des territoires retenus (un rapport est recalculé à partir des composantes agrégées) ; vide sans valeur.",
        ),
        Column(
            "covered_population",
            "Population couverte",
            "integer",
            "Habitants des communes des territoires retenus (comptés une fois).",
            unit="habitants",
        ),
        Column(
            "scope_population",
            "Population du périmètre",
            "integer",
            "Somme des populations municipales des communes du périmètre présentes dans le "
            "portail ; vide si inconnue.",
            unit="habitants",
        ),
        Column(
            "covered_share",
            "Part de la population couverte",
            "number",
            "covered_population / scope_population, de 0 à 1 ; vide si la population du "
            "périmètre est inconnue.",
        ),
        Column(
            "is_partial",
            "Agrégat partiel",
            "boolean",
            "true : les territoires retenus ne couvrent qu'une partie de la population du "
            "périmètre, la valeur n'est pas le total du périmètre ; false : toute sa population.",
            True,
        ),
        Column(
            "contributors", "Territoires retenus", "integer", "Nombre de territoires additionnés."
        ),
        Column(
            "conflicts",
            "Territoires écartés (chevauchement)",
            "integer",
            "Territoires chevauchant en partie un territoire retenu, non comptés.",
        ),
        Column("computed_at", "Calculé le", "datetime", "Date et heure du calcul (ISO 8601)."),
        Column(
            "is_demo",
            "Donnée de démonstration",
            "boolean",
            "true dès qu'une des valeurs additionnées est une donnée fictive de la "
            "démonstration du portail ; false : calculé à partir de données réelles seulement.",
            True,
        ),
    ),
    primary_key=("id",),
)


class AggregateViewSet(ExportMixin, StrictQueryMixin, viewsets.ReadOnlyModelViewSet):
    """Materialised aggregates (never computed on the fly)."""

    serializer_class = AggregateSerializer
    filterset_class = AggregateFilter
    export_dataset = AGGREGATES

    def get_queryset(self):
        return (
            Aggregate.objects.select_related("scope", "indicator")
            .annotate(conflict_count=JSONArrayLength("conflicts"))
            .order_by("scope_id", "indicator_id", "year")
        )

    def export_rows(self, queryset):
        rows = queryset.values_list(
            "pk",
            "scope_id",
            "scope__kind",
            "scope__code",
            "scope__siren",
            "scope__siren_verified",
            "scope__name",
            "indicator__identifier",
            "indicator__unit",
            "year",
            "value",
            "covered_population",
            "scope__population",
            "contributors",
            "conflict_count",
            "computed_at",
            "is_demo",
        ).iterator(chunk_size=EXPORT_CHUNK)
        for *head, covered, population, contributors, conflicts, computed_at, demo in rows:
            share = covered_share(covered, population)
            yield (
                *head,
                covered,
                population,
                rounded(share, COVERED_SHARE_PLACES),
                is_partial(covered, population),
                contributors,
                conflicts,
                computed_at,
                demo,
            )

    @export_schema(AggregateSerializer)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
