from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from indicators.models import Indicator, IndicatorValue


@admin.register(Indicator)
class IndicatorAdmin(SimpleHistoryAdmin):
    list_display = [
        "identifier",
        "name",
        "unit",
        "theme",
        "direction",
        "aggregation",
        "is_key",
        "origin",
    ]
    list_filter = ["theme", "direction", "aggregation", "is_key", "origin"]
    search_fields = ["identifier", "name"]
    ordering = ["identifier"]


@admin.register(IndicatorValue)
class IndicatorValueAdmin(SimpleHistoryAdmin):
    """Observations are read here; they are entered in progress reports and become
    validated only when their report is validated."""

    list_display = ["territory", "indicator", "year", "value", "status", "validated_at", "is_demo"]
    list_filter = ["status", "year", "indicator__is_key", "is_demo", "indicator"]
    search_fields = ["territory__name", "=territory__code", "indicator__identifier"]
    list_select_related = ["territory", "indicator"]
    readonly_fields = [
        "territory",
        "indicator",
        "year",
        "value",
        "source",
        "comment",
        "status",
        "report",
        "is_demo",
        "entered_by",
        "entered_at",
        "validated_by",
        "validated_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
