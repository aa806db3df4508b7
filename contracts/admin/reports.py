"""Admin of progress reports: values entered through the service, and the workflow
actions (submit, validate, reject with a reason)."""

from django.contrib import admin
from django.db import transaction
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from contracts import services
from contracts.admin.bulk import run_service
from contracts.forms import RejectForm
from contracts.models import ActionUpdate, EvidenceFile, ProgressReport
from indicators.models import IndicatorValue


class ReportInline(admin.TabularInline):
    model = ProgressReport
    extra = 0
    fields = ["year", "status", "submitted_at", "reviewed_at"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


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


class ActionUpdateInline(admin.TabularInline):
    """What the officer reported for each fiche action (read only here)."""

    model = ActionUpdate
    extra = 0
    fields = ["action", "status", "progress", "spent", "narrative"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class EvidenceInline(admin.TabularInline):
    """The evidence files, each linked to the checked download view (read only here)."""

    model = EvidenceFile
    extra = 0
    fields = ["download", "file_format", "size", "uploaded_at", "uploaded_by"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("pièce"))
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.title)


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
        "comment",  # the officer's words: written through the report form, API or import
    ]
    inlines = [ReportValueInline, ActionUpdateInline, EvidenceInline]
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
