"""The client's address, login protection (django-axes hooks) and refusal of NUL
characters in requests."""

from django.conf import settings
from django.db.models import Q, Sum
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from python_ipware import IpWare

USERNAME_MAX = 150  # as django.contrib.auth's User.username

# Reads one X-Forwarded-For entry as an address (port, brackets and IPv4-mapped IPv6
# forms normalised); which entry to trust is decided by client_ip, not by the parser.
_ONE_HOP = IpWare(precedence=("HTTP_X_FORWARDED_FOR",), proxy_count=0)


def client_ip(request) -> str | None:
    """The address of the client that sent ``request``: REMOTE_ADDR, or behind
    settings.NUM_PROXIES reverse proxies the entry the outermost proxy appended to
    X-Forwarded-For, i.e. the NUM_PROXIES-th from the right (each proxy appends the
    address it received the request from). Whatever the client wrote in the header
    itself sits to the left and is ignored, whatever it contains. DRF's throttles
    (REST_FRAMEWORK["NUM_PROXIES"], the same variable) pick the same entry; the login
    lockout uses this function (AXES_CLIENT_IP_CALLABLE)."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not proxies or not forwarded:
        return remote
    hops = forwarded.split(",")
    hop = hops[-min(proxies, len(hops))].strip()
    address, _trusted = _ONE_HOP.get_client_ip({"HTTP_X_FORWARDED_FOR": hop})
    return str(address) if address is not None else remote


def lockout_response(request, original_response=None, credentials=None):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/lockout.html", {"minutes": minutes}, status=429)


def axes_username(request, credentials):
    """The username axes records, cut to what a username can be (an attacker's 1 MB
    "username" must not fail the attempts table)."""
    return str((credentials or {}).get("username") or "")[:USERNAME_MAX]


def lockout_parameters(request, credentials=None) -> list:
    """What a failure counts against (AXES_LOCKOUT_PARAMETERS): the username and the
    client address together, so one person's mistakes lock neither their colleagues
    behind the same office address nor their own account elsewhere. Two wider limits
    stop an attacker who spreads guesses out: once an address has
    LOGIN_ADDRESS_FAILURE_LIMIT failures (trying many accounts), it is locked for every
    account; once an account has LOGIN_ACCOUNT_FAILURE_LIMIT failures (guessing from
    many addresses), it is locked from every address. Failures within the cool-off
    only; attempts refused by a lock are not counted (AXES_RESET_COOL_OFF_ON_FAILURE_
    DURING_LOCKOUT off), so one pair weighs at most AXES_FAILURE_LIMIT in those sums."""
    # Imported here: this module is loaded by the middleware list, and may be by code
    # that runs before the app registry is ready (axes' models are not).
    from axes.helpers import get_client_username, get_cool_off
    from axes.models import AccessAttempt

    parameters: list = [["username", "ip_address"]]
    address = getattr(request, "axes_ip_address", None) or client_ip(request)
    username = get_client_username(request, credentials)
    now = getattr(request, "axes_attempt_time", None) or timezone.now()
    counts = AccessAttempt.objects.filter(attempt_time__gte=now - get_cool_off(request)).aggregate(
        address=Sum("failures_since_start", filter=Q(ip_address=address)),
        account=Sum("failures_since_start", filter=Q(username=username)),
    )
    if (counts["address"] or 0) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
        parameters.append("ip_address")
    if (counts["account"] or 0) >= settings.LOGIN_ACCOUNT_FAILURE_LIMIT:
        parameters.append("username")
    return parameters


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
