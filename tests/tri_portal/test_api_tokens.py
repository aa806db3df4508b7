"""Personal API tokens: an officer creates one in their space, sees the key once,
uses it, and revokes it; staff manage tokens in the admin. Only a hash is stored."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import UserFactory, log_in
from tri_portal.api.token_views import MAX_ACTIVE_TOKENS
from tri_portal.models import ApiToken, hash_key


@pytest.fixture
def officer_client(client, db):
    user = UserFactory(username="referent.fourmies")
    client.force_login(user)
    client.user = user
    return client


PASSWORD = "mot-de-passe-solide-2026"


def create(client, name, password=PASSWORD):
    return client.post(reverse("api_tokens"), {"name": name, "password": password})


def new_key(response) -> str:
    return re.search(r'id="nouveau-jeton"[^>]*>([^<]+)<', response.content.decode()).group(1)


def api_with(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_anonymous_is_sent_to_the_login_page(client, db):
    response = client.get(reverse("api_tokens"))

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_officer_creates_a_token_sees_it_once_and_it_authenticates(officer_client):
    response = create(officer_client, "SIG de la commune")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = new_key(response)
    token = ApiToken.objects.get(user=officer_client.user)
    assert token.key_hash == hash_key(key)
    assert key not in (token.key_hash, token.prefix)
    assert api_with(key).get("/api/v1/reports/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    # The list page shows the name and the first characters only.
    page = officer_client.get(reverse("api_tokens")).content.decode()
    assert "SIG de la commune" in page
    assert token.prefix in page
    assert key not in page


def test_revoked_token_is_refused_with_a_french_401(officer_client):
    key = new_key(create(officer_client, "SIG"))
    token = ApiToken.objects.get(user=officer_client.user)

    response = officer_client.post(reverse("api_token_revoke", args=[token.pk]), follow=True)

    assert "est révoqué" in response.content.decode()
    answer = api_with(key).get("/api/v1/reports/")
    assert answer.status_code == 401
    assert answer.json() == {"detail": "Jeton invalide ou révoqué."}


def test_an_officer_cannot_revoke_someone_elses_token(officer_client):
    other, _key = ApiToken.issue(UserFactory(username="referent.arras"), "SIG d'Arras")

    response = officer_client.post(reverse("api_token_revoke", args=[other.pk]))

    assert response.status_code == 404
    other.refresh_from_db()
    assert other.is_active


@pytest.mark.parametrize("name", ["", "   ", "\x00\x07", "x" * 101])
def test_a_token_needs_a_readable_name(officer_client, name):
    response = create(officer_client, name)

    assert response.status_code == 400
    assert "rien n'a été enregistré" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_creating_a_token_asks_for_the_password_again(officer_client):
    page = officer_client.get(reverse("api_tokens")).content.decode()
    assert 'type="password"' in page
    assert "Votre mot de passe" in page

    response = create(officer_client, "SIG", password="faux")

    assert response.status_code == 400
    assert "Mot de passe incorrect." in response.content.decode()
    assert 'id="nouveau-jeton"' not in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_token_cannot_be_created_without_the_password(officer_client):
    response = officer_client.post(reverse("api_tokens"), {"name": "SIG"})

    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_wrong_passwords_on_the_token_page_count_towards_the_login_lockout(client, db):
    """A stolen session must not become a way to guess the password without limit:
    the check goes through the login protection, like the login page."""
    UserFactory(username="referent.fourmies")
    assert log_in(client, "referent.fourmies", PASSWORD)
    statuses = [create(client, "SIG", password="faux").status_code for _ in range(5)]

    response = create(client, "SIG")

    assert statuses == [400] * 4 + [429]  # the fifth failure locks, as on the login page
    assert response.status_code == 429
    assert "Connexion temporairement bloquée" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_page_says_a_password_change_revokes_the_tokens(officer_client):
    page = officer_client.get(reverse("api_tokens")).content.decode()

    assert "révoque tous vos jetons" in page
    assert f'href="{reverse("password_change")}"' in page


def test_active_tokens_per_person_are_limited(officer_client):
    for number in range(MAX_ACTIVE_TOKENS):
        ApiToken.issue(officer_client.user, f"jeton {number}")

    response = create(officer_client, "un de trop")

    assert response.status_code == 400
    assert "révoquez-en un" in response.content.decode()
    assert ApiToken.objects.count() == MAX_ACTIVE_TOKENS


def test_token_of_a_deactivated_account_no_longer_works(db):
    user = UserFactory(username="referent.parti")
    _token, key = ApiToken.issue(user, "SIG")
    user.is_active = False
    user.save()

    assert api_with(key).get("/api/v1/reports/").status_code == 401


def test_staff_create_a_token_in_the_admin_and_see_the_key_once(staff_client, db):
    system_user = UserFactory(username="sig.region")

    response = staff_client.post(
        reverse("admin:tri_portal_apitoken_add"),
        {"user": system_user.pk, "name": "Entrepôt de données"},
        follow=True,
    )

    token = ApiToken.objects.get(user=system_user)
    key = re.search(r"Jeton créé : (tri_\S+)", response.content.decode()).group(1)
    assert token.key_hash == hash_key(key)
    assert api_with(key).get("/api/v1/reports/").status_code == 200


def test_staff_revoke_tokens_from_the_admin_list(staff_client, db):
    token, key = ApiToken.issue(UserFactory(username="referent.lens"), "SIG")

    staff_client.post(
        reverse("admin:tri_portal_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )

    token.refresh_from_db()
    assert not token.is_active
    assert api_with(key).get("/api/v1/reports/").status_code == 401
