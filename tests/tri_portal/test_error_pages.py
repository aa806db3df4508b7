"""Error answers: a French page for a person, a French JSON body under /api/, whatever
the error (400, 403, 404, 500) and wherever it happens (a view, the URL resolver, a
middleware), with DEBUG off as in production; and a real 500 of gunicorn run with
the production environment.

The module is its own URLconf for the tests marked ``urls``: the portal's routes,
its error handlers, and views that fail on purpose, as a page and under /api/."""

import json
import re

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.template.loader import render_to_string
from django.urls import path, reverse

from indicators.api import IndicatorViewSet
from tests.tri_portal.test_production_settings import gunicorn, production_env
from tri_portal import urls as portal_urls


def broken(request):
    raise RuntimeError("panne simulée")


def forbidden(request):
    raise PermissionDenied("Forbidden to you")


def suspicious(request):
    raise SuspiciousOperation("Suspicious request")


FAILING = {"panne": broken, "interdit": forbidden, "suspect": suspicious}
urlpatterns = [
    *(path(f"essai/{name}/", view) for name, view in FAILING.items()),
    *(path(f"api/v1/essai/{name}/", view) for name, view in FAILING.items()),
    *portal_urls.urlpatterns,
]
# Django's own handlers where the portal has none (before it had them).
handler400 = getattr(portal_urls, "handler400", "django.views.defaults.bad_request")
handler403 = getattr(portal_urls, "handler403", "django.views.defaults.permission_denied")
handler404 = getattr(portal_urls, "handler404", "django.views.defaults.page_not_found")
handler500 = getattr(portal_urls, "handler500", "django.views.defaults.server_error")

# Words of Django's English error pages and messages.
ENGLISH = re.compile(
    r"\b(server error|bad request|forbidden|not found|the requested|error occurred)\b",
    re.IGNORECASE,
)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


@pytest.fixture
def errors_client(client):
    """A browser that sees the 500 page instead of the test's exception."""
    client.raise_request_exception = False
    return client


def assert_french_page(response, status: int, heading: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert f"<h1>{heading}</h1>" in html
    assert not ENGLISH.search(html), ENGLISH.search(html)[0]
    assert not INLINE_SCRIPT.search(html)
    assert "style=" not in html  # nothing the Content-Security-Policy would block
    return html


def assert_french_json(response, status: int, detail: str):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": detail}


SERVER_ERROR = "Erreur interne du serveur : l'incident est enregistré, réessayez plus tard."
NOT_FOUND = "Adresse inconnue dans l'API (voir /api/v1/docs/)."


# --- 500 ---------------------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_an_error_in_a_page_shows_the_french_500_page(errors_client, db):
    response = errors_client.get("/essai/panne/")

    html = assert_french_page(response, 500, "Erreur du serveur")
    assert "panne simulée" not in html
    assert 'href="/"' in html
    assert response["Content-Security-Policy"]


@pytest.mark.urls(__name__)
def test_an_error_under_the_api_is_a_french_json_500(errors_client, db):
    response = errors_client.get("/api/v1/essai/panne/")

    assert_french_json(response, 500, SERVER_ERROR)


def test_an_unhandled_error_in_an_api_view_is_a_french_json_500(errors_client, db, monkeypatch):
    def fail(self, request, *args, **kwargs):
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(IndicatorViewSet, "list", fail)

    response = errors_client.get("/api/v1/indicators/")

    assert_french_json(response, 500, SERVER_ERROR)


def test_the_500_page_renders_without_a_request_context():
    """Django renders it with an empty context: no request, user nor database."""
    html = render_to_string("500.html")

    assert "<h1>Erreur du serveur</h1>" in html
    assert '<html lang="fr">' in html


# --- 403 and 400 ---------------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_a_forbidden_page_is_french(errors_client, db):
    response = errors_client.get("/essai/interdit/")

    html = assert_french_page(response, 403, "Accès refusé")
    assert "Aller au contenu principal" in html  # the portal's layout
    assert "Forbidden to you" not in html


@pytest.mark.urls(__name__)
def test_a_forbidden_address_under_the_api_is_french_json(errors_client, db):
    response = errors_client.get("/api/v1/essai/interdit/")

    assert_french_json(response, 403, "Accès refusé.")


@pytest.mark.urls(__name__)
def test_a_suspicious_request_gets_the_french_400_page(errors_client, db):
    response = errors_client.get("/essai/suspect/")

    html = assert_french_page(response, 400, "Requête invalide")
    assert "Suspicious" not in html


@pytest.mark.parametrize("path", ["/api/v1/essai/suspect/", "/api/v1/indicators/"])
@pytest.mark.urls(__name__)
def test_a_bad_request_under_the_api_is_french_json(errors_client, db, path):
    # The second: a Host header outside ALLOWED_HOSTS, refused by a middleware.
    host = "pirate.example" if "indicators" in path else "testserver"

    response = errors_client.get(path, HTTP_HOST=host)

    assert_french_json(response, 400, "Requête invalide.")


def test_a_request_for_another_host_gets_the_french_400_page(errors_client, db):
    response = errors_client.get("/contrats/", HTTP_HOST="pirate.example")

    assert_french_page(response, 400, "Requête invalide")


# --- 404 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/indicators/a%0Ab/",  # a line feed: outside every route of the API
        "/api/v1/table-schemas/inconnu.json",
        "/api/v1/table-schemas/a%0Ab.json",
        "/api/v1/nope/",
        "/api/nope/",
        "/api/",
    ],
)
def test_an_unknown_address_under_the_api_is_a_french_json_404(client, db, path):
    response = client.get(path)

    assert_french_json(response, 404, NOT_FOUND)


def test_an_unknown_page_is_the_french_404_page(client, db):
    response = client.get("/page-inexistante/")

    assert_french_page(response, 404, "Page introuvable")


# --- make run: DEBUG on, the same French pages ------------------------------------


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("path", "status", "title"),
    [
        ("/page-inexistante/", 404, "Page introuvable"),  # the URL resolver
        ("/contrats/999999/", 404, "Page introuvable"),  # a view's Http404
        ("/essai/panne/", 500, "Erreur du serveur"),
    ],
)
def test_with_debug_on_errors_are_the_french_pages_not_djangos_technical_ones(
    errors_client, db, settings, path, status, title
):
    settings.DEBUG = True

    html = assert_french_page(errors_client.get(path), status, title)

    assert "Traceback" not in html
    assert "DEBUG = True" not in html
    assert "panne simulée" not in html


@pytest.mark.urls(__name__)
def test_the_technical_pages_come_back_on_demand_for_debugging(errors_client, db, settings):
    settings.DEBUG, settings.TRI_TECHNICAL_ERROR_PAGES = True, True

    response = errors_client.get("/page-inexistante/")

    assert response.status_code == 404
    assert "DEBUG = True" in response.content.decode()


# --- gunicorn with the production environment ---------------------------------------


@pytest.fixture
def broken_production_server(tmp_path):
    """gunicorn with the production environment on a database without tables: every
    page that reads the database fails (a migration forgotten, a restore gone wrong)."""
    env = production_env(tmp_path / "sans-tables.sqlite3", USE_X_FORWARDED_PROTO="1")
    with gunicorn(env, tmp_path, user_id=0, workers=1) as server:
        yield server


def test_production_answers_a_server_error_in_french_as_a_page_and_as_json(
    broken_production_server,
):
    page = broken_production_server.get("/contrats/")
    api = broken_production_server.get("/api/v1/contracts/")

    assert page.status == 500
    assert page.getheader("Content-Type") == "text/html; charset=utf-8"
    assert '<html lang="fr">' in page.text
    assert "<h1>Erreur du serveur</h1>" in page.text
    assert not ENGLISH.search(page.text)
    assert not INLINE_SCRIPT.search(page.text)
    assert page.getheader("Content-Security-Policy")
    assert re.search(r'href="/static/css/portal\.[0-9a-f]{12}\.css"', page.text)
    assert api.status == 500
    assert api.getheader("Content-Type") == "application/json"
    assert json.loads(api.text) == {"detail": SERVER_ERROR}
    assert "no such table" in broken_production_server.log.read_text()  # logged, not shown


def test_a_form_sent_without_its_csrf_token_gets_a_french_403_page(db):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "x"})

    assert response.status_code == 403
    page = response.content.decode()
    assert '<html lang="fr"' in page
    assert "Le formulaire a expiré" in page
    assert "CSRF verification failed" not in page
