"""OpenAPI: every operation documents the error answers it can give, in the one
error format of the API (see ``base.ErrorSerializer``)."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from tri_portal.api.base import ErrorSerializer

ERRORS = {
    "400": "Paramètre ou donnée invalide (messages en français par champ).",
    "401": "Jeton absent, invalide ou révoqué.",
    "403": "Action réservée à un autre rôle (agents de la Région et de l'ADEME).",
    "404": "Ressource inexistante ou hors de votre périmètre.",
    "409": "L'état de la ressource ne permet pas cette action (rapport déjà soumis ou validé…).",
    "429": "Trop de requêtes : réessayez après le délai indiqué par l'en-tête Retry-After.",
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class PortalAutoSchema(AutoSchema):
    def error_codes(self) -> list[str]:
        codes = ["400", "401", "429"]
        if self.path_regex and "{" in self.path:
            codes.append("404")
        if self.method in WRITE_METHODS:
            codes += ["403", "404", "409"]
        elif getattr(self.view, "write_permission_errors", False):
            codes.append("403")
        return sorted(set(codes))

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self.error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERRORS[code]), code
                )
        if "429" in responses:
            responses["429"].setdefault("headers", {})["Retry-After"] = {
                "schema": {"type": "integer"},
                "description": "Secondes à attendre avant de réessayer.",
            }
        return responses
