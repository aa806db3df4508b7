"""Login protection. Failures are counted per username *and* client address: after
LOGIN_FAILURE_LIMIT (5) failures, that account is locked from that address (French
page, HTTP 429) for LOGIN_LOCKOUT_MINUTES (15), while the same account from elsewhere
and the other accounts from that address still work. Two wider limits stop an attacker
who spreads guesses out: an address with LOGIN_ADDRESS_FAILURE_LIMIT (20) failures is
locked for every account, an account with LOGIN_ACCOUNT_FAILURE_LIMIT (50) failures
is locked from every address. A success resets the count; the admin login is covered.

The client address is REMOTE_ADDR, or behind NUM_PROXIES reverse proxies the one the
last proxy appended to X-Forwarded-For (the right-most NUM_PROXIES entries are
trusted, anything the client wrote itself is ignored); the API throttle resolves the
same address. Weak passwords are refused."""

import io
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.throttling import AnonRateThrottle

from tests.factories import UserFactory, log_in
from tri_portal.security import client_ip

PASSWORD = "mot-de-passe-solide-2026"
LOCKED = "Connexion temporairement bloquée"
WRONG = "Saisissez un nom d’utilisateur et un mot de passe valides"
PROXY = "172.18.0.5"  # the reverse proxy in front of gunicorn (docker-compose network)

pytestmark = [pytest.mark.django_db, pytest.mark.fault]


def client_from(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def behind_proxy(address: str, *forged: str) -> Client:
    """A browser at ``address`` reaching the portal through PROXY, which appends the
    address it sees to whatever X-Forwarded-For the browser sent (``forged``)."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=", ".join([*forged, address]))


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


@pytest.fixture
def one_proxy(settings):
    """The docker-compose deployment: one reverse proxy in front of the portal."""
    settings.NUM_PROXIES = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


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
    assert "Trop de tentatives de connexion ont échoué." in html
    assert "la connexion est bloquée pendant 15 minutes" in html
    assert f'href="{reverse("password_reset")}"' in html
    assert '<html lang="fr">' in html
    assert "_auth_user_id" not in client.session
    assert "sessionid" not in response.cookies
    assert not log_in(client, "referent.fourmies", PASSWORD)


def test_the_fifth_failure_already_answers_with_the_lockout_page(client, referent):
    statuses = fail(client, "referent.fourmies", 5)

    assert statuses == [200, 200, 200, 200, 429]


def test_a_locked_account_still_opens_from_another_address(referent):
    fail(client_from("10.0.0.66"), "referent.fourmies", 5)

    assert log_in(client_from("10.0.0.2"), "referent.fourmies", PASSWORD)


def test_another_account_from_the_same_address_is_not_locked(referent, other):
    office = client_from("10.0.0.1")
    fail(office, "referent.fourmies", 5)

    assert attempt(office, "referent.fourmies", PASSWORD).status_code == 429
    assert log_in(office, "referent.lens", PASSWORD)


def test_another_account_from_another_address_is_not_affected(referent, other):
    fail(client_from("10.0.0.1"), "referent.fourmies", 5)

    assert log_in(client_from("10.0.0.2"), "referent.lens", PASSWORD)


def test_retrying_a_locked_account_does_not_lock_the_colleagues_at_the_same_address(
    referent, other
):
    """Attempts refused by the lock are not counted: one person insisting cannot push
    the shared office address over the address limit."""
    office = client_from("10.0.0.1")
    fail(office, "referent.fourmies", 30)

    assert log_in(client_from("10.0.0.1"), "referent.lens", PASSWORD)


def test_trying_many_user_names_from_one_address_locks_that_address(other):
    """Password spraying: 4 guesses on each of 5 accounts reach the address limit (20)."""
    attacker = client_from("10.0.0.66")
    names = ("admin", "agent.region", "referent.arras", "referent.sambre", "root")
    statuses = [status for name in names for status in fail(attacker, name, 4)]

    assert statuses[:19] == [200] * 19
    assert statuses[19] == 429
    assert attempt(attacker, "referent.lens", PASSWORD).status_code == 429
    assert not log_in(attacker, "referent.lens", PASSWORD)
    assert log_in(client_from("10.0.0.2"), "referent.lens", PASSWORD)  # the account is fine


def test_guessing_one_password_from_many_addresses_locks_that_account(referent, other):
    """A distributed attack: 4 guesses from each of 13 addresses reach the account
    limit (50); the account is then locked from everywhere, the others are not."""
    statuses = [
        status
        for n in range(13)
        for status in fail(client_from(f"203.0.113.{n}"), "referent.fourmies", 4)
    ]

    assert statuses[:49] == [200] * 49
    assert statuses[49] == 429
    assert attempt(client_from("10.0.0.2"), "referent.fourmies", PASSWORD).status_code == 429
    assert log_in(client_from("10.0.0.2"), "referent.lens", PASSWORD)


def test_a_forged_x_forwarded_for_does_not_escape_the_lockout_without_a_proxy(other, settings):
    """Without a declared proxy (NUM_PROXIES=0, the default) the header is not trusted."""
    settings.NUM_PROXIES = 0
    attacker = client_from("10.0.0.66")
    for n in range(5):
        attacker.post(
            reverse("login"),
            {"username": "referent.lens", "password": "faux"},
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


# --- behind one reverse proxy (NUM_PROXIES=1) ----------------------------------------


def test_behind_the_proxy_one_clients_failures_do_not_lock_another_client(
    one_proxy, referent, other
):
    fail(behind_proxy("203.0.113.10"), "referent.fourmies", 5)

    assert attempt(behind_proxy("203.0.113.10"), "referent.fourmies", PASSWORD).status_code == 429
    assert log_in(behind_proxy("198.51.100.20"), "referent.lens", PASSWORD)
    assert log_in(behind_proxy("198.51.100.20"), "referent.fourmies", PASSWORD)


def test_behind_the_proxy_the_same_user_from_the_same_client_is_locked_after_five(
    one_proxy, referent, other
):
    statuses = fail(behind_proxy("203.0.113.10"), "referent.fourmies", 5)

    assert statuses == [200, 200, 200, 200, 429]
    assert not log_in(behind_proxy("203.0.113.10"), "referent.fourmies", PASSWORD)
    assert log_in(behind_proxy("203.0.113.10"), "referent.lens", PASSWORD)


@pytest.mark.parametrize(
    "forged",
    [
        ["198.51.100.1"],
        ["198.51.100.1", "198.51.100.2"],
        ['"198.51.100.1'],  # an unclosed quote must not swallow the proxy's own entry
        ["for=198.51.100.1"],
        ["garbage"],
    ],
    ids=["one-hop", "two-hops", "unclosed-quote", "rfc7239-form", "not-an-address"],
)
def test_behind_the_proxy_a_forged_hop_does_not_escape_the_lock(one_proxy, other, forged):
    for n in range(5):
        attempt(
            behind_proxy("203.0.113.66", *[f"{hop}{n}" for hop in forged]), "referent.lens", "faux"
        )

    escaping = behind_proxy("203.0.113.66", *forged)

    assert attempt(escaping, "referent.lens", PASSWORD).status_code == 429
    assert AccessAttempt.objects.get().ip_address == "203.0.113.66"


# --- the client address ---------------------------------------------------------------

ADDRESSES = [
    # (NUM_PROXIES, X-Forwarded-For the portal receives, the client's address)
    (0, None, PROXY),
    (0, "198.51.100.1", PROXY),
    (1, None, PROXY),
    (1, "203.0.113.10", "203.0.113.10"),
    (1, "198.51.100.1, 203.0.113.10", "203.0.113.10"),
    (1, "198.51.100.1,203.0.113.10", "203.0.113.10"),
    (1, '"198.51.100.1, 203.0.113.10', "203.0.113.10"),
    (1, "198.51.100.1, 2001:db8::10", "2001:db8::10"),
    (2, "198.51.100.1, 203.0.113.10, 10.0.0.3", "203.0.113.10"),
]


@pytest.mark.parametrize(("proxies", "forwarded", "expected"), ADDRESSES)
def test_the_client_address_is_the_one_the_trusted_proxies_appended(
    settings, proxies, forwarded, expected
):
    settings.NUM_PROXIES = proxies
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, **headers)

    assert client_ip(request) == expected
    assert AnonRateThrottle().get_ident(request) == expected  # the API throttle agrees


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
