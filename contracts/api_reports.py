"""Write API of progress reports: officers (token) fill in and submit the report of
a contract of their territory; staff validate or reject it. Every write calls the
same service as the web forms (one transaction, history with the acting user)."""

import django_filters
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from contracts import services
from contracts.models import (
    MAX_NARRATIVE,
    MAX_PROGRESS,
    MAX_REPORT_COMMENT,
    Action,
    ActionStatus,
    ActionUpdate,
    Contract,
    EvidenceFile,
    ProgressReport,
    ReportStatus,
)
from indicators.models import Indicator, IndicatorValue
from kit.api.errors import as_conflict
from kit.api.filters import IdFilter, YearFilter
from kit.api.serializers import ApiModelSerializer, NumberTextField
from kit.api.views import StrictQueryMixin
from kit.years import YEAR_MAX, YEAR_MIN

MAX_TEXT = 2000


class IsStaff(permissions.BasePermission):
    message = _("Action réservée aux agents de la Région et de l'ADEME.")

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_staff)


class ReportValueSerializer(ApiModelSerializer):
    indicator = serializers.CharField(source="indicator.identifier")
    unit = serializers.CharField(source="indicator.unit")

    class Meta:
        model = IndicatorValue
        fields = ["indicator", "unit", "value", "source", "comment", "justification", "status"]


class ActionUpdateSerializer(ApiModelSerializer):
    action_title = serializers.CharField(source="action.title")

    class Meta:
        model = ActionUpdate
        fields = ["action", "action_title", "status", "progress", "spent", "narrative"]


class EvidenceSerializer(ApiModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceFile
        fields = ["id", "title", "file_format", "size", "uploaded_at", "download_url"]

    def get_download_url(self, evidence) -> str:
        return self.context["request"].build_absolute_uri(evidence.get_absolute_url())


class ReportSerializer(ApiModelSerializer):
    contract_reference = serializers.CharField(source="contract.reference")
    territory_code = serializers.CharField(source="contract.territory.code")
    territory_name = serializers.CharField(source="contract.territory.name")
    values = ReportValueSerializer(many=True)
    actions = ActionUpdateSerializer(many=True, source="action_updates")
    evidence = EvidenceSerializer(many=True)

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "contract",
            "contract_reference",
            "territory_code",
            "territory_name",
            "year",
            "status",
            "submitted_at",
            "reviewed_at",
            "rejection_reason",
            "version",
            "values",
            "comment",
            "actions",
            "evidence",
        ]


@extend_schema_field(OpenApiTypes.INT)
class ReportableContractField(serializers.PrimaryKeyRelatedField):
    """A contract the requesting user reports on; any other id reads as unknown."""

    def get_queryset(self):
        return Contract.objects.reportable_by(self.context["request"].user)


class OpenReportSerializer(serializers.Serializer):
    contract = ReportableContractField(
        help_text=_("Identifiant d'un contrat de votre territoire."),
        error_messages={"does_not_exist": _("Contrat inconnu ou hors de votre périmètre.")},
    )
    year = serializers.IntegerField(min_value=YEAR_MIN, max_value=YEAR_MAX)


class ValueEntrySerializer(serializers.Serializer):
    indicator = serializers.SlugRelatedField(
        slug_field="identifier",
        queryset=Indicator.objects.all(),
        error_messages={"does_not_exist": _("Indicateur inconnu : « {value} ».")},
    )
    value = NumberTextField(
        allow_null=True,
        allow_blank=True,
        help_text=_("Nombre (« 1234.5 » ou 1234.5) ; null ou vide efface la valeur."),
    )
    source = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MAX_TEXT
    )
    justification = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=MAX_TEXT,
        help_text=_(
            "Pourquoi la valeur s'écarte de la dernière valeur validée au-delà de la borne "
            "de l'indicateur : exigée pour soumettre le rapport."
        ),
    )


class ActionEntrySerializer(serializers.Serializer):
    action = serializers.PrimaryKeyRelatedField(
        queryset=Action.objects.all(),
        help_text=_("Identifiant d'une fiche action du contrat du rapport."),
        error_messages={"does_not_exist": _("Fiche action inconnue : {pk_value}.")},
    )
    status = serializers.ChoiceField(choices=ActionStatus.choices)
    progress = serializers.IntegerField(
        min_value=0, max_value=MAX_PROGRESS, help_text=_("Avancement en %.")
    )
    spent = NumberTextField(
        required=False, allow_null=True, allow_blank=True, help_text=_("Dépenses en euros.")
    )
    narrative = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MAX_NARRATIVE
    )


class ValuesInputSerializer(serializers.Serializer):
    values = ValueEntrySerializer(many=True, required=False, allow_empty=False, max_length=200)
    actions = ActionEntrySerializer(
        many=True,
        required=False,
        max_length=200,
        help_text=_("Point d'étape des fiches action (état, avancement, dépenses, récit)."),
    )
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_REPORT_COMMENT,
        help_text=_("Commentaire général sur l'année."),
    )
    version = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2**31 - 1,
        help_text=_(
            "La version du rapport que vous avez lue : si quelqu'un l'a enregistré depuis, "
            "la requête est refusée (409) au lieu d'écraser son travail."
        ),
    )

    def validate(self, attrs):
        if not attrs.get("values") and not attrs.get("actions") and "comment" not in attrs:
            raise serializers.ValidationError(
                _("Rien à enregistrer : donnez des valeurs, des fiches action ou un commentaire.")
            )
        return attrs


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_TEXT, help_text=_("Motif du rejet."))


class ReportFilter(django_filters.FilterSet):
    contract = IdFilter(help_text=_("Identifiant du contrat."))
    year = YearFilter(help_text=_("Année du rapport."))
    status = django_filters.ChoiceFilter(choices=ReportStatus.choices, help_text=_("Statut."))

    class Meta:
        model = ProgressReport
        fields = []


class ReportViewSet(
    StrictQueryMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Progress reports of the contracts you report on (authentication required).
    A report of another territory is answered 404, as if it did not exist."""

    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    permission_classes = [permissions.IsAuthenticated]
    write_permission_errors = True

    def get_queryset(self):
        return (
            ProgressReport.objects.visible_to(self.request.user)
            .select_related("contract__territory")
            .prefetch_related(
                Prefetch(
                    "values",
                    queryset=IndicatorValue.objects.select_related("indicator").order_by(
                        "indicator__identifier"
                    ),
                ),
                Prefetch(
                    "action_updates",
                    queryset=ActionUpdate.objects.select_related("action").order_by("action_id"),
                ),
                "evidence",
            )
            .order_by("contract_id", "year")
        )

    def get_permissions(self):
        if self.action in ("validate", "reject"):
            return [permissions.IsAuthenticated(), IsStaff()]
        return super().get_permissions()

    def detail_response(self, report, status_code=status.HTTP_200_OK):
        report = self.get_queryset().get(pk=report.pk)
        return Response(self.get_serializer(report).data, status=status_code)

    @extend_schema(
        request=OpenReportSerializer,
        responses={200: ReportSerializer, 201: ReportSerializer},
        summary=_("Ouvrir (ou retrouver) le rapport d'une année"),
    )
    def create(self, request, *args, **kwargs):
        serializer = OpenReportSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        contract, year = serializer.validated_data["contract"], serializer.validated_data["year"]
        report, created = services.open_report_created(contract, year, by=request.user)
        return self.detail_response(
            report, status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        request=ValuesInputSerializer,
        responses={200: ReportSerializer},
        summary=_(
            "Enregistrer des valeurs, les fiches action et le commentaire d'un rapport en "
            "brouillon ou rejeté (une seule transaction)"
        ),
    )
    @action(detail=True, methods=["put"])
    def values(self, request, pk=None):
        report = self.get_object()
        serializer = ValuesInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        entries = [
            services.ReportedValue(
                indicator=entry["indicator"],
                value=entry["value"],
                source=entry["source"],
                comment=entry["comment"],
                justification=entry["justification"],
            )
            for entry in data.get("values", [])
        ]
        actions = [services.ActionEntry(**entry) for entry in data.get("actions", [])]
        with transaction.atomic():
            if entries:
                services.save_report_values(
                    report, entries, by=request.user, expected_version=data.get("version")
                )
            if actions or "comment" in data:
                services.save_report_story(
                    report,
                    actions,
                    by=request.user,
                    comment=data.get("comment"),
                    expected_version=None if entries else data.get("version"),
                )
        return self.detail_response(report)

    @extend_schema(
        request=None, responses={200: ReportSerializer}, summary=_("Soumettre le rapport")
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        try:
            report = services.submit_report(self.get_object(), by=request.user)
        except ValidationError as exc:
            if _has_code(exc, services.JUSTIFICATION_REQUIRED):
                # The values are the reason: 400 with a message per indicator.
                raise exceptions.ValidationError(exc.message_dict) from exc
            raise as_conflict(exc) from exc  # the report's state is the reason (empty…)
        return self.detail_response(report)

    @extend_schema(
        request=None,
        responses={200: ReportSerializer},
        summary=_("Retirer le rapport soumis avant son examen (retour en brouillon)"),
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        try:
            report = services.withdraw_report(self.get_object(), by=request.user)
        except ValidationError as exc:
            if _has_code(exc, "not_allowed"):
                raise exceptions.PermissionDenied(" ".join(exc.messages)) from exc
            raise as_conflict(exc) from exc
        return self.detail_response(report)

    @extend_schema(
        request=None, responses={200: ReportSerializer}, summary=_("Valider le rapport (agents)")
    )
    @action(detail=True, methods=["post"])
    def validate(self, request, pk=None):
        report = self.get_object()
        try:
            services.validate_report(report, by=request.user)
        except ValidationError as exc:
            if _has_code(exc, services.FOUR_EYES):
                raise exceptions.PermissionDenied(" ".join(exc.messages)) from exc
            raise
        return self.detail_response(report)

    @extend_schema(
        request=RejectSerializer,
        responses={200: ReportSerializer},
        summary=_("Rejeter le rapport avec un motif (agents)"),
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        report = self.get_object()
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.reject_report(report, by=request.user, reason=serializer.validated_data["reason"])
        return self.detail_response(report)


def _has_code(exc: ValidationError, code: str) -> bool:
    errors = (
        [e for errors in exc.error_dict.values() for e in errors]
        if hasattr(exc, "error_dict")
        else exc.error_list
    )
    return any(error.code == code for error in errors)
