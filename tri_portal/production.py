"""Guards that stop a production process from starting with development settings."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

DEV_KEY_MESSAGE = (
    "SECRET_KEY is the development default while DEBUG is off: set SECRET_KEY "
    "to a long random value (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
)


def uses_development_secret() -> bool:
    return not settings.DEBUG and settings.SECRET_KEY == settings.DEV_SECRET_KEY


def ensure_production_ready() -> None:
    """Called by wsgi.py, asgi.py and the Celery worker before serving anything."""
    if uses_development_secret():
        raise ImproperlyConfigured(DEV_KEY_MESSAGE)


@register(Tags.security, deploy=True)
def check_secret_key(app_configs, **kwargs):
    if uses_development_secret():
        return [Error(DEV_KEY_MESSAGE, id="tri_portal.E001")]
    return []
