import re

import pytest
from django.urls import reverse

PAGES = [
    ("home", "Contrats d'objectifs de la Troisième Révolution Industrielle"),
    ("legal_notice", "Mentions légales"),
    ("accessibility", "Déclaration d'accessibilité"),
    ("privacy", "Données personnelles"),
    ("method", "Glossaire et méthode"),
]


@pytest.mark.parametrize(("url_name", "heading"), PAGES)
def test_public_pages_share_an_accessible_french_layout(client, db, url_name, heading):
    response = client.get(reverse(url_name))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    assert re.findall(r"<h1[ >]", html) == ["<h1>"]  # exactly one h1
    assert f"<h1>{heading}</h1>" in html.replace("&#x27;", "'")
    assert '<a class="skip-link" href="#contenu">Aller au contenu principal</a>' in html
    for landmark in ("<header", "<nav", '<main id="contenu"', "<footer"):
        assert landmark in html
    assert 'aria-label="Fil d’Ariane"' in html
    header = html[html.index("<header") : html.index("</header>")]
    assert "Région Hauts-de-France · ADEME Hauts-de-France" in header  # who publishes it


def page_title(html):
    return " ".join(re.search(r"<title>(.*?)</title>", html, re.S).group(1).split())


@pytest.mark.parametrize(
    ("url_name", "title"),
    [
        ("home", "Accueil"),
        ("legal_notice", "Mentions légales"),
        ("accessibility", "Accessibilité"),
        ("privacy", "Données personnelles"),
        ("method", "Glossaire et méthode"),
    ],
)
def test_page_titles_name_the_page(client, db, url_name, title):
    html = client.get(reverse(url_name)).content.decode()
    assert page_title(html) == f"{title} — Contrats d&#x27;objectifs TRI — Hauts-de-France"


def test_accessibility_page_states_the_conformity_level_honestly(client):
    html = client.get(reverse("accessibility")).content.decode()
    assert "non conforme au RGAA 4.1" in html
    assert "Aucun audit" in html


def test_home_page_shows_the_imported_region(client, db):
    html = client.get(reverse("home")).content.decode()

    assert "Hauts-de-France : 5\xa0992\xa0194 habitants (population municipale 2023)" in html
    assert re.search(r'<th scope="row">Commune</th>\s*<td class="text-end">3\xa0782</td>', html)
    assert "decoupage-administratif@6.0.0" in html


def test_front_end_libraries_are_vendored_not_loaded_from_a_cdn(client, db):
    html = client.get(reverse("home")).content.decode()
    assert re.search(r'(src|href)="https?://', html) is None
    assert "/static/vendor/bootstrap-5.3.9/css/bootstrap.min" in html


def test_admin_is_in_french(client):
    html = client.get(reverse("admin:login")).content.decode()
    assert "Nom d’utilisateur" in html or "Nom d'utilisateur" in html


def test_every_page_names_its_icon_and_favicon_ico_leads_to_it(client, db):
    page = client.get(reverse("home")).content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert icon

    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == icon.group(1)
    assert client.get(icon.group(1)).status_code == 200
