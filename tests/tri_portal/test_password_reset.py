"""Forgotten password: the e-mail names the account; requests are throttled per address
(one e-mail per 5 minutes, three per hour) and per client (ten requests per hour); the
answer never tells whether an account exists; setting the new password through the
e-mailed link revokes the person's API tokens and closes their sessions."""

import os
import re
import time
import types
import uuid

import pytest
from django.core import mail
from django.core.cache.backends import base, locmem
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import UserFactory, log_in
from tri_portal.models import ApiToken

PASSWORD = "mot-de-passe-solide-2026"
NEW_PASSWORD = "un-nouveau-mot-de-passe-2026"
ADDRESS = "referent@fourmies.example"
DONE = "Si un compte correspond à cette adresse"
TOO_MANY = "Trop de demandes de nouveau mot de passe"

pytestmark = pytest.mark.django_db


@pytest.fixture
def referent():
    return UserFactory(username="referent.fourmies", email=ADDRESS)


@pytest.fixture
def later(monkeypatch):
    """Move the in-memory cache's clock some seconds forward (from now): what it held
    for less than that has expired."""
    real_time = time.time

    def move(seconds):
        clock = types.SimpleNamespace(time=lambda: real_time() + seconds)
        monkeypatch.setattr(base, "time", clock)  # expiry dates of what is stored
        monkeypatch.setattr(locmem, "time", clock)  # "has it expired?"

    return move


def client_from(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def ask(client, email=ADDRESS, **extra):
    return client.post(reverse("password_reset"), {"email": email}, **extra)


def reset_link(message) -> str:
    return re.search(r"http://testserver(/compte/reset/\S+)", message.body).group(1)


def test_the_email_names_the_account(client, referent):
    ask(client)

    [message] = mail.outbox
    assert "votre compte (referent.fourmies)" in message.body
    assert "()" not in message.body


def test_a_known_and_an_unknown_address_get_the_same_answer(referent):
    known = ask(client_from("10.0.0.1"), follow=True)
    unknown = ask(client_from("10.0.0.2"), "personne@example.org", follow=True)

    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert known.content == unknown.content
    assert DONE in known.content.decode()
    assert len(mail.outbox) == 1


def test_three_quick_requests_for_one_address_send_one_email(client, referent):
    responses = [ask(client) for _ in range(3)]

    assert len(mail.outbox) == 1
    # The throttled requests get the very same answer as the one that sent it.
    assert {(r.status_code, r["Location"]) for r in responses} == {
        (302, reverse("password_reset_done"))
    }


def test_the_address_is_throttled_whatever_its_case_and_whichever_client_asks(referent):
    ask(client_from("10.0.0.1"))
    ask(client_from("10.0.0.2"), ADDRESS.upper())

    assert len(mail.outbox) == 1


def test_one_email_per_address_every_five_minutes_and_three_per_hour(client, referent, later):
    ask(client)
    later(4 * 60)
    ask(client)
    assert len(mail.outbox) == 1

    for minutes in (6, 12, 18):
        later(minutes * 60)
        ask(client)

    assert len(mail.outbox) == 3  # the fourth within the hour is not sent
    later(61 * 60)
    ask(client)
    assert len(mail.outbox) == 4


def test_an_unknown_address_is_throttled_like_a_known_one(client, referent):
    """Otherwise the throttling itself would tell which addresses have an account."""
    first = ask(client, "personne@example.org")
    second = ask(client, "personne@example.org")

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_one_client_gets_a_french_429_after_ten_requests_an_hour(referent, later):
    attacker = client_from("10.0.0.66")
    statuses = [ask(attacker, f"personne{n}@example.org").status_code for n in range(10)]

    response = ask(attacker, ADDRESS)

    assert statuses == [302] * 10
    assert response.status_code == 429
    assert TOO_MANY in response.content.decode()
    assert "réessayez dans 60 minutes" in response.content.decode()
    assert response["Retry-After"] == "3600"
    assert mail.outbox == []
    # Another client is not concerned, and the limit ends with the hour.
    assert ask(client_from("10.0.0.2"), ADDRESS).status_code == 302
    assert len(mail.outbox) == 1
    later(61 * 60)
    assert ask(attacker, "personne@example.org").status_code == 302


def test_behind_one_proxy_clients_are_told_apart_by_the_address_the_proxy_saw(referent, settings):
    """The proxy appends the address it received the request from to X-Forwarded-For;
    what the client wrote there itself is ignored."""
    settings.NUM_PROXIES = 1
    proxy = client_from("172.18.0.2")
    for n in range(10):
        ask(proxy, f"personne{n}@example.org", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.7")

    assert ask(proxy, ADDRESS, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    assert ask(proxy, ADDRESS, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 302
    assert len(mail.outbox) == 1


def test_without_a_declared_proxy_a_forged_forwarded_address_does_not_escape(referent):
    attacker = client_from("10.0.0.66")
    for n in range(10):
        ask(attacker, f"personne{n}@example.org", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    assert ask(attacker, ADDRESS, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 429


def test_a_form_error_is_shown_in_french_and_sends_nothing(client, referent):
    response = ask(client, "pas-une-adresse")

    assert response.status_code == 200
    assert "Saisissez une adresse e-mail valide." in response.content.decode()
    assert mail.outbox == []


def test_the_reset_pages_say_tokens_are_revoked_and_sessions_closed(client, referent):
    ask(client)
    form = client.get(reset_link(mail.outbox[0]), follow=True)
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    for page in (form, done):
        html = page.content.decode()
        assert "jetons d'API" in html
        assert "révoqués" in html
        assert "sessions" in html


def test_resetting_through_the_emailed_link_revokes_tokens_and_closes_sessions(referent):
    _token, key = ApiToken.issue(referent, "SIG de la commune")
    other_device = Client()
    assert log_in(other_device, "referent.fourmies", PASSWORD)
    assert other_device.get(reverse("api_tokens")).status_code == 200
    browser = Client()
    ask(browser)

    form = browser.get(reset_link(mail.outbox[0]), follow=True)
    done = browser.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert done.status_code == 302
    assert not ApiToken.objects.get(user=referent).is_active
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/reports/").status_code == 401
    # The session opened elsewhere before the reset is over.
    response = other_device.get(reverse("api_tokens"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert log_in(browser, "referent.fourmies", NEW_PASSWORD)


@pytest.mark.redis
def test_the_throttle_holds_in_the_shared_redis_cache(client, referent, settings):
    """Production counts in Redis (CACHE_URL): the same limits hold there (keys of this
    run under their own prefix; they expire within the hour)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "kit.cache.RedisCache",
            "LOCATION": os.environ["CELERY_BROKER_URL"],
            "KEY_PREFIX": f"test-reset-{uuid.uuid4().hex}",
        }
    }

    statuses = [ask(client).status_code for _ in range(3)]

    assert statuses == [302] * 3
    assert len(mail.outbox) == 1


def test_without_the_shared_cache_the_reset_page_says_so_in_french_and_sends_nothing(
    client, referent, settings
):
    """The counters live in Redis in production: when it cannot be reached, the request
    is refused with a French 503 (neither a 500 nor an unthrottled e-mail)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }

    response = ask(client)

    assert response.status_code == 503
    assert "momentanément indisponible" in response.content.decode()
    assert response["Retry-After"]
    assert mail.outbox == []
