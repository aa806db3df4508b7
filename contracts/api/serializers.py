"""The contracts' serializers: a contract with its targets (in force), documents,
amendments and final evaluation; a target with its progress."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contracts.api_life import AmendmentSerializer, FinalEvaluationSerializer
from contracts.models import (
    JUDGED_ALIGNMENTS,
    PUBLIC_STATUSES,
    Contract,
    ContractDocument,
    Target,
    assigned_territories,
)
from indicators.api_objectives import ProgressSerializer
from kit.api.serializers import ApiModelSerializer


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
