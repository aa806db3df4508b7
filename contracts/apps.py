from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "contracts"
    verbose_name = _("Contrats d'objectifs")

    def ready(self):
        from contracts import receivers  # noqa: F401  (connects the signal receivers)
