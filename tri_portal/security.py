"""Login protection (django-axes hooks) and refusal of NUL characters in requests."""

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

USERNAME_MAX = 150  # as django.contrib.auth's User.username


def lockout_response(request, original_response=None, credentials=None):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/lockout.html", {"minutes": minutes}, status=429)


def axes_username(request, credentials):
    """The username axes records, cut to what a username can be (an attacker's 1 MB
    "username" must not fail the attempts table)."""
    return str((credentials or {}).get("username") or "")[:USERNAME_MAX]


class RejectNulMiddleware:
    """A NUL character has no business in a URL or a form: PostgreSQL refuses it in
    text, so it would otherwise turn a simple search into a server error. 400 at once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in value for values in request.GET.lists() for value in values[1]
        ):
            message = _("Caractère nul refusé dans l'adresse.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
