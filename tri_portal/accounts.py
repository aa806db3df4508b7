"""Accounts: what a password change does, and the throttled "forgotten password" page.

* Whenever a password is saved (reset link, change form, admin, ``manage.py
  changepassword``), the person's API tokens are revoked. Django calls the
  ``password_changed()`` hook of the password validators after it saves a password set
  with ``set_password()``, and only then (not when it re-hashes an unchanged password at
  login), so the revocation is a validator listed in ``AUTH_PASSWORD_VALIDATORS``. The
  other sessions end by themselves: a session carries a hash of the password it was
  opened with, and Django ends it when the password changes (the change form keeps the
  session that made the change).
* A reset e-mail goes to an address at most once every 5 minutes and 3 times an hour,
  and a client may ask 10 times an hour, counted in the shared cache. The page answers
  the same whether the address has an account, and whether its e-mail was held back;
  only a client over its own limit gets a 429 (that says nothing about any account).
"""

import hashlib
import logging

from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _

from tri_portal.models import ApiToken
from tri_portal.security import client_ip

logger = logging.getLogger(__name__)

# (at most this many, per this many seconds)
RESET_EMAILS_PER_ADDRESS = ((1, 5 * 60), (3, 60 * 60))
RESET_REQUESTS_PER_CLIENT = (10, 60 * 60)
RESET_UNAVAILABLE_RETRY = 5 * 60  # seconds: Retry-After when the counters cannot be read


class RevokeTokensOnPasswordChange:
    """Not a rule on passwords: the hook Django calls once a new password is saved."""

    def validate(self, password, user=None):
        return None

    def password_changed(self, password, user=None):
        if user is not None and user.pk is not None:
            revoked = ApiToken.objects.filter(user=user).revoke()
            if revoked:
                logger.info(
                    "Password changed for user %s: %s API token(s) revoked", user.pk, revoked
                )

    def get_help_text(self):
        return _(
            "Enregistrer un nouveau mot de passe révoque les jetons d'API du compte "
            "et ferme ses autres sessions."
        )


def within_limit(key: str, limit: int, seconds: int) -> bool:
    """Count one more event under ``key``: True while there have been at most ``limit``
    of them since the first one, ``seconds`` ago at most (atomic with Redis and the
    in-memory cache)."""
    cache.add(key, 0, seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between the two calls: this event starts a new window
        cache.add(key, 1, seconds)
        count = 1
    return count <= limit


def may_send_reset_email(email: str) -> bool:
    """Whether a reset e-mail may go to ``email`` now (counted whether or not an account
    has that address, so the throttling says nothing about accounts)."""
    digest = hashlib.sha256(email.strip().casefold().encode()).hexdigest()
    return all(
        within_limit(f"password-reset:address:{seconds}:{digest}", limit, seconds)
        for limit, seconds in RESET_EMAILS_PER_ADDRESS
    )


def may_request_reset(request) -> bool:
    limit, seconds = RESET_REQUESTS_PER_CLIENT
    return within_limit(f"password-reset:client:{client_ip(request)}", limit, seconds)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's page, throttled per client (429) and per address (silently)."""

    def form_valid(self, form):
        try:
            client_allowed = may_request_reset(self.request)
            email_allowed = client_allowed and may_send_reset_email(form.cleaned_data["email"])
        except Exception:  # the counters' cache (Redis) is unreachable: refuse, and say so
            logger.exception("Password reset: throttling counters unavailable")
            response = render(
                self.request, "registration/password_reset_unavailable.html", status=503
            )
            response["Retry-After"] = str(RESET_UNAVAILABLE_RETRY)
            return response
        if not client_allowed:
            logger.warning("Password reset: too many requests from one client")
            seconds = RESET_REQUESTS_PER_CLIENT[1]
            response = render(
                self.request,
                "registration/password_reset_throttled.html",
                {"minutes": seconds // 60},
                status=429,
            )
            response["Retry-After"] = str(seconds)
            return response
        if not email_allowed:
            logger.info("Password reset: e-mail held back (address throttled)")
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)
