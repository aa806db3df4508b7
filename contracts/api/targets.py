"""The targets' endpoint: one row per target with its progress, filters, the
open-data table and the viewset."""

import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets

from contracts.api.contracts import (
    SIGNATORY_COLUMNS,
    WithStandingsMixin,
    alignment_choice_filter,
)
from contracts.api.serializers import (
    TargetSerializer,
    TerritoryRefSerializer,
)
from contracts.models import (
    Contract,
    Target,
    alignment_filter_value,
)
from contracts.selectors import standings_of_targets
from indicators.api_objectives import ACHIEVEMENT_PLACES, VALUE_PLACES
from indicators.filters import IndicatorListFilter
from kit.api.exports import Column, OpenDataTable, rounded
from kit.api.filters import IdFilter, YearFilter
from kit.api.views import ExportMixin, StrictQueryMixin, export_schema
from territories.filters import territory_filters


class TargetRowSerializer(TargetSerializer):
    contract = serializers.IntegerField(source="contract_id")
    contract_reference = serializers.CharField(source="contract.reference")
    territory = TerritoryRefSerializer(source="contract.territory")

    class Meta(TargetSerializer.Meta):
        fields = [
            "id",
            "contract",
            "contract_reference",
            "territory",
            *TargetSerializer.Meta.fields[1:],
        ]


class TargetFilter(django_filters.FilterSet):
    contract = IdFilter(help_text=_("Identifiant du contrat."))
    indicator = IndicatorListFilter(
        help_text=_("Identifiant(s) d'indicateur, séparés par des virgules.")
    )
    target_year = YearFilter(help_text=_("Année cible."))
    alignment = alignment_choice_filter(
        "filter_alignment",
        _("Alignement sur la trajectoire régionale 2050 (none : sans trajectoire régionale)."),
    )
    (
        contract__territory,
        contract__territory_code,
        contract__territory_siren,
        contract__territory_kind,
    ) = territory_filters("contract__territory").values()

    class Meta:
        model = Target
        fields = []

    def filter_alignment(self, queryset, name, value: str):
        return queryset.filter(alignment=alignment_filter_value(value))


TARGETS = OpenDataTable(
    name="objectifs",
    title="Objectifs chiffrés des contrats TRI",
    description="Objectifs chiffrés (référence et cible) de chaque contrat, avec l'avancement calculé sur les valeurs validées.",
    columns=(
        Column("id", "Identifiant", "integer", required=True),
        Column("contract", "Identifiant du contrat", "integer", required=True),
        Column("contract_reference", "Référence du contrat", "string", "Voir le fichier contrats."),
        *SIGNATORY_COLUMNS,
        Column("indicator", "Indicateur", "string", "Identifiant du référentiel (ex. cae_2.a)."),
        Column("unit", "Unité", "string", "Unité des valeurs de la ligne."),
        Column(
            "baseline_year", "Année de référence", "integer", "Année de la valeur de référence."
        ),
        Column(
            "baseline_value", "Valeur de référence", "number", "Dans l'unité de la colonne unit."
        ),
        Column("target_year", "Année cible", "integer", "Année où la cible doit être atteinte."),
        Column("target_value", "Valeur cible", "number", "Dans l'unité de la colonne unit."),
        Column(
            "latest_year",
            "Dernière année validée",
            "integer",
            "Année de la dernière valeur validée du territoire (vide sans valeur).",
        ),
        Column(
            "latest_value",
            "Dernière valeur validée",
            "number",
            "Dans l'unité de la colonne unit.",
        ),
        Column("achievement", "Avancement", "number", "0 à la référence, 1 à la cible."),
        Column(
            "status",
            "Trajectoire",
            "string",
            "on_track : dans la trajectoire ; late : en retard ; no_data : sans valeur validée.",
        ),
        Column(
            "alignment",
            "Alignement sur la trajectoire régionale",
            "string",
            "aligned : rythme engagé de 1 à 1,5 fois le rythme requis par la trajectoire "
            "régionale 2050 ; below : moins (ou dans le mauvais sens) ; beyond : 1,5 fois ou "
            "plus ; vide : pas de trajectoire régionale. Méthode : /methode/#alignement.",
        ),
        Column(
            "committed_pace",
            "Rythme engagé (%/an)",
            "number",
            "Évolution relative simple par an de la référence à la cible, en %.",
        ),
        Column(
            "required_pace",
            "Rythme requis (%/an)",
            "number",
            "Celui de la trajectoire régionale 2050 sur les mêmes années, en %.",
        ),
        Column(
            "alignment_gap",
            "Écart à la trajectoire",
            "number",
            "Ce qui manque à l'objectif pour suivre la trajectoire, dans l'unité de la "
            "colonne unit (négatif : en avance).",
        ),
        Column(
            "is_demo",
            "Donnée de démonstration",
            "boolean",
            "true : objectif d'un contrat fictif de la démonstration du portail ; false : réel.",
            True,
        ),
    ),
    primary_key=("id",),
)


PACE_PLACES = 6  # % per year, as stored


class TargetViewSet(
    WithStandingsMixin, ExportMixin, StrictQueryMixin, viewsets.ReadOnlyModelViewSet
):
    """Quantified targets of the visible contracts, with progress."""

    serializer_class = TargetRowSerializer
    filterset_class = TargetFilter
    export_dataset = TARGETS
    export_batch = 500

    def get_queryset(self):
        return (
            Target.objects.filter(contract__in=Contract.objects.visible_to(self.request.user))
            .select_related("indicator", "contract__territory")
            .order_by("contract_id", "indicator__identifier", "pk")
        )

    def targets_of(self, targets):
        return list(targets)

    def export_rows(self, queryset):
        batch = []
        for target in queryset.iterator(chunk_size=self.export_batch):
            batch.append(target)
            if len(batch) == self.export_batch:
                yield from self._rows(batch)
                batch = []
        yield from self._rows(batch)

    def _rows(self, targets):
        standings = standings_of_targets(targets)
        for target in targets:
            territory, p = target.contract.territory, standings[target.pk]
            yield (
                target.pk,
                target.contract_id,
                target.contract.reference,
                territory.code,
                territory.siren,
                territory.siren_verified,
                territory.name,
                target.indicator.identifier,
                target.indicator.unit,
                target.baseline_year,
                target.baseline_value,
                target.target_year,
                target.target_value,
                p.latest_year,
                rounded(p.latest_value, VALUE_PLACES),
                rounded(p.achievement, ACHIEVEMENT_PLACES),
                p.status.value,
                target.alignment,
                rounded(target.committed_pace, PACE_PLACES),
                rounded(target.required_pace, PACE_PLACES),
                rounded(target.alignment_gap, VALUE_PLACES),
                target.contract.is_demo,
            )

    @export_schema(TargetRowSerializer)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
