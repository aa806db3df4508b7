from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from tri_portal.models import ApiToken, hash_key

LAST_USED_RESOLUTION = timedelta(minutes=5)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <key>`` (or ``Bearer <key>``) with a personal token."""

    keywords = ("token", "bearer")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("En-tête Authorization invalide : attendu « Token <jeton> ».")
            )
        try:
            key = header[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Jeton invalide.")) from exc
        token = (
            ApiToken.objects.active().select_related("user").filter(key_hash=hash_key(key)).first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("Jeton invalide ou révoqué."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return "Token"


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "jeton"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": str(
                _(
                    "Jeton personnel créé dans l'espace référent (« Jetons d'API »), "
                    "envoyé sous la forme « Token <jeton> »."
                )
            ),
        }


class SessionAuthentication(authentication.SessionAuthentication):
    """A browser session (Swagger UI "Try it out"), with a French CSRF refusal."""

    def enforce_csrf(self, request):
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as exc:
            raise exceptions.PermissionDenied(
                _("Jeton CSRF absent ou invalide : rechargez la page et réessayez.")
            ) from exc


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = SessionAuthentication
    name = "session"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
