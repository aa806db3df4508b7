"""What the values' and the aggregates' endpoints share: export chunks, the covered
share's precision, the year-range filters."""

import django_filters
from django.utils.translation import gettext_lazy as _

from indicators.filters import IndicatorListFilter
from kit.api.filters import YearFilter
from kit.api.views import StaticFormFilterSetMixin

EXPORT_CHUNK = 5000
COVERED_SHARE_PLACES = 4  # 0.1057: a share to the hundredth of a percent


class YearRangeFilterSet(StaticFormFilterSetMixin, django_filters.FilterSet):
    indicator = IndicatorListFilter(
        help_text=_("Identifiant(s) d'indicateur, séparés par des virgules (ex. cae_2.a,cae_1.a).")
    )
    year = YearFilter(help_text=_("Année."))
    year_min = YearFilter(field_name="year", lookup_expr="gte", help_text=_("Année minimale."))
    year_max = YearFilter(field_name="year", lookup_expr="lte", help_text=_("Année maximale."))
