"""The contracts' endpoint: filters, the open-data table and the viewset."""

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_view
from rest_framework import viewsets

from contracts.api.serializers import (
    ContractSerializer,
)
from contracts.life import with_current_targets
from contracts.models import (
    PUBLIC_STATUSES,
    Contract,
    ContractDocument,
    ContractStatus,
    ContractTheme,
    Target,
    alignment_filter_value,
)
from contracts.public import alignment_choices, search_condition
from contracts.selectors import standings_of_targets
from kit.api.exports import Column, OpenDataTable
from kit.api.filters import YearFilter
from kit.api.geojson import GeoJSONMixin, geojson_schema
from kit.api.views import ExportMixin, StrictQueryMixin, export_schema
from territories.filters import DepartementFilter, territory_filters
from territories.selectors import outline_collection, outline_of


class WithStandingsMixin:
    """Targets are serialized with where they stand, computed for the whole page in one
    query of validated values."""

    def targets_of(self, objects) -> list[Target]:
        raise NotImplementedError

    def get_serializer(self, *args, **kwargs):
        if args:
            objects = args[0] if kwargs.get("many") else [args[0]]
            context = kwargs.setdefault("context", self.get_serializer_context())
            context["standings"] = standings_of_targets(self.targets_of(objects))
        return super().get_serializer(*args, **kwargs)


def alignment_choice_filter(method: str, help_text) -> django_filters.ChoiceFilter:
    """``?alignment=aligned|below|beyond|none`` (another value: 400, French message)."""
    return django_filters.ChoiceFilter(
        choices=alignment_choices(), method=method, help_text=help_text
    )


class ContractFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ContractStatus.choices, help_text=_("Statut."))
    theme = django_filters.ModelChoiceFilter(
        field_name="themes",
        to_field_name="slug",
        queryset=ContractTheme.objects.all(),
        help_text=_("Thématique (identifiant, ex. « mobilite »)."),
    )
    signed_year = YearFilter(field_name="signed_on__year", help_text=_("Année de signature."))
    alignment = alignment_choice_filter(
        "filter_alignment",
        _(
            "Contrats ayant au moins un objectif ainsi aligné sur la trajectoire régionale "
            "2050 (none : sans trajectoire régionale)."
        ),
    )
    departement = DepartementFilter(field_name="territory", help_text=_("Code du département."))
    territory, territory_code, territory_siren, territory_kind = territory_filters(
        "territory"
    ).values()

    search = django_filters.CharFilter(
        method="filter_search",
        max_length=100,
        help_text=_("Territoire (nom, code INSEE ou SIREN), référence ou intitulé."),
    )

    class Meta:
        model = Contract
        fields = []

    def filter_search(self, queryset, name, value):
        return queryset.filter(search_condition(value))

    def filter_alignment(self, queryset, name, value: str):
        # At least one target with the label: a subquery, no duplicate contracts.
        targets = Target.objects.filter(alignment=alignment_filter_value(value))
        return queryset.filter(pk__in=targets.values("contract_id"))


# The signatory territory, in the same columns in the contracts and targets files.
SIGNATORY_COLUMNS = (
    Column(
        "territory_code",
        "Code officiel du territoire",
        "string",
        "INSEE pour une commune, SIREN pour un EPCI ou un syndicat.",
    ),
    Column("territory_siren", "SIREN du territoire", "string", "Vide s'il n'est pas connu."),
    Column(
        "territory_siren_official",
        "SIREN officiel",
        "boolean",
        "false : SIREN de démonstration, pas le numéro officiel du territoire.",
    ),
    Column("territory_name", "Territoire", "string", "Nom du territoire signataire."),
)

CONTRACTS = OpenDataTable(
    name="contrats",
    title="Contrats d'objectifs TRI",
    description="Contrats signés entre l'ADEME, la Région Hauts-de-France et les collectivités.",
    columns=(
        Column("id", "Identifiant", "integer", required=True),
        Column("reference", "Référence", "string", required=True),
        Column("status", "Statut", "string", ", ".join(PUBLIC_STATUSES)),
        Column("title", "Intitulé", "string", "Intitulé du contrat."),
        Column(
            "territory_kind",
            "Type de territoire",
            "string",
            "region, departement, epci, syndicat, commune",
        ),
        *SIGNATORY_COLUMNS,
        Column("signed_on", "Signé le", "date", "Date de signature du contrat."),
        Column("start_date", "Début", "date", "Premier jour du contrat."),
        Column("end_date", "Fin", "date", "Dernier jour du contrat."),
        Column("themes", "Thématiques", "string", "Identifiants séparés par « | »."),
        Column(
            "is_demo",
            "Donnée de démonstration",
            "boolean",
            "true : contrat fictif de la démonstration du portail ; false : contrat réel.",
            True,
        ),
    ),
    primary_key=("id",),
)


@extend_schema_view(
    retrieve=geojson_schema(
        ContractSerializer,
        _(
            "Périmètre du contrat : le contour de son territoire (union de ses communes ; "
            "IGN ADMIN EXPRESS COG, Licence Ouverte 2.0, © IGN), avec sa référence, son "
            "titre, son statut et s'il s'agit de données de démonstration."
        ),
    )
)
class ContractViewSet(
    GeoJSONMixin, WithStandingsMixin, ExportMixin, StrictQueryMixin, viewsets.ReadOnlyModelViewSet
):
    """Signed, active and completed contracts (and, for their officers and staff, the
    draft ones they work on), with their quantified targets and progress.
    ``format=geojson`` (or ``Accept: application/geo+json``) on one contract gives its
    perimeter."""

    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    export_dataset = CONTRACTS

    def get_queryset(self):
        return (
            Contract.objects.visible_to(self.request.user)
            .select_related("territory", "predecessor", "successor", "final_evaluation")
            .prefetch_related(
                "themes",
                "signatories",
                "amendments__changes__indicator",
                "final_evaluation__verdicts__indicator",
                Prefetch(
                    "targets",
                    queryset=Target.objects.select_related("indicator").order_by(
                        "indicator__identifier", "pk"
                    ),
                ),
                Prefetch(
                    "documents",
                    queryset=ContractDocument.objects.visible_to(self.request.user),
                    to_attr="visible_documents",
                ),
            )
            .order_by("-signed_on", "reference", "pk")
        )

    def targets_of(self, contracts):
        return [target for contract in contracts for target in contract.targets.all()]

    def get_serializer(self, *args, **kwargs):
        """The targets in force in the latest year evaluated: those an amendment changed
        later are evaluated again as they were (``contracts.life.with_current_targets``)."""
        if args:
            kwargs.setdefault("context", self.get_serializer_context())
        serializer = super().get_serializer(*args, **kwargs)
        if args:
            contracts = args[0] if kwargs.get("many") else [args[0]]
            standings = kwargs["context"]["standings"]
            if changed := with_current_targets(contracts, standings):
                standings.update(standings_of_targets(changed))
        return serializer

    def geojson_of(self, contract) -> dict | None:
        territory = contract.territory
        polygons = outline_of(territory)
        if polygons is None:
            return None
        properties = {
            "id": contract.pk,
            "reference": contract.reference,
            "title": contract.title,
            "status": contract.status,
            "is_demo": contract.is_demo,
            "territory": {
                "id": territory.pk,
                "kind": territory.kind,
                "code": territory.code,
                "name": territory.name,
            },
        }
        return outline_collection([(properties, polygons)])

    def export_rows(self, queryset):
        for contract in queryset:
            territory = contract.territory
            yield (
                contract.pk,
                contract.reference,
                contract.status,
                contract.title,
                territory.kind,
                territory.code,
                territory.siren,
                territory.siren_verified,
                territory.name,
                contract.signed_on,
                contract.start_date,
                contract.end_date,
                "|".join(theme.slug for theme in contract.themes.all()),
                contract.is_demo,
            )

    @export_schema(ContractSerializer)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
