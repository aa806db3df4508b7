"""The validated values' endpoint: filters, serializer, open-data table, viewset."""

from django.db.models import IntegerField, Max
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, viewsets

from indicators.api.common import EXPORT_CHUNK, YearRangeFilterSet
from indicators.models import (
    VALUE_DECIMALS,
    Indicator,
    IndicatorValue,
)
from indicators.organisations import organisation_subquery
from indicators.selectors import validated_series_by_territory
from kit.api.exports import Column, OpenDataTable, plain_decimal, rounded
from kit.api.pagination import PublicDataPagination
from kit.api.serializers import ApiModelSerializer, RowKeyField, iso_datetime
from kit.api.views import ExportMixin, StrictQueryMixin, export_schema
from territories.filters import DepartementFilter, territory_filters
from territories.models import Territory


class ValueFilter(YearRangeFilterSet):
    territory, territory_code, territory_siren, territory_kind = territory_filters(
        "territory"
    ).values()
    departement = DepartementFilter(
        field_name="territory", help_text=_("Code du département contenant le territoire.")
    )

    class Meta:
        model = IndicatorValue
        fields = []


VALUE_FIELDS = [
    "id",
    "territory",
    "territory_kind",
    "territory_code",
    "territory_siren",
    "territory_siren_official",
    "territory_name",
    "indicator",
    "unit",
    "year",
    "value",
    "source",
    "validated_at",
    "validated_by_organisation",
    "is_demo",
    "corrected_at",
    "self_corrected",
    "derived",
]
# The same columns for the JSON rows and the files, straight from the database
# (``.values()``: a dict per row, no model instance).
VALUE_SOURCES = [
    "id",
    "territory",
    "territory__kind",
    "territory__code",
    "territory__siren",
    "territory__siren_verified",
    "territory__name",
    "indicator__identifier",
    "indicator__unit",
    "year",
    "value",
    "source",
    "validated_at",
    "validated_by_organisation",
    "is_demo",
    "corrected_at",
    "self_corrected",
]


VALUE_PLACES = VALUE_DECIMALS


class ValueSerializer(ApiModelSerializer):
    # Writes a row of ``.values(*VALUE_SOURCES)`` (see ValueViewSet.get_queryset).
    serializer_related_field = RowKeyField  # territory: its id, a column of the row
    territory_kind = serializers.CharField(source="territory__kind")
    territory_code = serializers.CharField(source="territory__code")
    territory_siren = serializers.CharField(source="territory__siren", allow_null=True)
    territory_siren_official = serializers.BooleanField(
        source="territory__siren_verified",
        help_text=_("Faux pour un SIREN de démonstration : pas le numéro officiel."),
    )
    territory_name = serializers.CharField(source="territory__name")
    indicator = serializers.CharField(source="indicator__identifier")
    unit = serializers.CharField(source="indicator__unit")
    validated_by_organisation = serializers.CharField(
        allow_null=True,
        help_text=_(
            "Organisation qui a validé la valeur (Région Hauts-de-France ou ADEME "
            "Hauts-de-France) ; null si elle n'est pas connue."
        ),
    )
    is_demo = serializers.BooleanField(
        help_text=_("Vrai pour une donnée de démonstration (fictive), faux pour une donnée réelle.")
    )
    corrected_at = serializers.DateTimeField(
        allow_null=True,
        help_text=_(
            "Date de la dernière correction de la valeur après sa validation (« valeur "
            "corrigée le … ») ; null si elle n'a pas été corrigée."
        ),
    )
    self_corrected = serializers.BooleanField(
        help_text=_(
            "Vrai si la correction a été faite par une personne qui avait saisi ou validé "
            "la valeur (sans second contrôle)."
        )
    )
    derived = serializers.SerializerMethodField(
        help_text=_(
            "Toujours faux dans l'API : elle liste les valeurs saisies et validées. Les "
            "fichiers ajoutent les valeurs calculées (ex. cae_3.b), avec derived=true."
        )
    )

    class Meta:
        model = IndicatorValue
        fields = VALUE_FIELDS

    def get_derived(self, row) -> bool:
        return False

    def to_representation(self, row):
        """The row as the fields above write it (tests/api/test_value_rows.py compares
        the two), without their twelve calls per row: for a page of 100 values they
        cost more than its query (B3 in bench/README.md)."""
        return {
            "id": row["id"],
            "territory": row["territory"],
            "territory_kind": row["territory__kind"],
            "territory_code": row["territory__code"],
            "territory_siren": row["territory__siren"],
            "territory_siren_official": row["territory__siren_verified"],
            "territory_name": row["territory__name"],
            "indicator": row["indicator__identifier"],
            "unit": row["indicator__unit"],
            "year": row["year"],
            "value": plain_decimal(rounded(row["value"], VALUE_PLACES)),
            "source": row["source"],
            "validated_at": iso_datetime(row["validated_at"]),
            "validated_by_organisation": row["validated_by_organisation"],
            "is_demo": row["is_demo"],
            "corrected_at": iso_datetime(row["corrected_at"]),
            "self_corrected": row["self_corrected"],
            "derived": False,
        }


VALUES = OpenDataTable(
    name="valeurs-validees",
    title="Valeurs validées des indicateurs TRI",
    description=(
        "Observations annuelles des indicateurs des territoires sous contrat TRI, "
        "validées par la Région et l'ADEME, puis les indicateurs calculés à partir d'elles "
        "(dont la part d'énergie renouvelable cae_3.b), comme sur les pages du portail. "
        "Une ligne par territoire, indicateur et année."
    ),
    columns=(
        Column(
            "id",
            "Identifiant de la valeur",
            "integer",
            "Vide pour une valeur calculée (derived = true).",
        ),
        Column("territory", "Identifiant du territoire dans l'API", "integer", required=True),
        Column(
            "territory_kind",
            "Type de territoire",
            "string",
            "region, departement, epci, syndicat, commune",
            True,
        ),
        Column(
            "territory_code",
            "Code officiel du territoire",
            "string",
            "INSEE pour une commune, code du département ou de la région, SIREN pour un EPCI ou un syndicat.",
            True,
        ),
        Column(
            "territory_siren",
            "SIREN du territoire",
            "string",
            "Vide pour un département ou une région.",
        ),
        Column(
            "territory_siren_official",
            "SIREN officiel",
            "boolean",
            "false : SIREN de démonstration, pas le numéro officiel du territoire.",
        ),
        Column("territory_name", "Nom du territoire", "string", required=True),
        Column(
            "indicator",
            "Identifiant de l'indicateur",
            "string",
            "Identifiant du référentiel Territoires en Transitions (ADEME) ou du projet TRI, voir /api/v1/indicators/.",
            True,
        ),
        Column("unit", "Unité", "string", "Unité de la valeur agrégée.", True),
        Column("year", "Année", "integer", required=True),
        Column("value", "Valeur", "number", "Dans l'unité de la colonne unit.", True),
        Column(
            "source",
            "Source",
            "string",
            "Source déclarée ; pour une valeur calculée, la formule de l'indicateur.",
        ),
        Column(
            "validated_at",
            "Validée le",
            "datetime",
            "Date et heure de validation (ISO 8601) ; pour une valeur calculée, celle de la "
            "dernière composante validée.",
        ),
        Column(
            "validated_by_organisation",
            "Validée par",
            "string",
            "Organisation qui a validé la valeur : Région Hauts-de-France ou ADEME "
            "Hauts-de-France (vide si elle n'est pas connue ou pour une valeur calculée).",
        ),
        Column(
            "is_demo",
            "Donnée de démonstration",
            "boolean",
            "true : donnée fictive de la démonstration du portail, à ne pas réutiliser ; "
            "false : donnée réelle. Une valeur calculée est de démonstration dès qu'une de "
            "ses composantes l'est.",
            True,
        ),
        Column(
            "corrected_at",
            "Corrigée le",
            "datetime",
            "Date et heure (ISO 8601) de la dernière correction après validation ; vide si "
            "la valeur n'a pas été corrigée.",
        ),
        Column(
            "self_corrected",
            "Corrigée sans second contrôle",
            "boolean",
            "true : corrigée par une personne qui avait saisi ou validé la valeur.",
        ),
        Column(
            "derived",
            "Valeur calculée",
            "boolean",
            "true : calculée à partir des valeurs validées de ses composantes par la formule "
            "de l'indicateur (ex. cae_3.b = cae_3.a / 1000 / cae_2.a × 100), comme sur les "
            "pages du portail ; false : valeur saisie et validée.",
            True,
        ),
    ),
    primary_key=("territory", "indicator", "year"),
)


class ValueViewSet(ExportMixin, StrictQueryMixin, viewsets.ReadOnlyModelViewSet):
    """Validated observations only (drafts, submitted and superseded values are never
    public), one per territory, indicator and year."""

    serializer_class = ValueSerializer
    filterset_class = ValueFilter
    export_dataset = VALUES
    pagination_class = PublicDataPagination

    def get_queryset(self):
        return (
            IndicatorValue.objects.validated()
            .annotate(validated_by_organisation=organisation_subquery("validated_by"))
            .order_by("territory_id", "indicator_id", "year")
            .values(*VALUE_SOURCES)
        )

    def export_rows(self, queryset):
        for row in queryset.values_list(*VALUE_SOURCES).iterator(chunk_size=EXPORT_CHUNK):
            yield (*row, False)
        yield from self.derived_rows()

    def derived_rows(self):
        """The derived indicators asked for (all without an ``indicator`` filter), for
        each (territory, year) of the other filters where a component was validated,
        computed as the pages compute them (``validated_series_by_territory``)."""
        params = self.request.query_params
        asked = self.filterset_class(params, queryset=IndicatorValue.objects.none())
        asked.is_valid()
        derived = Indicator.objects.exclude(formula="").order_by("identifier")
        if asked.form.cleaned_data.get("indicator"):
            derived = derived.filter(pk__in=asked.form.cleaned_data["indicator"])
        derived = list(derived)
        if not derived:
            return
        components = {name for indicator in derived for name in indicator.components}
        others = params.copy()
        others.pop("indicator", None)
        validated = IndicatorValue.objects.validated().filter(indicator__identifier__in=components)
        pairs = (
            self.filterset_class(others, queryset=validated)
            .qs.order_by()
            .values_list("territory_id", "year")
            .annotate(at=Max("validated_at"), demo=Max(Cast("is_demo", IntegerField())))
        )
        latest = {(territory, year): at for territory, year, at, _demo in pairs}
        demo = {(territory, year) for territory, year, _at, is_demo in pairs if is_demo}
        territories = Territory.objects.filter(
            pk__in={territory for territory, _year in latest}
        ).order_by("pk")
        series = validated_series_by_territory(territories, derived)
        for territory in territories:
            for indicator in derived:
                for year, value in series[territory.pk][indicator.identifier]:
                    if (territory.pk, year) not in latest:
                        continue
                    yield (
                        None,
                        territory.pk,
                        territory.kind,
                        territory.code,
                        territory.siren,
                        territory.siren_verified,
                        territory.name,
                        indicator.identifier,
                        indicator.unit,
                        year,
                        rounded(value, VALUE_PLACES),
                        f"Calcul : {indicator.formula}",
                        latest[territory.pk, year],
                        None,
                        (territory.pk, year) in demo,
                        None,
                        False,
                        True,
                    )

    @export_schema(ValueSerializer)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
