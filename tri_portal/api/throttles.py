"""The API's throttles (named in the settings): per address for anonymous requests, per
token (or per user for a browser session) otherwise."""

from rest_framework import throttling
from rest_framework.settings import api_settings

from tri_portal.models import ApiToken


class SettingsRateMixin:
    """Read the rate from the settings at each request (not once at import), so a
    deployment or a test can change it."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class AnonThrottle(SettingsRateMixin, throttling.AnonRateThrottle):
    """Anonymous requests, per IP address."""


class TokenThrottle(SettingsRateMixin, throttling.UserRateThrottle):
    """Authenticated requests, per token (or per user for a browser session)."""

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        else:
            ident = f"user-{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
