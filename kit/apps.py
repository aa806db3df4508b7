from django.apps import AppConfig


class KitConfig(AppConfig):
    """Installed only so that Django finds the kit's template tags (``tri_format``)."""

    name = "kit"
    verbose_name = "Kit"
