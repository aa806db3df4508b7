from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = _("Indicateurs")

    def ready(self):
        from indicators import receivers  # noqa: F401  (connects the signal receivers)
