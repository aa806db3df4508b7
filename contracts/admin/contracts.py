"""Admin of contracts (with their signatories, targets, actions, documents and
reports inline), their themes and their statistics."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models.functions import ExtractYear
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from contracts import services
from contracts.admin.bulk import run_service
from contracts.admin.documents import DocumentInline
from contracts.admin.reports import ReportInline
from contracts.admin.targets import AmendmentInline, TargetInline, warn_baseline
from contracts.life_forms import SignForm, TerminateForm
from contracts.models import Action, Contract, ContractStats, ContractTheme, Signatory, Target
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


class SignatoryInline(admin.TabularInline):
    model = Signatory
    extra = 0


class ActionInline(admin.StackedInline):
    model = Action
    extra = 0
    fields = [("title", "theme", "status", "budget"), "description"]


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
        "life_link",
        "status",
        "signed_on",
        "status_changed_at",
        "status_changed_by",
        "termination_reason",
        "terminated_on",
        "predecessor",
    ]
    fieldsets = [
        (None, {"fields": ["territory", "reference", "title", "summary", "themes"]}),
        (_("Dates"), {"fields": [("start_date", "end_date"), "duration_override_reason"]}),
        (
            _("Statut (modifiable par les actions de la liste ou la page de sa vie)"),
            {
                "fields": [
                    "life_link",
                    "status",
                    "signed_on",
                    "status_changed_at",
                    "status_changed_by",
                    "termination_reason",
                    "terminated_on",
                    "predecessor",
                ]
            },
        ),
        (_("Démonstration"), {"fields": ["is_demo"], "classes": ["collapse"]}),
    ]
    inlines = [
        SignatoryInline,
        TargetInline,
        AmendmentInline,
        ActionInline,
        DocumentInline,
        ReportInline,
    ]
    actions = ["sign", "activate", "terminate"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("themes")

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for target in formset.new_objects + [obj for obj, _fields in formset.changed_objects]:
            if isinstance(target, Target) and target.baseline_differs:
                warn_baseline(self, request, target)

    @admin.display(description=_("thématiques"))
    def theme_list(self, obj):
        return ", ".join(t.name for t in obj.themes.all())

    def _with_form(self, request, queryset, form_class, action, title, submit, apply):
        """An action asking for a date or a reason first: its form page, then
        ``apply(form.cleaned_data)`` once the form is valid."""
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            apply(form.cleaned_data)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "submit": submit,
            "form": form,
            "action": action,
            "queryset": queryset,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/contracts/contract_action_form.html", context)

    @admin.action(description=_("Signer les contrats sélectionnés (date de signature)"))
    def sign(self, request, queryset):
        def apply(data):
            run_service(
                self,
                request,
                queryset,
                services.sign_contract,
                _("%(count)d contrat(s) signé(s)."),
                signed_on=data["signed_on"],
            )

        return self._with_form(
            request, queryset, SignForm, "sign", _("Signer les contrats"), _("Signer"), apply
        )

    @admin.action(description=_("Résilier les contrats sélectionnés (motif et date)"))
    def terminate(self, request, queryset):
        def apply(data):
            run_service(
                self,
                request,
                queryset,
                services.terminate_contract,
                _("%(count)d contrat(s) résilié(s)."),
                reason=data["reason"],
                terminated_on=data["terminated_on"],
            )

        return self._with_form(
            request,
            queryset,
            TerminateForm,
            "terminate",
            _("Résilier les contrats"),
            _("Résilier"),
            apply,
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

    @admin.display(description=_("vie du contrat"))
    def life_link(self, obj):
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("staff_contract", args=[obj.pk]),
            _("Signer, avenants, évaluation finale, renouvellement"),
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
