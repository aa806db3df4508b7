from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tri_portal.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Staff create tokens for other systems (the key is shown once, in a message)
    and revoke any token; the key itself is never stored."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "user__username", "prefix"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "name"]
        return ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["user", "prefix", "created_at", "last_used_at", "revoked_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            token, key = ApiToken.issue(obj.user, obj.name)
            obj.pk, obj.key_hash, obj.prefix = token.pk, token.key_hash, token.prefix
            messages.warning(
                request,
                _("Jeton créé : %(key)s — copiez-le maintenant, il ne sera plus affiché.")
                % {"key": key},
            )
            return
        super().save_model(request, obj, form, change)

    @admin.action(description=gettext_lazy("Révoquer les jetons sélectionnés"))
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        messages.success(request, _("%(n)s jeton(s) révoqué(s).") % {"n": count})
