"""Admin of quantified targets: entered as absolute or relative values, shown with
where they stand against their trajectory."""

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from contracts.models import Target
from contracts.selectors import standings_of_targets
from indicators.forms import RelativeObjectiveFormMixin
from indicators.trajectory import TargetStanding


def format_achievement(standing: TargetStanding) -> str:
    if standing.achievement is None:
        return "—"
    percent = (standing.achievement * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{number_format(percent, 0)} %"


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    fields = [
        "indicator",
        "baseline_year",
        "baseline_value",
        "target_year",
        "target_value",
        "achievement_column",
        "status_column",
    ]
    readonly_fields = ["achievement_column", "status_column"]
    autocomplete_fields = ["indicator"]

    @admin.display(description=_("réalisation"))
    def achievement_column(self, obj):
        return format_achievement(standing_of(obj)) if obj.pk else "—"

    @admin.display(description=_("trajectoire"))
    def status_column(self, obj):
        return status_label(standing_of(obj)) if obj.pk else "—"


def standing_of(target: Target) -> TargetStanding:
    """Where one target stands, computed once per object (list pages precompute it
    for the whole page, see TargetChangeList)."""
    if not hasattr(target, "_standing"):
        target._standing = standings_of_targets([target])[target.pk]
    return target._standing


STATUS_LABELS = {
    "on_track": _("dans la trajectoire"),
    "late": _("en retard"),
    "no_data": _("pas de donnée"),
}


def status_label(standing: TargetStanding) -> str:
    return str(STATUS_LABELS[standing.status])


class TargetChangeList(ChangeList):
    """Computes where a whole page of targets stands in two queries."""

    def get_results(self, request):
        super().get_results(request)
        standings = standings_of_targets(self.result_list)
        for target in self.result_list:
            target._standing = standings[target.pk]


class TargetForm(RelativeObjectiveFormMixin, forms.ModelForm):
    class Meta:
        model = Target
        fields = [
            "contract",
            "indicator",
            "baseline_year",
            "baseline_value",
            "target_year",
            "target_value",
            "relative_change_text",
            "comment",
        ]


@admin.register(Target)
class TargetAdmin(SimpleHistoryAdmin):
    form = TargetForm
    list_display = [
        "contract",
        "indicator",
        "baseline_year",
        "baseline_value",
        "target_year",
        "target_value",
        "entered_as",
        "achievement_column",
        "status_column",
        "alignment",
    ]
    list_filter = ["indicator__is_key", "target_year", "contract__status", "alignment"]
    search_fields = ["contract__reference", "contract__territory__name", "indicator__identifier"]
    list_select_related = ["contract__territory", "indicator"]
    autocomplete_fields = ["contract", "indicator"]

    def get_changelist(self, request, **kwargs):
        return TargetChangeList

    @admin.display(description=_("réalisation"))
    def achievement_column(self, obj):
        return format_achievement(standing_of(obj))

    @admin.display(description=_("trajectoire"))
    def status_column(self, obj):
        return status_label(standing_of(obj))
