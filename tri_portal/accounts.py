"""Accounts: what a password change does.

Whenever a password is saved (reset link, change form, admin, ``manage.py
changepassword``), the person's API tokens are revoked. Django calls the
``password_changed()`` hook of the password validators after it saves a password set
with ``set_password()``, and only then (not when it re-hashes an unchanged password at
login), so the revocation is a validator listed in ``AUTH_PASSWORD_VALIDATORS``. The
other sessions end by themselves: a session carries a hash of the password it was
opened with, and Django ends it when the password changes (the change form keeps the
session that made the change).
"""

import logging

from django.utils.translation import gettext as _

from tri_portal.models import ApiToken

logger = logging.getLogger(__name__)


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
