"""A citizen asks "is my commune covered?" from the home page, in Debian's Chromium,
with axe-core checks (WCAG 2.1 AA, zero violations) on the pages of the answer."""

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_public_journey import assert_accessible

pytestmark = pytest.mark.browser


def test_a_citizen_finds_that_maubeuge_is_covered_by_the_scot(demo_site, browser_page):
    page = browser_page
    page.goto(demo_site.url + "/")

    page.get_by_label("Nom ou code INSEE de la commune").fill("maubeuge")
    with page.expect_navigation():
        page.get_by_role("button", name="Chercher ma commune").click()

    assert page.locator("h2.card-title a").all_inner_texts() == ["Maubeuge"]
    scot = page.get_by_role(
        "link", name="Contrat d'objectifs TRI du Syndicat mixte du SCoT Sambre-Avesnois", exact=True
    )
    assert scot.count() == 1  # and its renewal, active today
    assert_accessible(page)
    screenshot(page, "couverture-maubeuge")

    page.get_by_role("link", name="Maubeuge").click()
    page.wait_for_selector("canvas[data-chart-drawn='true']")
    assert page.locator("h1").inner_text() == "Maubeuge"
    assert scot.inner_text() in page.locator(".territory-covering a").all_inner_texts()
    assert_accessible(page)
    screenshot(page, "territoire-maubeuge")

    page.locator(".territory-covering").get_by_role(
        "link", name=scot.inner_text(), exact=True
    ).first.click()
    assert "SCoT Sambre-Avesnois" in page.locator("h1").inner_text()
