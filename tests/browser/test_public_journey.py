"""A visitor's journey in Debian's Chromium, with axe-core accessibility checks
(WCAG 2.1 AA, zero violations) on every public page."""

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def assert_accessible(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_21_AA)
    assert results.violations_count == 0, results.generate_report()


def test_home_list_contract_and_dashboard(demo_site, browser_page):
    page = browser_page

    page.goto(demo_site.url + "/")
    assert page.locator("h1").count() == 1
    assert_accessible(page)
    screenshot(page, "accueil")

    page.get_by_role("link", name="Contrats", exact=True).click()
    page.select_option("#departement", "62")
    with page.expect_navigation():
        page.get_by_role("button", name="Filtrer").click()
    names = page.locator("article h2 a").all_inner_texts()
    # the 2017 contracts and their renewals, active today
    assert sorted(names) == ["CA de Lens - Liévin"] * 2 + ["CU d'Arras"] * 2
    assert_accessible(page)
    screenshot(page, "contrats")

    page.get_by_role("link", name="CA de Lens - Liévin").last.click()
    canvas = page.locator("canvas[data-chart]").first
    canvas.wait_for()
    page.wait_for_selector("canvas[data-chart-drawn='true']")
    assert page.locator("figure table").count() == page.locator("canvas[data-chart]").count()
    assert page.locator("figure table").first.locator("tbody tr").count() >= 6
    assert_accessible(page)
    screenshot(page, "contrat-lens-lievin")

    page.get_by_role("link", name="Tableau de bord", exact=True).click()
    page.wait_for_selector("canvas[data-chart-drawn='true']")
    assert page.locator("h1").inner_text() == "Tableau de bord régional"
    assert_accessible(page)
    screenshot(page, "tableau-de-bord")


@pytest.mark.parametrize(
    "path",
    [
        "/accessibilite/",
        "/mentions-legales/",
        "/donnees-personnelles/",
        "/compte/login/",
        "/methode/",
        "/carte/",
        "/carte/?vue=indicateur",
        "/couverture/?q=Maubeuge",
    ],
)
def test_other_public_pages_are_accessible(demo_site, browser_page, path):
    browser_page.goto(demo_site.url + path)
    assert_accessible(browser_page)


def test_a_territory_page_draws_its_charts(demo_site, browser_page):
    browser_page.goto(demo_site.url + "/territoires/code/59249/")
    browser_page.wait_for_selector("canvas[data-chart-drawn='true']")
    assert browser_page.locator("h1").inner_text() == "Fourmies"
    assert_accessible(browser_page)
    screenshot(browser_page, "territoire-fourmies")


def test_filters_are_reachable_with_the_keyboard(demo_site, browser_page):
    page = browser_page
    page.goto(demo_site.url + "/contrats/")
    page.locator("#q").focus()
    page.keyboard.type("59249")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("article h2 a").all_inner_texts() == ["Fourmies", "Fourmies"]
