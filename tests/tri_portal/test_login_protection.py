"""Login protection: after LOGIN_FAILURE_LIMIT (5) failures, the account and the address
are each locked (French page, HTTP 429) for LOGIN_LOCKOUT_MINUTES (15); a success resets
the count; the admin login is covered; weak passwords are refused."""

import io
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.factories import UserFactory, log_in

PASSWORD = "mot-de-passe-solide-2026"
LOCKED = "Connexion temporairement bloquée"
WRONG = "Saisissez un nom d’utilisateur et un mot de passe valides"

pytestmark = [pytest.mark.django_db, pytest.mark.fault]


def client_from(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def attempt(client, username, password, url_name="login"):
    return client.post(reverse(url_name), {"username": username, "password": password})


def fail(client, username, times, url_name="login"):
    return [attempt(client, username, "faux", url_name).status_code for _ in range(times)]


@pytest.fixture
def referent():
    return UserFactory(username="referent.fourmies")


@pytest.fixture
def other():
    return UserFactory(username="referent.lens")


def test_the_first_failures_get_the_ordinary_french_error(client, referent):
    response = attempt(client, "referent.fourmies", "faux")

    assert response.status_code == 200
    assert WRONG in response.content.decode()


def test_after_five_failures_even_the_right_password_gets_the_french_lockout_page(client, referent):
    statuses = fail(client, "referent.fourmies", 5)

    response = attempt(client, "referent.fourmies", PASSWORD)

    html = response.content.decode()
    assert statuses[:4] == [200] * 4
    assert response.status_code == 429
    assert f"<h1>{LOCKED}</h1>" in html
    assert "la connexion est bloquée pendant 15 minutes" in html
    assert f'href="{reverse("password_reset")}"' in html
    assert '<html lang="fr">' in html
    assert "_auth_user_id" not in client.session
    assert "sessionid" not in response.cookies
    assert not log_in(client, "referent.fourmies", PASSWORD)


def test_the_fifth_failure_already_answers_with_the_lockout_page(client, referent):
    statuses = fail(client, "referent.fourmies", 5)

    assert statuses == [200, 200, 200, 200, 429]


def test_a_locked_account_stays_locked_from_another_address(referent):
    fail(client_from("10.0.0.1"), "referent.fourmies", 5)
    elsewhere = client_from("10.0.0.2")

    response = attempt(elsewhere, "referent.fourmies", PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in elsewhere.session


def test_another_account_from_another_address_is_not_affected(referent, other):
    fail(client_from("10.0.0.1"), "referent.fourmies", 5)
    colleague = client_from("10.0.0.2")

    assert log_in(colleague, "referent.lens", PASSWORD)


def test_the_attacking_address_is_locked_for_every_account(referent, other):
    attacker = client_from("10.0.0.66")
    fail(attacker, "referent.fourmies", 5)

    response = attempt(attacker, "referent.lens", PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in attacker.session


def test_trying_many_user_names_from_one_address_locks_that_address(other):
    attacker = client_from("10.0.0.66")
    statuses = [
        attempt(attacker, name, "faux").status_code
        for name in ("admin", "agent.region", "referent.arras", "referent.sambre", "root")
    ]

    assert statuses[:4] == [200] * 4
    assert attempt(attacker, "referent.lens", PASSWORD).status_code == 429
    assert not log_in(attacker, "referent.lens", PASSWORD)
    assert log_in(client_from("10.0.0.2"), "referent.lens", PASSWORD)  # the account is fine


def test_a_forged_x_forwarded_for_does_not_escape_the_address_lockout(other):
    """Without a declared proxy (API_NUM_PROXIES=0) the header is not trusted."""
    attacker = client_from("10.0.0.66")
    for n in range(5):
        attacker.post(
            reverse("login"),
            {"username": f"inconnu{n}", "password": "faux"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )

    response = attacker.post(
        reverse("login"),
        {"username": "referent.lens", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )

    assert response.status_code == 429


def test_the_lockout_page_does_not_reveal_whether_the_account_exists(referent):
    real, unknown = client_from("10.0.0.1"), client_from("10.0.0.2")
    fail(real, "referent.fourmies", 5)
    fail(unknown, "personne", 5)

    pages = [
        attempt(c, name, "faux") for c, name in ((real, "referent.fourmies"), (unknown, "personne"))
    ]

    assert [p.status_code for p in pages] == [429, 429]
    assert pages[0].content == pages[1].content


def test_a_success_before_the_limit_resets_the_count(client, referent):
    fail(client, "referent.fourmies", 4)
    assert log_in(client, "referent.fourmies", PASSWORD)
    client.post(reverse("logout"))

    statuses = fail(client, "referent.fourmies", 4)

    assert statuses == [200] * 4
    assert log_in(client, "referent.fourmies", PASSWORD)


def test_the_admin_login_is_protected_too(client):
    UserFactory(username="agent.region", is_staff=True, is_superuser=True)

    statuses = fail(client, "agent.region", 5, url_name="admin:login")
    response = attempt(client, "agent.region", PASSWORD, url_name="admin:login")

    assert statuses[:4] == [200] * 4
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failures_on_the_admin_and_the_portal_login_add_up(client, referent):
    fail(client, "referent.fourmies", 3, url_name="admin:login")
    fail(client, "referent.fourmies", 2)

    assert attempt(client, "referent.fourmies", PASSWORD).status_code == 429


def test_after_the_cool_off_the_right_password_works_again(client, referent):
    fail(client, "referent.fourmies", 5)
    assert attempt(client, "referent.fourmies", PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    assert log_in(client, "referent.fourmies", PASSWORD)


def test_within_the_cool_off_the_lock_holds(client, referent):
    fail(client, "referent.fourmies", 5)

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))

    assert attempt(client, "referent.fourmies", PASSWORD).status_code == 429


def test_limit_and_duration_come_from_the_settings(client, referent, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)

    statuses = fail(client, "referent.fourmies", 3)
    response = attempt(client, "referent.fourmies", PASSWORD)

    assert statuses == [200, 200, 429]
    assert "la connexion est bloquée pendant 30 minutes" in response.content.decode()


def test_staff_can_unlock_an_account_with_the_documented_command(client, referent):
    fail(client, "referent.fourmies", 5)

    call_command("axes_reset_username", "referent.fourmies", stdout=io.StringIO())

    assert log_in(client, "referent.fourmies", PASSWORD)


# --- password validators -------------------------------------------------------------

WEAK_PASSWORDS = {
    "motdepasse": "Ce mot de passe est trop court. Il doit contenir au minimum 12 caractères.",
    "12345678": "Ce mot de passe est entièrement numérique.",
    "123456789012": "Ce mot de passe est entièrement numérique.",
    "azertyuiop": "Ce mot de passe est trop courant.",
    "referent.fourmies": "Le mot de passe est trop semblable au champ «\xa0nom d’utilisateur\xa0».",
}


def set_password_url(client, user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    response = client.get(reverse("password_reset_confirm", args=[uid, token]))
    return response.url  # …/set-password/ once the token is in the session


@pytest.mark.parametrize(("weak", "message"), WEAK_PASSWORDS.items(), ids=WEAK_PASSWORDS.keys())
def test_a_weak_password_is_refused_in_french_when_resetting(client, referent, weak, message):
    url = set_password_url(client, referent)

    response = client.post(url, {"new_password1": weak, "new_password2": weak})

    referent.refresh_from_db()
    assert response.status_code == 200
    assert response.content.decode().count(message) == 2  # in the summary and by the field
    assert referent.check_password(PASSWORD)
    assert not referent.check_password(weak)


def test_a_long_uncommon_password_is_accepted_when_resetting(client, referent):
    url = set_password_url(client, referent)
    new = "un-nouveau-mot-de-passe-2026"

    response = client.post(url, {"new_password1": new, "new_password2": new})

    referent.refresh_from_db()
    assert response.status_code == 302
    assert referent.check_password(new)


def test_a_weak_password_is_refused_when_changing_it(client, referent):
    client.force_login(referent)

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )

    referent.refresh_from_db()
    assert response.status_code == 200
    assert "Ce mot de passe est entièrement numérique." in response.content.decode()
    assert referent.check_password(PASSWORD)
