from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriPortalConfig(AppConfig):
    name = "tri_portal"
    verbose_name = _("Portail TRI")

    def ready(self):
        from tri_portal import production  # noqa: F401  (registers the deploy check)
