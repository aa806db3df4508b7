"""Admin of quantified targets: entered as absolute or relative values, shown with
where they stand against their trajectory."""

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from contracts import services
from contracts.models import Target, TargetEntry
from contracts.selectors import standings_of_targets
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


class TargetForm(forms.ModelForm):
    relative_change_text = forms.CharField(
        label=_("ou objectif relatif"),
        required=False,
        help_text=_(
            "Ex. « −60 % », « +30 % » ou « ÷4 » par rapport à la valeur de référence ; remplace la valeur cible."
        ),
    )

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_value"].required = False
        target = self.instance
        if (
            target.pk
            and target.entered_as != TargetEntry.ABSOLUTE
            and target.relative_change is not None
        ):
            kind = "divide" if target.entered_as == TargetEntry.DIVIDE else "percent"
            self.initial["relative_change_text"] = services.format_relative_change(
                kind, target.relative_change
            )

    def clean(self):
        """A relative change wins unless the agent typed a new absolute target value
        and left the (pre-filled) relative change as it was."""
        data = super().clean()
        text = data.get("relative_change_text", "").strip()
        typed_absolute = (
            "target_value" in self.changed_data and "relative_change_text" not in self.changed_data
        )
        if text and not typed_absolute:
            try:
                kind, amount = services.parse_relative_change(text)
                baseline = data.get("baseline_value")
                if baseline is not None:
                    data["target_value"] = services.target_from_relative(baseline, kind, amount)
            except ValidationError as exc:
                raise ValidationError({"relative_change_text": exc.messages}) from exc
            self.instance.entered_as = (
                TargetEntry.DIVIDE if kind == "divide" else TargetEntry.PERCENT
            )
            self.instance.relative_change = amount
            self.instance.target_value = data.get("target_value")
        elif data.get("target_value") is None:
            self.add_error("target_value", _("Indiquez une valeur cible, ou un objectif relatif."))
        else:
            self.instance.entered_as = TargetEntry.ABSOLUTE
            self.instance.relative_change = None
        return data


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
    ]
    list_filter = ["indicator__is_key", "target_year", "contract__status"]
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
