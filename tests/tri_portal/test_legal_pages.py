"""The legal pages state the publisher's details from the settings, never a placeholder,
and production refuses to start without a director of publication or a contact."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import reverse

from tests.pages import visible_text
from tests.tri_portal.test_production_settings import manage, production_env
from tri_portal.production import check_legal_settings, ensure_production_ready

LEGAL_PAGES = ["legal_notice", "privacy", "accessibility"]


def page_text(client, url_name: str) -> str:
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    return visible_text(response.content.decode())


@pytest.mark.parametrize("url_name", LEGAL_PAGES)
def test_legal_pages_have_no_placeholder(client, db, url_name):
    text = page_text(client, url_name)

    assert "compléter" not in text
    assert "[" not in text
    assert "]" not in text


def test_legal_notice_names_the_publisher_director_and_contact_by_default(client, db):
    text = page_text(client, "legal_notice")

    assert "Région Hauts-de-France, 151 avenue du Président Hoover, 59555 Lille Cedex" in text
    assert "Direction de la publication : le président du Conseil régional" in text
    assert "contact@tri-portail.localhost" in text
    assert "ne déclare pas d'hébergeur" in text


@override_settings(
    TRI_PUBLICATION_DIRECTOR="Mme Camille Exemple, directrice de la communication",
    TRI_CONTACT_EMAIL="tri@region.example",
    TRI_HOST_NAME="Hébergeur Exemple SAS",
    TRI_HOST_ADDRESS="1 rue de l'Exemple, 59000 Lille",
    TRI_HOST_PHONE="03 00 00 00 00",
)
def test_legal_notice_shows_the_configured_director_contact_and_host(client, db):
    text = page_text(client, "legal_notice")

    assert "Direction de la publication : Mme Camille Exemple" in text
    assert "tri@region.example" in text
    assert (
        "Hébergeur Exemple SAS 1 rue de l'Exemple, 59000 Lille Téléphone : 03 00 00 00 00" in text
    )
    assert "ne déclare pas d'hébergeur" not in text


@override_settings(TRI_CONTACT_EMAIL="accessibilite@region.example")
def test_accessibility_page_gives_the_configured_contact(client, db):
    assert "accessibilite@region.example" in page_text(client, "accessibility")


def test_privacy_page_reaches_the_data_protection_officer_by_post_by_default(client, db):
    text = page_text(client, "privacy")

    assert "Responsable de traitement : Région Hauts-de-France" in text
    assert "par courrier à Région Hauts-de-France, 151 avenue du Président Hoover" in text


@override_settings(TRI_DPO_CONTACT="dpo@region.example")
def test_privacy_page_gives_the_configured_data_protection_officer(client, db):
    text = page_text(client, "privacy")

    assert "Délégué à la protection des données : dpo@region.example." in text
    assert "par courrier" not in text


# --- production refuses an empty director or contact -------------------------------


@pytest.mark.parametrize("name", ["TRI_PUBLICATION_DIRECTOR", "TRI_CONTACT_EMAIL"])
def test_production_refuses_to_serve_with_an_empty_director_or_contact(name):
    with override_settings(PRODUCTION=True, DEBUG=False, SECRET_KEY="x" * 50, **{name: " "}):
        with pytest.raises(ImproperlyConfigured, match=name):
            ensure_production_ready()
        assert [error.id for error in check_legal_settings(None)] == ["tri_portal.E002"]


def test_outside_production_an_empty_contact_is_only_a_deploy_check_error():
    with override_settings(PRODUCTION=False, DEBUG=True, TRI_CONTACT_EMAIL=""):
        ensure_production_ready()  # the development server and the demo still start
        assert [error.id for error in check_legal_settings(None)] == ["tri_portal.E002"]


@pytest.mark.fault
def test_deploy_check_fails_on_an_empty_contact_in_production(tmp_path):
    env = production_env(tmp_path / "db.sqlite3", TRI_CONTACT_EMAIL="")

    result = manage("check", "--deploy", env=env)

    assert result.returncode != 0
    assert "(tri_portal.E002) TRI_CONTACT_EMAIL empty" in result.stderr
