from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = _("Indicateurs")

    def ready(self):
        from django.db.backends.signals import connection_created

        from indicators.sqlite import add_bit_or

        connection_created.connect(add_bit_or, dispatch_uid="indicators-sqlite-bit-or")
