from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriPortalConfig(AppConfig):
    name = "tri_portal"
    verbose_name = _("Portail TRI")

    def ready(self):
        from tri_portal import (  # noqa: F401  (deploy check, cache invalidation)
            production,
            receivers,
        )
