from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AdminFileWidget
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import ExtractYear
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from contracts import services
from contracts.models import (
    Action,
    Contract,
    ContractDocument,
    ContractStats,
    ContractTheme,
    ProgressReport,
    Signatory,
    Target,
    TargetEntry,
)
from contracts.selectors import standings_of_targets
from indicators.models import IndicatorValue
from territories.admin import DepartementFilter


class ContractDepartementFilter(DepartementFilter):
    territory_path = "territory__"


class SigningYearFilter(admin.SimpleListFilter):
    title = _("année de signature")
    parameter_name = "signe_en"

    def lookups(self, request, model_admin):
        years = (
            Contract.objects.filter(signed_on__isnull=False)
            .annotate(y=ExtractYear("signed_on"))
            .values_list("y", flat=True)
            .distinct()
            .order_by("-y")
        )
        return [(str(y), str(y)) for y in years]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if not self.value().isdigit():
            raise IncorrectLookupParameters(self.value())
        return queryset.filter(signed_on__year=int(self.value()))


def run_service(modeladmin, request, objects, service, success, **kwargs):
    """Apply a service to each selected object; each one is its own transaction."""
    done = 0
    for obj in objects:
        try:
            service(obj, request.user, **kwargs)
            done += 1
        except ValidationError as exc:
            modeladmin.message_user(request, f"{obj} : {' '.join(exc.messages)}", messages.ERROR)
    if done:
        modeladmin.message_user(request, success % {"count": done}, messages.SUCCESS)


class SignatoryInline(admin.TabularInline):
    model = Signatory
    extra = 0


class ActionInline(admin.StackedInline):
    model = Action
    extra = 0
    fields = [("title", "theme", "status", "budget"), "description"]


class ServedFile:
    """What the file widget links to: the permission-checked download, since uploaded
    files are not served under MEDIA_URL."""

    def __init__(self, document: ContractDocument):
        self.url = document.get_absolute_url()
        self.name = document.file.name

    def __str__(self):
        return self.name


class DocumentFileWidget(AdminFileWidget):
    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        document = getattr(value, "instance", None)
        if context["widget"]["is_initial"] and document is not None and document.pk:
            context["widget"]["value"] = ServedFile(document)
        return context


class DocumentInline(admin.TabularInline):
    model = ContractDocument
    extra = 0
    fields = ["title", "file", "public", "size_column"]
    readonly_fields = ["size_column"]
    formfield_overrides = {models.FileField: {"widget": DocumentFileWidget}}

    @admin.display(description=_("taille"))
    def size_column(self, obj):
        return filesizeformat(obj.size) if obj.size is not None else "—"


def format_achievement(standing) -> str:
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


def standing_of(target: Target):
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


def status_label(standing) -> str:
    return str(STATUS_LABELS[standing.status])


class TargetChangeList(ChangeList):
    """Computes where a whole page of targets stands in two queries."""

    def get_results(self, request):
        super().get_results(request)
        standings = standings_of_targets(self.result_list)
        for target in self.result_list:
            target._standing = standings[target.pk]


class ReportInline(admin.TabularInline):
    model = ProgressReport
    extra = 0
    fields = ["year", "status", "submitted_at", "reviewed_at"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ContractTheme)
class ContractThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Contract)
class ContractAdmin(SimpleHistoryAdmin):
    list_display = [
        "reference",
        "territory",
        "status",
        "signed_on",
        "start_date",
        "end_date",
        "theme_list",
    ]
    list_filter = [
        "status",
        "kind",
        ContractDepartementFilter,
        "themes",
        SigningYearFilter,
        "is_demo",
    ]
    search_fields = [
        "reference",
        "title",
        "territory__name",
        "=territory__code",
        "=territory__siren",
    ]
    list_select_related = ["territory"]
    autocomplete_fields = ["territory"]
    filter_horizontal = ["themes"]
    readonly_fields = [
        "status",
        "signed_on",
        "status_changed_at",
        "status_changed_by",
        "termination_reason",
    ]
    fieldsets = [
        (None, {"fields": ["kind", "territory", "reference", "title", "summary", "themes"]}),
        (_("Dates"), {"fields": [("start_date", "end_date"), "duration_override_reason"]}),
        (
            _("Statut (modifiable par les actions de la liste)"),
            {
                "fields": [
                    "status",
                    "signed_on",
                    "status_changed_at",
                    "status_changed_by",
                    "termination_reason",
                ]
            },
        ),
        (_("Démonstration"), {"fields": ["is_demo"], "classes": ["collapse"]}),
    ]
    inlines = [SignatoryInline, TargetInline, ActionInline, DocumentInline, ReportInline]
    actions = ["sign", "activate", "complete"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("themes")

    @admin.display(description=_("thématiques"))
    def theme_list(self, obj):
        return ", ".join(t.name for t in obj.themes.all())

    @admin.action(description=_("Signer les contrats sélectionnés (date du jour)"))
    def sign(self, request, queryset):
        run_service(
            self, request, queryset, services.sign_contract, _("%(count)d contrat(s) signé(s).")
        )

    @admin.action(description=_("Mettre en cours les contrats sélectionnés"))
    def activate(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            services.activate_contract,
            _("%(count)d contrat(s) mis en cours."),
        )

    @admin.action(description=_("Clore (achevé) les contrats sélectionnés"))
    def complete(self, request, queryset):
        run_service(
            self,
            request,
            queryset,
            services.complete_contract,
            _("%(count)d contrat(s) achevé(s)."),
        )


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


class ReportValueInline(admin.TabularInline):
    model = IndicatorValue
    fk_name = "report"
    extra = 0
    fields = ["indicator", "value", "source", "comment", "status"]
    readonly_fields = ["status"]
    autocomplete_fields = ["indicator"]

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.is_editable

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Motif du rejet"), widget=forms.Textarea, required=True)


@admin.register(ProgressReport)
class ProgressReportAdmin(SimpleHistoryAdmin):
    list_display = ["contract", "year", "status", "submitted_at", "submitted_by", "reviewed_at"]
    list_filter = ["status", "year"]
    search_fields = [
        "contract__reference",
        "contract__territory__name",
        "=contract__territory__code",
    ]
    list_select_related = ["contract__territory", "submitted_by"]
    autocomplete_fields = ["contract"]
    readonly_fields = [
        "status",
        "submitted_at",
        "submitted_by",
        "reviewed_at",
        "reviewed_by",
        "rejection_reason",
    ]
    inlines = [ReportValueInline]
    actions = ["submit", "validate", "reject"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "contract", "year"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.full_clean()
            services.check_report_year(obj.contract, obj.year)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        """Report values go through the service (checks, draft status, history)."""
        if formset.model is not IndicatorValue:
            return super().save_formset(request, form, formset, change)
        entries = [
            services.ReportedValue(
                indicator=f.cleaned_data["indicator"],
                value=None if f.cleaned_data.get("DELETE") else f.cleaned_data["value"],
                source=f.cleaned_data.get("source", ""),
                comment=f.cleaned_data.get("comment", ""),
            )
            for f in formset.forms
            if f.cleaned_data and (f.has_changed() or f.cleaned_data.get("DELETE"))
        ]
        with transaction.atomic():
            services.save_report_values(form.instance, entries, request.user)

    @admin.action(description=_("Soumettre les rapports sélectionnés"))
    def submit(self, request, queryset):
        run_service(
            self, request, queryset, services.submit_report, _("%(count)d rapport(s) soumis.")
        )

    @admin.action(description=_("Valider les rapports sélectionnés (publie leurs valeurs)"))
    def validate(self, request, queryset):
        run_service(
            self, request, queryset, services.validate_report, _("%(count)d rapport(s) validé(s).")
        )

    @admin.action(description=_("Rejeter les rapports sélectionnés (motif requis)"))
    def reject(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            run_service(
                self,
                request,
                queryset,
                services.reject_report,
                _("%(count)d rapport(s) rejeté(s)."),
                reason=form.cleaned_data["reason"],
            )
            return None
        return render(
            request,
            "admin/contracts/reject_reports.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "reports": queryset,
                "title": _("Rejeter des rapports d'avancement"),
                "opts": self.model._meta,
            },
        )


@admin.register(ContractStats)
class ContractStatsAdmin(admin.ModelAdmin):
    list_display = ["scope", "population", "covered_population", "computed_at"]
    readonly_fields = [
        "scope",
        "population",
        "covered_population",
        "by_status",
        "by_theme",
        "changes",
        "computed_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
