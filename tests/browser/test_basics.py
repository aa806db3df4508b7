"""In a real browser (Debian's Chromium driven by Playwright)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(live_server, unhashed_static, browser_page):
    return browser_page


def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page, live_server):
    page.goto(live_server.url + "/accessibilite/")

    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Aller au contenu principal"
    assert page.locator(".skip-link").is_visible()  # visible when focused

    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"


def test_vendored_bootstrap_is_served_and_applied(page, live_server):
    responses = []
    page.on("response", lambda r: responses.append((r.url, r.status)))

    page.goto(live_server.url + "/")

    bootstrap = [status for url, status in responses if "bootstrap-5.3.9" in url]
    assert bootstrap == [200, 200]
    assert all(url.startswith(live_server.url) for url, _ in responses)
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "system-ui" in font
    assert page.title() == "Accueil — Contrats d'objectifs TRI — Hauts-de-France"
