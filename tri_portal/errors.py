"""Error answers outside the API views (an unrouted URL, a middleware's refusal, an
exception DRF does not handle): JSON ``{"detail": …}`` in French under /api/, a French
page elsewhere. Wired as ``handler400/403/404/500`` in ``tri_portal.urls``."""

import logging

from django.conf import settings
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

from tri_portal.api.views import not_found

API_PREFIX = "/api/"
logger = logging.getLogger(__name__)


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def json_error(message: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"detail": message}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def plain_500() -> str:
    """The last resort if even the 500 template cannot be rendered."""
    return format_html(
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{}</title></head>'
        '<body><main><h1>{}</h1><p>{}</p><p><a href="/">{}</a></p></main></body></html>',
        _("Erreur du serveur"),
        _("Erreur du serveur"),
        _("Une erreur inattendue s'est produite : elle est enregistrée. Réessayez plus tard."),
        _("Retour à l'accueil"),
    )


@requires_csrf_token
def bad_request(request, exception=None):
    if is_api(request):
        return json_error(_("Requête invalide."), 400)
    return render(request, "400.html", status=400)


@requires_csrf_token
def permission_denied(request, exception=None):
    if is_api(request):
        return json_error(_("Accès refusé."), 403)
    return render(request, "403.html", status=403)


@requires_csrf_token
def page_not_found(request, exception=None):
    if is_api(request):
        return not_found(request)
    return render(request, "404.html", status=404)


@requires_csrf_token
def server_error(request):
    """Rendered without the request's context (like Django's): the error may come from
    the database or the session that the context processors read."""
    if is_api(request):
        return json_error(
            _("Erreur interne du serveur : l'incident est enregistré, réessayez plus tard."),
            500,
        )
    try:
        html = loader.get_template("500.html").render({"SITE_NAME": settings.SITE_NAME})
    except Exception:
        logger.exception("500.html could not be rendered")
        html = plain_500()
    return HttpResponseServerError(html)


class FriendlyErrorPagesMiddleware:
    """With DEBUG on (``make run``), Django answers a 404 or a 500 with its technical
    pages (in English, with the settings); this puts the portal's French pages in their
    place, as production shows them. The 500's traceback is logged before (by Django's
    ``django.request`` logger), so nothing is lost. Off with TRI_TECHNICAL_ERROR_PAGES=1."""

    REPLACED = {404: page_not_found, 500: server_error}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        handler = self.REPLACED.get(response.status_code)
        if (
            handler is None
            or not settings.DEBUG
            or settings.TRI_TECHNICAL_ERROR_PAGES
            or is_api(request)
            or not response.get("Content-Type", "").startswith("text/html")
        ):
            return response
        return handler(request) if response.status_code == 500 else handler(request, None)
