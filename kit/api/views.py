"""What the API's viewsets share: strict query parameters, open-data exports of a
list, and a filter form built once per FilterSet class."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions

from kit.api import exports

COMMON_PARAMETERS = {"page", "page_size"}


class StrictQueryMixin:
    """Refuse unknown query parameters (a misspelt filter would otherwise silently
    return everything)."""

    extra_query_parameters: set[str] = set()

    def allowed_query_parameters(self) -> set[str]:
        allowed = COMMON_PARAMETERS | self.extra_query_parameters
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is not None:
            allowed |= set(filterset_class.base_filters)
        return allowed

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if getattr(self, "action", None) is None:
            return  # a method the endpoint does not have: 405 comes first
        allowed = self.allowed_query_parameters()
        errors = {}
        for name, values in request.query_params.lists():
            if name not in allowed:
                errors[name] = [_("Paramètre inconnu.")]
            elif any(value.strip() == "" for value in values):
                errors[name] = [_("Valeur vide : donnez une valeur ou retirez le paramètre.")]
        if errors:
            raise exceptions.ValidationError(dict(sorted(errors.items())))


class ExportMixin:
    """``?format=csv|xlsx`` on a list endpoint: every filtered row (not one page), as an
    open-data file streamed from the database. Subclasses give the dataset and
    ``export_rows(queryset)`` yielding one tuple per row in the dataset's column order."""

    export_dataset: "exports.OpenDataTable"

    def allowed_query_parameters(self) -> set[str]:
        return super().allowed_query_parameters() | {"format", "sep"}

    def export_rows(self, queryset):
        raise NotImplementedError

    def list(self, request, *args, **kwargs):
        fmt = request.query_params.get("format", "json")
        if fmt not in exports.FORMATS:
            raise exceptions.ValidationError(
                {"format": [_("Format inconnu : choisissez json, csv ou xlsx.")]}
            )
        separator = request.query_params.get("sep", ",")
        if separator not in exports.SEPARATORS:
            raise exceptions.ValidationError(
                {"sep": [_("Séparateur inconnu : choisissez « , » ou « ; ».")]}
            )
        if fmt == "json":
            return super().list(request, *args, **kwargs)
        self.paginator.check_parameters(request)
        queryset = self.filter_queryset(self.get_queryset())
        filename = f"{self.export_dataset.name}-{timezone.localdate().isoformat()}"
        if fmt == "csv":
            return exports.csv_response(
                self.export_dataset,
                self.export_rows(queryset),
                filename,
                separator=exports.SEPARATORS[separator],
            )
        if queryset.count() > exports.XLSX_MAX_ROWS:
            raise exceptions.ValidationError(
                {
                    "format": [
                        _(
                            "Trop de lignes pour un classeur XLSX (plus d'un million) : "
                            "filtrez davantage ou téléchargez le CSV."
                        )
                    ]
                }
            )
        return exports.xlsx_response(self.export_dataset, self.export_rows(queryset), filename)


def export_schema(serializer_class):
    """OpenAPI of an exportable list: JSON pages, or the whole CSV / XLSX file."""
    return extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=list(exports.FORMATS),
                description=_(
                    "json (par défaut, paginé), csv ou xlsx : toutes les lignes filtrées, "
                    "en fichier de données ouvertes."
                ),
            ),
            OpenApiParameter(
                "sep",
                str,
                enum=[",", ";"],
                description=_(
                    "CSV : « , » (par défaut, point décimal) ou « ; » (tableurs français : "
                    "virgule décimale, UTF-8 avec BOM)."
                ),
            ),
        ],
        responses={
            (200, "application/json"): serializer_class(many=True),
            (200, "text/csv"): OpenApiTypes.STR,
            (200, exports.XLSX_MEDIA_TYPE): OpenApiTypes.BINARY,
        },
    )


class StaticFormFilterSetMixin:
    """A FilterSet whose form class is built once per FilterSet class: django-filter
    builds a new form class, and each of its fields, at every request. Only for filters
    whose form fields depend on nothing but the class (no queryset computed from the
    request)."""

    def get_form_class(self):
        owner = type(self)
        form_class = owner.__dict__.get("_static_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            owner._static_form_class = form_class
        return form_class
