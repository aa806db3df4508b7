from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from territories.models import (
    ImportRun,
    Membership,
    OfficerAssignment,
    Territory,
    TerritoryKind,
)
from territories.services import rebuild_closure


class DepartementFilter(admin.SimpleListFilter):
    title = _("département")
    parameter_name = "departement"
    territory_path = ""  # e.g. "territory__" to filter contracts by their territory

    def lookups(self, request, model_admin):
        return [
            (t.code, f"{t.code} — {t.name}")
            for t in Territory.objects.filter(kind=TerritoryKind.DEPARTEMENT).order_by("code")
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        path = f"{self.territory_path}ancestor_links__ancestor"
        return queryset.filter(
            **{f"{path}__kind": TerritoryKind.DEPARTEMENT, f"{path}__code": self.value()}
        )


class MemberInline(admin.TabularInline):
    model = Membership
    fk_name = "parent"
    autocomplete_fields = ["child"]
    extra = 0
    verbose_name = _("membre")
    verbose_name_plural = _("membres directs")


class OfficerAssignmentInline(admin.TabularInline):
    model = OfficerAssignment
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(Territory)
class TerritoryAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "code", "siren", "nature_label", "population"]
    list_filter = ["kind", "epci_nature", "syndicat_nature", DepartementFilter]
    search_fields = ["name", "=code", "=siren", "slug"]
    readonly_fields = ["updated_at"]
    prepopulated_fields = {"slug": ["name", "code"]}
    inlines = [MemberInline, OfficerAssignmentInline]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["kind", "name", "code", "siren", "slug"]}),
        (_("Nature"), {"fields": ["epci_nature", "syndicat_nature"]}),
        (_("Population"), {"fields": ["population", "population_year", "updated_at"]}),
    ]

    @admin.display(description=_("nature"))
    def nature_label(self, obj):
        return obj.nature_label

    def save_related(self, request, form, formsets, change):
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            rebuild_closure()


@admin.register(OfficerAssignment)
class OfficerAssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["user", "territory", "created_at"]
    search_fields = ["user__username", "user__email", "territory__name", "=territory__code"]
    autocomplete_fields = ["user", "territory"]
    list_select_related = ["user", "territory"]


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = [
        "scope",
        "data_version",
        "finished_at",
        "territories_created",
        "territories_updated",
        "memberships_added",
        "memberships_removed",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
