"""Admin of quantified targets: entered as absolute or relative values, shown with
where they stand against their trajectory."""

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from contracts.life import validated_baseline
from contracts.models import Amendment, AmendmentChange, ContractStatus, Target
from contracts.selectors import standings_of_targets
from indicators.forms import RelativeObjectiveFormMixin
from indicators.trajectory import TargetStanding


def format_achievement(standing: TargetStanding) -> str:
    if standing.achievement is None:
        return "—"
    percent = (standing.achievement * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{number_format(percent, 0)} %"


def signed(contract) -> bool:
    return contract is not None and contract.pk and contract.status != ContractStatus.DRAFT


class BaselineCheckMixin:
    @admin.display(description=_("référence validée"))
    def baseline_check_column(self, obj):
        """The flag of a baseline typed otherwise than the validated value of its year."""
        if obj.pk is None or obj.validated_baseline_value is None:
            return "—"
        if obj.baseline_differs:
            return _("⚠ différente de la valeur validée (%(value)s)") % {
                "value": number_format(obj.validated_baseline_value)
            }
        return _("conforme")


class TargetInline(BaselineCheckMixin, admin.TabularInline):
    """Editable while the contract is a draft; read-only once signed (its targets then
    change only by an amendment, ``contracts.services.record_amendment``)."""

    model = Target
    extra = 0
    fields = [
        "indicator",
        "baseline_year",
        "baseline_value",
        "target_year",
        "target_value",
        "baseline_check_column",
        "achievement_column",
        "status_column",
    ]
    readonly_fields = ["achievement_column", "status_column", "baseline_check_column"]
    autocomplete_fields = ["indicator"]

    def get_formset(self, request, obj=None, **kwargs):
        if not signed(obj):  # read-only once signed: no form to pre-fill
            kwargs.setdefault("form", TargetForm)
        return super().get_formset(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if signed(obj):
            return [*self.fields]
        return super().get_readonly_fields(request, obj)

    def has_add_permission(self, request, obj=None):
        return not signed(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not signed(obj) and super().has_delete_permission(request, obj)

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
    """A target's baseline is pre-filled from the territory's validated value of the
    baseline year when left empty; typed otherwise, it is kept and flagged (a warning
    to staff, stored with the target: ``validated_baseline_value``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "baseline_value" in self.fields:
            self.fields["baseline_value"].required = False
            self.fields["baseline_value"].help_text = _(
                "Laissée vide : la valeur validée du territoire pour l'année de référence."
            )

    def _clean_fields(self):
        super()._clean_fields()
        data = self.cleaned_data
        contract = data.get("contract") or getattr(self.instance, "contract", None)
        self.validated_baseline = None
        if contract and data.get("indicator") and data.get("baseline_year"):
            self.validated_baseline = validated_baseline(
                contract.territory_id, data["indicator"].pk, data["baseline_year"]
            )
        if data.get("baseline_value") is None and "baseline_value" in self.fields:
            if self.validated_baseline is None:
                self.add_error(
                    "baseline_value",
                    _(
                        "Pas de valeur validée pour cette année de référence : indiquez "
                        "la valeur de référence."
                    ),
                )
            else:
                data["baseline_value"] = self.validated_baseline

    def save(self, commit=True):
        self.instance.validated_baseline_value = getattr(self, "validated_baseline", None)
        return super().save(commit)

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
class TargetAdmin(BaselineCheckMixin, SimpleHistoryAdmin):
    form = TargetForm
    list_display = [
        "contract",
        "indicator",
        "baseline_year",
        "baseline_value",
        "target_year",
        "target_value",
        "entered_as",
        "baseline_check_column",
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

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None and signed(obj.contract):  # read-only: no form to pre-fill
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, **kwargs)

    def has_change_permission(self, request, obj=None):
        """A signed contract's target is read-only: staff record an amendment."""
        if obj is not None and signed(obj.contract):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and signed(obj.contract):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.baseline_differs:
            warn_baseline(self, request, obj)


def warn_baseline(modeladmin, request, target: Target) -> None:
    """Tell staff that a saved target's baseline differs from the validated value."""
    modeladmin.message_user(
        request,
        _(
            "%(indicator)s : la valeur de référence (%(typed)s) diffère de la valeur "
            "validée de %(year)s (%(validated)s) : vérifiez-la."
        )
        % {
            "indicator": target.indicator.name,
            "typed": number_format(target.baseline_value),
            "year": target.baseline_year,
            "validated": number_format(target.validated_baseline_value),
        },
        messages.WARNING,
    )


class AmendmentChangeInline(admin.TabularInline):
    model = AmendmentChange
    extra = 0
    can_delete = False
    fields = [
        "kind",
        "target_ref",
        "indicator",
        "old_target_year",
        "old_target_value",
        "new_target_year",
        "new_target_value",
        "old_end_date",
        "new_end_date",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class AmendmentInline(admin.TabularInline):
    """A contract's amendments, read-only: recorded on the contract's life page."""

    model = Amendment
    extra = 0
    can_delete = False
    fields = ["number", "signed_on", "effective_year", "reason", "recorded_by", "recorded_at"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Amendment)
class AmendmentAdmin(SimpleHistoryAdmin):
    """Amendments are recorded by ``record_amendment`` (the contract's life page); here
    they are read, with their history (who recorded each)."""

    list_display = ["contract", "number", "signed_on", "effective_year", "recorded_by"]
    list_select_related = ["contract__territory", "recorded_by"]
    search_fields = ["contract__reference", "reason"]
    readonly_fields = [
        "contract",
        "number",
        "signed_on",
        "effective_year",
        "reason",
        "recorded_by",
        "recorded_at",
    ]
    inlines = [AmendmentChangeInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
