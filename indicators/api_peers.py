"""``/api/v1/peer-statistics/``: how a headline indicator's figure is distributed among
comparable territories (same kind, same population band) by year and area, read from
the statistics the aggregate jobs store (``indicators.peers``). Groups of fewer than 5
territories are never stored, hence never listed. ``territory=…`` (or its code or
SIREN) keeps that territory's groups and adds its figure and rank."""

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets

from indicators.filters import IndicatorListFilter
from indicators.models import VALUE_DECIMALS, Indicator, PeerStatistic
from indicators.peer_groups import (
    COMPARED_KINDS,
    FRANCE,
    MIN_PEERS,
    POPULATION_BANDS,
    PeerKind,
    band_of,
    figure_unit,
    territory_peer_kind,
)
from indicators.peers import peer_comparisons
from kit.api.filters import CodeFilter, IdFilter, SirenFilter, YearFilter
from kit.api.pagination import PublicDataPagination
from kit.api.serializers import ApiModelSerializer, PlainDecimalField
from kit.api.views import StaticFormFilterSetMixin, StrictQueryMixin
from territories.models import Territory

AREA_RE = re.compile(rf"^(?:{FRANCE}|[0-9]{{2}})$")


def validate_area(value):
    if not AREA_RE.match(value):
        raise ValidationError(
            _("Zone inconnue : « %(v)s » (code de région à deux chiffres, ou FR)."),
            params={"v": value[:20]},
        )


class PeerStatisticFilter(StaticFormFilterSetMixin, django_filters.FilterSet):
    indicator = IndicatorListFilter(
        help_text=_("Identifiant(s) d'indicateur, séparés par des virgules (ex. cae_2.a,cae_1.a).")
    )
    year = YearFilter(help_text=_("Année."))
    kind = django_filters.ChoiceFilter(
        field_name="peer_kind",
        choices=PeerKind.choices,
        help_text=_("Type de territoire comparé : commune, cc, ca, cu, metropole, syndicat."),
    )
    band = django_filters.ChoiceFilter(
        choices=[(band.code, band.label) for band in POPULATION_BANDS],
        help_text=_("Tranche de population (ex. 20000-50000)."),
    )
    area = django_filters.CharFilter(
        validators=[validate_area],
        help_text=_("Zone de comparaison : code de la région, ou FR pour toute la France."),
    )
    area.schema_pattern = AREA_RE.pattern
    territory = IdFilter(
        method="for_territory",
        help_text=_(
            "Identifiant d'un territoire : ses groupes seulement, avec sa valeur et son rang."
        ),
    )
    territory_code = CodeFilter(
        method="for_territory",
        help_text=_("Code officiel du territoire (INSEE pour une commune) : comme territory."),
    )
    territory_siren = SirenFilter(
        method="for_territory",
        help_text=_("SIREN du territoire (EPCI, syndicat, commune) : comme territory."),
    )

    class Meta:
        model = PeerStatistic
        fields = []

    def for_territory(self, queryset, name, value):
        lookup = {"territory": "pk", "territory_code": "code", "territory_siren": "siren"}[name]
        territory = (
            Territory.objects.filter(kind__in=COMPARED_KINDS, **{lookup: value})
            .order_by("kind")
            .first()
        )
        if territory is None:
            raise forms.ValidationError(
                {name: _("Territoire inconnu ou sans pairs (commune, EPCI ou syndicat).")}
            )
        self.request.peer_territory = territory
        return queryset.filter(
            peer_kind=territory_peer_kind(territory) or "", band=band_of(territory.population) or ""
        )


class PeerStatisticSerializer(ApiModelSerializer):
    indicator = serializers.CharField(source="indicator.identifier")
    indicator_name = serializers.CharField(source="indicator.name")
    unit = serializers.SerializerMethodField(
        help_text=_("Unité comparée : par habitant pour une quantité, sinon celle de l'indicateur.")
    )
    band_label = serializers.CharField(help_text=_("La tranche, en toutes lettres."))
    area = serializers.CharField(
        help_text=_("Code de la région des territoires comparés, ou FR pour toute la France.")
    )
    n = serializers.IntegerField(help_text=_("Territoires comparés (au moins 5)."))
    is_demo = serializers.BooleanField(
        help_text=_("Vrai dès qu'une des valeurs comparées est une donnée de démonstration.")
    )
    territory_figure = PlainDecimalField(
        max_digits=30,
        decimal_places=VALUE_DECIMALS,
        allow_null=True,
        help_text=_("Avec territory : sa valeur comparée cette année-là (null sans valeur)."),
    )
    territory_rank = serializers.IntegerField(
        allow_null=True,
        help_text=_(
            "Avec territory : son rang (1 = le meilleur selon le sens de l'indicateur) parmi "
            "les n territoires ; null sans valeur ou avec moins de 5 autres territoires."
        ),
    )
    territory_note = serializers.CharField(
        allow_null=True, help_text=_("Avec territory : pourquoi le rang n'est pas publié.")
    )

    class Meta:
        model = PeerStatistic
        fields = [
            "id",
            "indicator",
            "indicator_name",
            "unit",
            "year",
            "peer_kind",
            "band",
            "band_label",
            "area",
            "n",
            "q1",
            "median",
            "q3",
            "min",
            "max",
            "is_demo",
            "computed_at",
            "territory_figure",
            "territory_rank",
            "territory_note",
        ]

    def get_unit(self, statistic) -> str:
        return figure_unit(statistic.indicator)

    def to_representation(self, statistic):
        ranks = self.context.get("territory_years") or {}
        year = ranks.get((statistic.indicator_id, statistic.area, statistic.year))
        statistic.territory_figure = year.figure if year else None
        statistic.territory_rank = year.rank if year else None
        statistic.territory_note = None
        if year is not None and year.rank is None:
            statistic.territory_note = (
                _("pas de valeur validée du territoire cette année-là")
                if year.figure is None
                else _("comparaison non publiée : moins de %(n)s autres territoires comparables")
                % {"n": MIN_PEERS}
            )
        return super().to_representation(statistic)


class PeerStatisticViewSet(StrictQueryMixin, viewsets.ReadOnlyModelViewSet):
    """Peer statistics (n, quartiles, median, minimum, maximum) by headline indicator,
    year, territory kind, population band and area; never on fewer than 5 territories.
    Quartiles: Python's ``statistics.quantiles(figures, n=4)`` (default method)."""

    serializer_class = PeerStatisticSerializer
    filterset_class = PeerStatisticFilter
    pagination_class = PublicDataPagination
    queryset = PeerStatistic.objects.select_related("indicator").order_by(
        "indicator__identifier", "year", "area", "peer_kind", "band", "pk"
    )

    def get_serializer(self, *args, **kwargs):
        territory = getattr(self.request, "peer_territory", None)
        if args and territory is not None:
            context = kwargs.setdefault("context", self.get_serializer_context())
            indicators = list(Indicator.objects.filter(is_key=True))
            context["territory_years"] = {
                (comparison.indicator.pk, comparison.area, year.year): year
                for comparison in peer_comparisons(territory, indicators)
                for year in comparison.years.values()
            }
        return super().get_serializer(*args, **kwargs)
