"""API of objectives: where an objective stands against its trajectory (shared by a
contract's targets and the region's goals), and the region's own 2050 goals
(``/api/v1/regional-goals/``, read only)."""

import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets

from indicators.filters import IndicatorListFilter
from indicators.models import VALUE_DECIMALS, RegionalGoal
from indicators.selectors import goal_rows
from indicators.trajectory import TrackStatus
from kit.api.serializers import ApiModelSerializer, PlainDecimalField
from kit.api.views import StrictQueryMixin
from territories.filters import territory_filters

# Figures of where an objective stands, the same in the JSON answers and in the files.
ACHIEVEMENT_PLACES = 4
VALUE_PLACES = VALUE_DECIMALS


class ProgressSerializer(serializers.Serializer):
    """Where a contract's target or a regional goal stands
    (``indicators.trajectory.TargetStanding``), published under the name ``progress``
    (JSON key and schema component, kept for API clients)."""

    status = serializers.ChoiceField(
        choices=[s.value for s in TrackStatus],
        help_text=_(
            "on_track : sur la trajectoire ; late : en retard ; no_data : aucune valeur validée."
        ),
    )
    latest_year = serializers.IntegerField(allow_null=True)
    latest_value = PlainDecimalField(max_digits=30, decimal_places=VALUE_PLACES, allow_null=True)
    achievement = PlainDecimalField(
        max_digits=30,
        decimal_places=ACHIEVEMENT_PLACES,
        allow_null=True,
        help_text=_("Part du chemin parcouru : 0 à la valeur de référence, 1 à la cible."),
    )
    expected = PlainDecimalField(
        max_digits=30,
        decimal_places=VALUE_PLACES,
        allow_null=True,
        help_text=_("Valeur de la trajectoire linéaire pour latest_year."),
    )
    projected_year = serializers.IntegerField(
        allow_null=True, help_text=_("Année où la cible serait atteinte au rythme actuel.")
    )


class RegionalGoalSerializer(ApiModelSerializer):
    territory_code = serializers.CharField(source="territory.code")
    territory_name = serializers.CharField(source="territory.name")
    indicator = serializers.CharField(source="indicator.identifier")
    indicator_name = serializers.CharField(source="indicator.name")
    unit = serializers.CharField(source="indicator.unit")
    adopted_by = serializers.CharField(
        help_text=_("Document qui fixe l'objectif (ex. « SRADDET Hauts-de-France (2020) »).")
    )
    is_demo = serializers.BooleanField(
        help_text=_("Donnée de démonstration (fictive) : à ne pas réutiliser.")
    )
    progress = serializers.SerializerMethodField(
        help_text=_(
            "Où en est la région : sa dernière valeur agrégée (valeurs validées seulement) "
            "comparée à la trajectoire linéaire de l'année de référence à l'objectif."
        )
    )

    class Meta:
        model = RegionalGoal
        fields = [
            "id",
            "territory",
            "territory_code",
            "territory_name",
            "indicator",
            "indicator_name",
            "unit",
            "baseline_year",
            "baseline_value",
            "target_year",
            "target_value",
            "entered_as",
            "relative_change",
            "adopted_by",
            "is_demo",
            "progress",
        ]

    def get_progress(self, goal) -> ProgressSerializer:
        return ProgressSerializer(self.context["goal_standings"][goal.pk]).data


class RegionalGoalFilter(django_filters.FilterSet):
    indicator = IndicatorListFilter(
        help_text=_("Identifiant(s) d'indicateur, séparés par des virgules (ex. cae_2.a,cae_1.a).")
    )
    territory_code = territory_filters("territory")["territory_code"]

    class Meta:
        model = RegionalGoal
        fields = []


class RegionalGoalViewSet(StrictQueryMixin, viewsets.ReadOnlyModelViewSet):
    """The goals a region set itself for 2050 (SRADDET; reference year 2012): not
    contracts — never listed, counted or exported with them. Each goal comes with
    where the region stands, from its materialised aggregates."""

    serializer_class = RegionalGoalSerializer
    filterset_class = RegionalGoalFilter
    queryset = RegionalGoal.objects.select_related("territory", "indicator").order_by(
        "territory__code", "indicator__identifier", "pk"
    )

    def get_serializer(self, *args, **kwargs):
        if args:
            goals = args[0] if kwargs.get("many") else [args[0]]
            context = kwargs.setdefault("context", self.get_serializer_context())
            context["goal_standings"] = {row.goal.pk: row.standing for row in goal_rows(goals)}
        return super().get_serializer(*args, **kwargs)
