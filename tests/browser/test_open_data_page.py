"""The open-data page — files, licence, data dictionary — in Debian's Chromium: no
accessibility violation (WCAG 2.1 AA), and a phone does not scroll sideways."""

import pytest

from tests.browser.test_public_journey import assert_accessible

pytestmark = pytest.mark.browser


def test_open_data_page_with_its_dictionary_is_accessible(demo_site, browser_page):
    browser_page.goto(demo_site.url + "/donnees/")

    assert browser_page.locator("#dictionnaire").inner_text() == "Dictionnaire des données"
    assert browser_page.locator("a[rel='license']").count() == 1
    assert_accessible(browser_page)


def test_open_data_page_fits_a_phone(demo_site, browser_page):
    browser_page.set_viewport_size({"width": 390, "height": 844})
    browser_page.goto(demo_site.url + "/donnees/")

    assert browser_page.evaluate("document.documentElement.scrollWidth") <= 390
