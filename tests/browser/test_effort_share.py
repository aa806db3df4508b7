"""On the fresh demo, a visitor reads the dashboard's sentence on the contracts' share
of the regional effort (its numbers equal a hand computation) and its chart is drawn,
on a phone too, with zero axe violations."""

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_public_journey import assert_accessible
from tests.effort_figures import hand_computed_energy, text

pytestmark = pytest.mark.browser

SENTENCE = "p.effort-sentence[data-indicator='cae_2.a'][data-horizon='contracts_end']"


def test_the_dashboard_states_the_share_of_the_regional_effort(
    demo_site, browser_page, monkeypatch
):
    # The hand computation reads the database inside Playwright's event loop (the
    # queries are synchronous, in this thread).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    page = browser_page

    page.goto(demo_site.url + "/tableau-de-bord/")
    page.wait_for_selector("canvas[data-chart='graphique-part-effort'][data-chart-drawn='true']")

    assert hand_computed_energy(lambda end: end) in text(page.locator(SENTENCE).inner_text())
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_selector("canvas[data-chart='graphique-part-effort'][data-chart-drawn='true']")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    section = page.locator("section[aria-labelledby='part-effort']")
    section.scroll_into_view_if_needed()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(SCREENSHOTS / "part-effort-390.png"))
    figure = page.locator("figure:has(canvas[data-chart='graphique-part-effort'])")
    figure.screenshot(path=str(SCREENSHOTS / "part-effort-chart-390.png"))
