import re

from django.core import mail
from django.urls import reverse

from tests.factories import UserFactory, log_in

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
