"""The indicator catalogue's endpoint."""

import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets

from indicators.models import (
    Indicator,
    Theme,
)
from kit.api.filters import StrictBooleanFilter
from kit.api.views import StrictQueryMixin


class IndicatorFilter(django_filters.FilterSet):
    theme = django_filters.ChoiceFilter(choices=Theme.choices, help_text=_("Thématique."))
    is_key = StrictBooleanFilter(help_text=_("Indicateurs clés des objectifs TRI."))

    class Meta:
        model = Indicator
        fields = []


class IndicatorSerializer(serializers.ModelSerializer):
    components = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=_("Identifiants des composantes d'un indicateur calculé."),
    )

    class Meta:
        model = Indicator
        fields = [
            "identifier",
            "name",
            "unit",
            "theme",
            "direction",
            "aggregation",
            "formula",
            "components",
            "is_key",
            "origin",
        ]


class IndicatorViewSet(StrictQueryMixin, viewsets.ReadOnlyModelViewSet):
    """The indicator catalogue, by référentiel identifier (ADEME *Territoires en
    Transitions* where one exists, e.g. ``cae_2.a``)."""

    serializer_class = IndicatorSerializer
    filterset_class = IndicatorFilter
    lookup_field = "identifier"
    lookup_value_regex = r"[A-Za-z0-9_.\-]+"
    queryset = Indicator.objects.order_by("identifier")
