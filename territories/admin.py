from django import forms
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
from territories.services import GROUPING_KINDS, rebuild_closure


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


class TerritoryAdminForm(forms.ModelForm):
    """Staff set the official SIREN of a territory created with a demo one: for an EPCI
    or a syndicat the SIREN is also its official code, and a SIREN changed to a valid
    one (the field checks its Luhn key) is official from then on. (The admin builds
    its Meta from the fieldsets.)"""

    def clean(self):
        cleaned = super().clean()
        siren = cleaned.get("siren")
        kind = cleaned.get("kind")
        if self.instance.pk and siren and "siren" in self.changed_data:
            if kind in GROUPING_KINDS and cleaned.get("code") == self.instance.code:
                cleaned["code"] = siren
                self.instance.code = siren
            self.instance.siren_verified = True
        return cleaned


@admin.register(Territory)
class TerritoryAdmin(SimpleHistoryAdmin):
    form = TerritoryAdminForm
    list_display = ["name", "kind", "code", "siren", "siren_verified", "nature_label", "population"]
    list_filter = ["kind", "epci_nature", "syndicat_nature", DepartementFilter]
    search_fields = ["name", "=code", "=siren", "slug"]
    readonly_fields = ["siren_verified", "listed_population", "updated_at"]
    prepopulated_fields = {"slug": ["name", "code"]}
    inlines = [MemberInline, OfficerAssignmentInline]
    list_per_page = 50
    fieldsets = [
        (None, {"fields": ["kind", "name", "code", "siren", "siren_verified", "slug"]}),
        (_("Nature"), {"fields": ["epci_nature", "syndicat_nature"]}),
        (
            _("Population"),
            {"fields": ["population", "population_year", "listed_population", "updated_at"]},
        ),
    ]

    @admin.display(description=_("nature"))
    def nature_label(self, obj):
        return obj.nature_label

    def get_readonly_fields(self, request, obj=None):
        """The population of a territory holding communes is the sum of theirs,
        recomputed with its members: not typed in."""
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.kind != TerritoryKind.COMMUNE:
            fields += ["population", "population_year"]
        return fields

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
