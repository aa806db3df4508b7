from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from indicators.forms import RelativeObjectiveFormMixin
from indicators.models import (
    Aggregate,
    Indicator,
    IndicatorValue,
    PendingRecompute,
    RecomputeRun,
    RegionalGoal,
)
from territories.models import Territory, TerritoryKind


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
        "max_change_percent",
        "is_cumulative",
    ]
    list_filter = ["theme", "direction", "aggregation", "is_key", "origin", "is_cumulative"]
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
        "justification",
        "corrected_by",
        "corrected_at",
        "self_corrected",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "correction_link"]

    @admin.display(description=_("correction"))
    def correction_link(self, obj):
        if obj.status != "validated":
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("correct_value", args=[obj.pk]),
            _("Corriger cette valeur (motif requis)"),
        )


@admin.register(Aggregate)
class AggregateAdmin(admin.ModelAdmin):
    """Materialised aggregates: computed, never edited (see the staff dashboard)."""

    list_display = [
        "scope",
        "indicator",
        "year",
        "value",
        "covered_population",
        "contributors",
        "conflict_count",
        "computed_at",
        "is_demo",
    ]
    list_filter = ["is_demo", "indicator__is_key", "scope__kind", "year", "indicator"]
    search_fields = ["scope__name", "=scope__code", "indicator__identifier"]
    list_select_related = ["scope", "indicator"]

    @admin.display(description=_("chevauchements"))
    def conflict_count(self, obj):
        return len(obj.conflicts)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RecomputeRun)
class RecomputeRunAdmin(admin.ModelAdmin):
    list_display = [
        "finished_at",
        "trigger",
        "indicators",
        "aggregates_written",
        "conflicts",
        "pending_handled",
    ]
    list_filter = ["trigger"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PendingRecompute)
class PendingRecomputeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "indicator", "year", "territory"]
    list_select_related = ["indicator", "territory"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RegionalGoalForm(RelativeObjectiveFormMixin, forms.ModelForm):
    class Meta:
        model = RegionalGoal
        fields = [
            "territory",
            "indicator",
            "baseline_year",
            "baseline_value",
            "target_year",
            "target_value",
            "relative_change_text",
            "adopted_by",
            "is_demo",
        ]


@admin.register(RegionalGoal)
class RegionalGoalAdmin(SimpleHistoryAdmin):
    """The region's own long-term goals (not contracts): entered as absolute values or
    as a relative change from the reference year."""

    form = RegionalGoalForm
    list_display = [
        "territory",
        "indicator",
        "baseline_year",
        "baseline_value",
        "target_year",
        "target_value",
        "entered_as",
        "adopted_by",
        "is_demo",
    ]
    list_filter = ["territory", "is_demo"]
    list_select_related = ["territory", "indicator"]
    search_fields = ["indicator__identifier", "indicator__name", "adopted_by"]
    autocomplete_fields = ["indicator"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "territory":  # a goal is set for a region
            kwargs["queryset"] = Territory.objects.filter(kind=TerritoryKind.REGION)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
