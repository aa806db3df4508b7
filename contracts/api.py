"""Read API of contracts and their quantified targets (with progress), and their
open-data exports."""

import django_filters
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets

from contracts.api_life import AmendmentSerializer, FinalEvaluationSerializer
from contracts.life import with_current_targets
from contracts.models import (
    JUDGED_ALIGNMENTS,
    PUBLIC_STATUSES,
    Contract,
    ContractDocument,
    ContractStatus,
    ContractTheme,
    Target,
    alignment_filter_value,
    assigned_territories,
)
from contracts.public import alignment_choices, search_condition
from contracts.selectors import standings_of_targets
from indicators.api_objectives import ACHIEVEMENT_PLACES, VALUE_PLACES, ProgressSerializer
from indicators.filters import IndicatorListFilter
from kit.api.exports import Column, OpenDataTable, rounded
from kit.api.filters import IdFilter, YearFilter
from kit.api.geojson import GeoJSONMixin, geojson_schema
from kit.api.serializers import ApiModelSerializer
from kit.api.views import ExportMixin, StrictQueryMixin, export_schema
from territories.filters import DepartementFilter, territory_filters
from territories.selectors import outline_collection, outline_of


class TerritoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    code = serializers.CharField()
    siren = serializers.CharField(allow_null=True)
    siren_is_official = serializers.BooleanField(
        source="siren_verified",
        help_text=_("Faux pour un SIREN de démonstration : pas le numéro officiel."),
    )
    name = serializers.CharField()


DEMO_HELP = _("Vrai pour une donnée de démonstration (fictive), faux pour une donnée réelle.")


ALIGNMENT_HELP = _(
    "Alignement sur la trajectoire régionale 2050 : aligned (rythme engagé de 1 à 1,5 fois "
    "le rythme requis), below (moins, ou dans le mauvais sens), beyond (1,5 fois ou plus) ; "
    "null sans trajectoire régionale pour l'indicateur. Méthode : /methode/#alignement."
)


class TargetSerializer(ApiModelSerializer):
    indicator = serializers.CharField(source="indicator.identifier")
    unit = serializers.CharField(source="indicator.unit")
    progress = serializers.SerializerMethodField()
    alignment = serializers.SerializerMethodField(help_text=ALIGNMENT_HELP)
    alignment_label = serializers.SerializerMethodField(
        help_text=_("Libellé de l'alignement (null tant qu'il n'est pas calculé).")
    )
    is_demo = serializers.BooleanField(
        source="contract.is_demo",
        read_only=True,
        help_text=_("Vrai si l'objectif appartient à un contrat de démonstration (fictif)."),
    )

    class Meta:
        model = Target
        fields = [
            "id",
            "indicator",
            "unit",
            "baseline_year",
            "baseline_value",
            "target_year",
            "target_value",
            "entered_as",
            "relative_change",
            "progress",
            "alignment",
            "alignment_label",
            "committed_pace",
            "required_pace",
            "alignment_gap",
            "is_demo",
        ]

    def get_progress(self, target) -> ProgressSerializer:
        return ProgressSerializer(self.context["standings"][target.pk]).data

    @extend_schema_field(
        {"type": "string", "enum": [str(a) for a in JUDGED_ALIGNMENTS], "nullable": True}
    )
    def get_alignment(self, target) -> str | None:
        return target.alignment or None

    def get_alignment_label(self, target) -> str | None:
        if target.alignment_computed_at is None:
            return None
        return str(target.get_alignment_display())


class DocumentSerializer(ApiModelSerializer):
    """A contract document the requesting user may download (public ones for everyone;
    the others for staff and the territory's officers only)."""

    format = serializers.CharField(source="extension", help_text=_("Extension : pdf, xlsx…"))
    download_url = serializers.SerializerMethodField(help_text=_("Adresse de téléchargement."))

    class Meta:
        model = ContractDocument
        fields = ["id", "title", "kind", "format", "size", "public", "download_url"]
        extra_kwargs = {
            "kind": {
                "help_text": _(
                    "signed_contract (contrat signé), amendment (avenant), deliberation "
                    "(délibération), evaluation (évaluation), other (autre)."
                )
            },
            "size": {"help_text": _("Taille en octets.")},
        }

    def get_download_url(self, document) -> str:
        return self.context["request"].build_absolute_uri(document.get_absolute_url())


class ContractSerializer(ApiModelSerializer):
    territory = TerritoryRefSerializer()
    themes = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    signatories = serializers.SerializerMethodField()
    targets = serializers.SerializerMethodField(
        help_text=_(
            "Objectifs en vigueur la dernière année évaluée (un avenant entré en vigueur "
            "plus tard n'y est pas encore : voir amendments)."
        )
    )
    documents = DocumentSerializer(many=True, source="visible_documents")
    page_url = serializers.SerializerMethodField(help_text=_("Page publique du contrat."))
    amendments = AmendmentSerializer(
        many=True,
        help_text=_(
            "Avenants : les objectifs (targets) sont ceux du dernier avenant ; chaque "
            "modification donne l'objectif d'avant (old_…) et d'après (new_…)."
        ),
    )
    final_evaluation = serializers.SerializerMethodField(
        help_text=_("Évaluation finale d'un contrat achevé (null sinon).")
    )
    predecessor = serializers.SerializerMethodField(
        help_text=_("Identifiant du contrat que celui-ci renouvelle (null sinon).")
    )
    successor = serializers.SerializerMethodField(
        help_text=_("Identifiant du contrat qui renouvelle celui-ci (null sinon).")
    )

    class Meta:
        model = Contract
        fields = [
            "id",
            "reference",
            "title",
            "summary",
            "status",
            "signed_on",
            "start_date",
            "end_date",
            "terminated_on",
            "termination_reason",
            "territory",
            "themes",
            "signatories",
            "targets",
            "documents",
            "amendments",
            "final_evaluation",
            "predecessor",
            "successor",
            "page_url",
            "is_demo",
        ]
        extra_kwargs = {"is_demo": {"help_text": DEMO_HELP}}

    @extend_schema_field(TargetSerializer(many=True))
    def get_targets(self, contract):
        targets = getattr(contract, "current_targets", None)
        if targets is None:
            targets = contract.targets.all()
        return TargetSerializer(targets, many=True, context=self.context).data

    @extend_schema_field(FinalEvaluationSerializer(allow_null=True))
    def get_final_evaluation(self, contract):
        evaluation = getattr(contract, "final_evaluation", None)
        return FinalEvaluationSerializer(evaluation).data if evaluation else None

    def _visible(self, contract) -> int | None:
        """``contract``'s id if the reader may see it (a draft renewal: staff and its
        territory's officers only, ``Contract.objects.visible_to``), else None."""
        if contract is None:
            return None
        user = self.context["request"].user
        if contract.status in PUBLIC_STATUSES or (user.is_authenticated and user.is_staff):
            return contract.pk
        if "assigned" not in self.context:
            self.context["assigned"] = (
                set(assigned_territories(user).values_list("territory_id", flat=True))
                if user.is_authenticated
                else set()
            )
        return contract.pk if contract.territory_id in self.context["assigned"] else None

    def get_predecessor(self, contract) -> int | None:
        return self._visible(contract.predecessor)

    def get_successor(self, contract) -> int | None:
        return self._visible(getattr(contract, "successor", None))

    def get_signatories(self, contract) -> list[str]:
        return [s.organisation for s in contract.signatories.all()]

    def get_page_url(self, contract) -> str | None:
        if contract.status not in PUBLIC_STATUSES:
            return None
        return self.context["request"].build_absolute_uri(reverse("contract", args=[contract.pk]))


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
