"""API of the contracts' share of the regional effort (``/api/v1/effort-shares/``, read
only): the materialised ``EffortShare`` rows (``contracts.effort``), never computed on
the fly; also an open-data file (``?format=csv|xlsx``) with its Table Schema."""

import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets

from contracts.models import EffortHorizon, EffortShare
from indicators.filters import IndicatorListFilter
from kit.api.exports import Column, OpenDataTable, rounded
from kit.api.filters import CodeFilter
from kit.api.serializers import ApiModelSerializer, PlainDecimalField
from kit.api.views import ExportMixin, StrictQueryMixin, export_schema
from territories.models import TerritoryKind

SHARE_PLACES = 4  # 0.1033: a share to the hundredth of a percent
EXPORT_CHUNK = 5000


class EffortShareFilter(django_filters.FilterSet):
    scope = CodeFilter(
        field_name="scope__code",
        help_text=_("Code officiel du périmètre : région ou département (ex. 32, 59)."),
    )
    scope_kind = django_filters.ChoiceFilter(
        field_name="scope__kind",
        choices=[
            (TerritoryKind.REGION.value, TerritoryKind.REGION.label),
            (TerritoryKind.DEPARTEMENT.value, TerritoryKind.DEPARTEMENT.label),
        ],
        help_text=_("Type de périmètre : region ou departement."),
    )
    indicator = IndicatorListFilter(
        help_text=_("Identifiant(s) d'indicateur, séparés par des virgules (ex. cae_2.a,cae_1.a).")
    )
    horizon = django_filters.ChoiceFilter(
        field_name="horizon_kind",
        choices=EffortHorizon.choices,
        help_text=_(
            "contracts_end : à la fin des contrats en cours ; fixed_year : à l'échéance fixe (2030)."
        ),
    )

    class Meta:
        model = EffortShare
        fields = []


class EffortShareSerializer(ApiModelSerializer):
    scope_kind = serializers.CharField(source="scope.kind")
    scope_code = serializers.CharField(source="scope.code")
    scope_name = serializers.CharField(source="scope.name")
    indicator = serializers.CharField(source="indicator.identifier")
    unit = serializers.CharField(source="indicator.unit")
    committed_change = PlainDecimalField(
        max_digits=30,
        decimal_places=6,
        help_text=_(
            "N : somme des évolutions engagées par les objectifs comptés entre start_year et "
            "horizon_year (négative pour une baisse), dans l'unité de l'indicateur."
        ),
    )
    required_change = PlainDecimalField(
        max_digits=30,
        decimal_places=6,
        allow_null=True,
        help_text=_(
            "M : évolution demandée par la trajectoire régionale au périmètre sur les mêmes "
            "années ; vide pour un département sans agrégat complet de start_year."
        ),
    )
    share = PlainDecimalField(
        max_digits=30,
        decimal_places=SHARE_PLACES,
        allow_null=True,
        help_text=_("P = N / M (1 : 100 %) ; vide quand M est vide ou nul."),
    )
    covered_share = PlainDecimalField(
        max_digits=10,
        decimal_places=SHARE_PLACES,
        allow_null=True,
        help_text=_(
            "X : population des communes des territoires comptés / population du périmètre."
        ),
    )
    conflicts = serializers.ListField(
        child=serializers.CharField(),
        help_text=_("Références des contrats écartés pour chevauchement partiel."),
    )
    is_demo = serializers.BooleanField(
        help_text=_(
            "Vrai si un contrat compté, l'objectif régional ou l'agrégat utilisé est une "
            "donnée de démonstration (fictive)."
        )
    )

    class Meta:
        model = EffortShare
        fields = [
            "id",
            "scope",
            "scope_kind",
            "scope_code",
            "scope_name",
            "indicator",
            "unit",
            "horizon_kind",
            "horizon_year",
            "start_year",
            "committed_change",
            "required_change",
            "share",
            "covered_population",
            "scope_population",
            "covered_share",
            "targets_counted",
            "targets_skipped",
            "conflicts",
            "computed_at",
            "is_demo",
        ]


EFFORT_SHARES = OpenDataTable(
    name="part-effort-regional",
    title="Part de l'effort régional couverte par les contrats",
    description=(
        "Pour la région et chaque département, chaque indicateur clé à trajectoire régionale "
        "et chaque échéance (fin des contrats en cours, 2030) : l'évolution engagée par les "
        "objectifs des contrats en cours (sans double compte des territoires imbriqués) face "
        "à l'évolution demandée par la trajectoire régionale 2050. Méthode : /methode/#effort."
    ),
    columns=(
        Column("id", "Identifiant", "integer", required=True),
        Column("scope", "Identifiant du périmètre dans l'API", "integer", required=True),
        Column("scope_kind", "Type de périmètre", "string", "region, departement", True),
        Column("scope_code", "Code officiel du périmètre", "string", required=True),
        Column("scope_name", "Périmètre", "string", required=True),
        Column("indicator", "Identifiant de l'indicateur", "string", required=True),
        Column("unit", "Unité", "string", "Unité des évolutions.", True),
        Column(
            "horizon_kind",
            "Type d'échéance",
            "string",
            "contracts_end : fin des contrats en cours ; fixed_year : 2030.",
            True,
        ),
        Column("horizon_year", "Échéance", "integer", required=True),
        Column(
            "start_year",
            "Année de départ",
            "integer",
            "La plus ancienne année de référence des objectifs comptés.",
            True,
        ),
        Column(
            "committed_change",
            "Évolution engagée par les contrats",
            "number",
            "Somme des évolutions engagées par les objectifs comptés (négative pour une baisse).",
            True,
        ),
        Column(
            "required_change",
            "Évolution demandée par la trajectoire régionale",
            "number",
            "Vide pour un département sans agrégat complet de l'année de départ.",
        ),
        Column(
            "share",
            "Part couverte par les contrats",
            "number",
            "Évolution engagée / évolution demandée (1 : 100 %) ; vide si non calculable.",
        ),
        Column(
            "covered_population",
            "Population des territoires comptés",
            "integer",
            "Habitants des communes des territoires des objectifs comptés.",
            unit="habitants",
        ),
        Column("scope_population", "Population du périmètre", "integer", unit="habitants"),
        Column("covered_share", "Part de la population", "number", "De 0 à 1."),
        Column("targets_counted", "Objectifs comptés", "integer"),
        Column(
            "targets_skipped",
            "Objectifs déjà comptés",
            "integer",
            "Objectifs d'un territoire inclus dans celui d'un objectif compté.",
        ),
        Column(
            "conflicts",
            "Contrats écartés (chevauchement)",
            "string",
            "Références des contrats écartés pour chevauchement partiel, séparées par « ; ».",
        ),
        Column("computed_at", "Calculé le", "datetime", "Date et heure du calcul (ISO 8601)."),
        Column(
            "is_demo",
            "Donnée de démonstration",
            "boolean",
            "true si un contrat compté, l'objectif régional ou l'agrégat utilisé est fictif.",
            True,
        ),
    ),
    primary_key=("id",),
)


class EffortShareViewSet(ExportMixin, StrictQueryMixin, viewsets.ReadOnlyModelViewSet):
    """The contracts' share of the regional effort per scope, headline indicator and
    horizon (materialised; recomputed with the aggregates, never on a request)."""

    serializer_class = EffortShareSerializer
    filterset_class = EffortShareFilter
    export_dataset = EFFORT_SHARES

    def get_queryset(self):
        return EffortShare.objects.select_related("scope", "indicator").order_by(
            "scope__code", "indicator__identifier", "horizon_kind", "pk"
        )

    def export_rows(self, queryset):
        for row in queryset.iterator(chunk_size=EXPORT_CHUNK):
            yield (
                row.pk,
                row.scope_id,
                row.scope.kind,
                row.scope.code,
                row.scope.name,
                row.indicator.identifier,
                row.indicator.unit,
                row.horizon_kind,
                row.horizon_year,
                row.start_year,
                row.committed_change,
                row.required_change,
                row.share,
                row.covered_population,
                row.scope_population,
                rounded(row.covered_share, SHARE_PLACES),
                row.targets_counted,
                row.targets_skipped,
                " ; ".join(row.conflicts),
                row.computed_at,
                row.is_demo,
            )

    @export_schema(EffortShareSerializer)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
