import io
import re

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import UserFactory, log_in
from tri_portal.models import ApiToken

PASSWORD = "mot-de-passe-solide-2026"


def test_login_page_is_in_french_and_accessible(client, db):
    html = client.get(reverse("login")).content.decode()
    assert "<h1>Connexion</h1>" in html
    assert '<label for="id_username"' in html
    assert 'href="/compte/password_reset/"' in html


def test_a_wrong_password_is_refused_with_a_french_message(client, db):
    UserFactory(username="referent")
    response = client.post(reverse("login"), {"username": "referent", "password": "faux"})
    assert response.status_code == 200
    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in response.content.decode()


def test_logout_is_a_post_and_goes_home(client, db):
    client.force_login(UserFactory(username="referent"))
    response = client.post(reverse("logout"))
    assert response.url == reverse("home")
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_french_link_that_works(client, db):
    UserFactory(username="referent", email="referent@fourmies.example")

    client.post(reverse("password_reset"), {"email": "referent@fourmies.example"})

    [message] = mail.outbox
    assert message.subject == "Portail TRI : nouveau mot de passe"
    link = re.search(r"http://testserver(/compte/reset/\S+)", message.body).group(1)
    form = client.get(link, follow=True)
    assert "Nouveau mot de passe" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {
            "new_password1": "un-nouveau-mot-de-passe-2026",
            "new_password2": "un-nouveau-mot-de-passe-2026",
        },
    )
    assert done.status_code == 302
    assert log_in(client, "referent", "un-nouveau-mot-de-passe-2026")


def test_an_unknown_address_gets_the_same_answer(client, db):
    response = client.post(
        reverse("password_reset"), {"email": "personne@example.org"}, follow=True
    )
    assert "Si un compte correspond à cette adresse" in response.content.decode()
    assert mail.outbox == []
    assert PASSWORD


# --- Changing a password revokes the API tokens and closes the other sessions -----------

NEW_PASSWORD = "un-nouveau-mot-de-passe-2026"


@pytest.fixture
def referent(db):
    return UserFactory(username="referent.fourmies")


def token_of(user) -> str:
    return ApiToken.issue(user, "SIG de la commune")[1]


def token_works(key) -> bool:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api.get("/api/v1/reports/").status_code == 200


def logged_in(client) -> bool:
    return client.get(reverse("api_tokens")).status_code == 200


def signed_in_elsewhere(username="referent.fourmies") -> Client:
    device = Client()
    assert log_in(device, username, PASSWORD)
    return device


def test_changing_ones_password_revokes_tokens_and_closes_only_the_other_sessions(referent):
    key = token_of(referent)
    other_device = signed_in_elsewhere()
    browser = signed_in_elsewhere()

    response = browser.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )

    assert response.redirect_chain == [(reverse("password_change_done"), 302)]
    assert not token_works(key)
    assert ApiToken.objects.get(user=referent).revoked_at is not None
    assert logged_in(browser)
    assert not logged_in(other_device)


def test_the_password_change_pages_say_what_a_change_does(referent, client):
    client.force_login(referent)

    form = client.get(reverse("password_change")).content.decode()
    done = client.get(reverse("password_change_done")).content.decode()

    assert "<h1>Changer de mot de passe</h1>" in form
    assert '<html lang="fr">' in form
    for html in (form, done):
        assert "jetons d'API" in html
        assert "révoqués" in html
        assert "sessions" in html
    assert f'href="{reverse("api_tokens")}"' in done


def test_a_wrong_current_password_changes_nothing(referent, client):
    key = token_of(referent)
    client.force_login(referent)

    response = client.post(
        reverse("password_change"),
        {"old_password": "faux", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "Votre ancien mot de passe est incorrect." in response.content.decode()
    assert token_works(key)


def test_staff_setting_a_password_in_the_admin_revokes_tokens_and_closes_sessions(
    referent, staff_client
):
    key = token_of(referent)
    device = signed_in_elsewhere()

    response = staff_client.post(
        reverse("admin:auth_user_password_change", args=[referent.pk]),
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert not token_works(key)
    assert not logged_in(device)


def test_manage_py_changepassword_revokes_tokens_and_closes_sessions(referent, monkeypatch):
    key = token_of(referent)
    device = signed_in_elsewhere()
    monkeypatch.setattr(
        "django.contrib.auth.management.commands.changepassword.getpass.getpass",
        lambda prompt="": NEW_PASSWORD,
    )

    call_command("changepassword", "referent.fourmies", stdout=io.StringIO())

    assert not token_works(key)
    assert not logged_in(device)


def test_only_the_changed_persons_tokens_are_revoked(referent, client):
    colleague_key = token_of(UserFactory(username="referent.lens"))
    client.force_login(referent)

    client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert token_works(colleague_key)


def test_editing_an_account_without_touching_its_password_keeps_its_tokens(referent):
    key = token_of(referent)

    referent.email = "nouvelle.adresse@fourmies.example"
    referent.save()

    assert token_works(key)


def test_a_password_hash_upgraded_at_login_is_not_a_password_change(db):
    """Django re-hashes a password with the preferred hasher when its owner logs in:
    the password is the same, so the tokens and sessions stay."""
    user = UserFactory(username="referent.ancien", password=None)
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save()
    key = token_of(user)

    assert log_in(Client(), "referent.ancien", PASSWORD)

    user.refresh_from_db()
    assert user.password.startswith("md5$")  # upgraded to the first listed hasher
    assert token_works(key)
