"""Guards that stop a production process from starting with development settings."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

DEV_KEY_MESSAGE = (
    "SECRET_KEY is the development default while DEBUG is off: set SECRET_KEY "
    "to a long random value (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
)
# The legal notice must name them (LCEN article 6): never left empty in production.
REQUIRED_LEGAL_SETTINGS = ("TRI_PUBLICATION_DIRECTOR", "TRI_CONTACT_EMAIL")


def uses_development_secret() -> bool:
    return not settings.DEBUG and settings.SECRET_KEY == settings.DEV_SECRET_KEY


def empty_legal_settings() -> list[str]:
    return [name for name in REQUIRED_LEGAL_SETTINGS if not str(getattr(settings, name)).strip()]


def empty_legal_settings_message(names: list[str]) -> str:
    return (
        f"{', '.join(names)} empty: the legal notice must name the director of publication "
        "and a contact; unset the variable for the default or give a value."
    )


def ensure_production_ready() -> None:
    """Called by wsgi.py, asgi.py and the Celery worker before serving anything."""
    if uses_development_secret():
        raise ImproperlyConfigured(DEV_KEY_MESSAGE)
    if settings.PRODUCTION and (empty := empty_legal_settings()):
        raise ImproperlyConfigured(empty_legal_settings_message(empty))


@register(Tags.security, deploy=True)
def check_secret_key(app_configs, **kwargs):
    if uses_development_secret():
        return [Error(DEV_KEY_MESSAGE, id="tri_portal.E001")]
    return []


@register(deploy=True)
def check_legal_settings(app_configs, **kwargs):
    if empty := empty_legal_settings():
        return [Error(empty_legal_settings_message(empty), id="tri_portal.E002")]
    return []
