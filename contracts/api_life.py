"""Read API of contracts' lives: their amendments (nested in the contract objects, and
listed at ``/api/v1/amendments/``, filtered by contract) and final evaluations."""

import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets

from contracts.models import (
    Amendment,
    AmendmentChange,
    Contract,
    FinalEvaluation,
    TargetVerdict,
)
from kit.api.filters import IdFilter
from kit.api.serializers import ApiModelSerializer
from kit.api.views import StrictQueryMixin


class AmendmentChangeSerializer(ApiModelSerializer):
    indicator = serializers.CharField(
        source="indicator.identifier", allow_null=True, default=None, read_only=True
    )

    class Meta:
        model = AmendmentChange
        fields = [
            "kind",
            "target_ref",
            "indicator",
            "baseline_year",
            "baseline_value",
            "old_target_year",
            "old_target_value",
            "new_target_year",
            "new_target_value",
            "old_end_date",
            "new_end_date",
        ]


class AmendmentSerializer(ApiModelSerializer):
    changes = AmendmentChangeSerializer(many=True)

    class Meta:
        model = Amendment
        fields = ["number", "signed_on", "effective_year", "reason", "changes"]


class TargetVerdictSerializer(ApiModelSerializer):
    indicator = serializers.CharField(source="indicator.identifier")

    class Meta:
        model = TargetVerdict
        fields = [
            "indicator",
            "baseline_year",
            "baseline_value",
            "target_year",
            "target_value",
            "value_year",
            "value",
            "computed_verdict",
            "verdict",
            "comment",
        ]


class FinalEvaluationSerializer(ApiModelSerializer):
    verdicts = TargetVerdictSerializer(many=True)

    class Meta:
        model = FinalEvaluation
        fields = ["assessment", "evaluated_at", "verdicts"]


class AmendmentRowSerializer(AmendmentSerializer):
    contract = serializers.IntegerField(source="contract_id")
    contract_reference = serializers.CharField(source="contract.reference")

    class Meta(AmendmentSerializer.Meta):
        fields = ["id", "contract", "contract_reference", *AmendmentSerializer.Meta.fields]


class AmendmentFilter(django_filters.FilterSet):
    contract = IdFilter(help_text=_("Identifiant du contrat."))

    class Meta:
        model = Amendment
        fields = []


class AmendmentViewSet(StrictQueryMixin, viewsets.ReadOnlyModelViewSet):
    """Amendments (*avenants*) of the visible contracts (public ones for everyone), with
    their changes: each gives the target before (old_…) and after (new_…)."""

    serializer_class = AmendmentRowSerializer
    filterset_class = AmendmentFilter

    def get_queryset(self):
        return (
            Amendment.objects.filter(contract__in=Contract.objects.visible_to(self.request.user))
            .select_related("contract")
            .prefetch_related("changes__indicator")
            .order_by("contract_id", "effective_year", "number")
        )
