"""On the fresh demo, in Debian's Chromium at 390 px: the territory page of the CA
Maubeuge Val de Sambre draws its peers' interquartile band (the upper quartile filled
down to the lower one) and median on its energy chart, says its rank, fits the screen
and passes axe; the contract page of Lens-Liévin shows its comparison table."""

import pytest

from tests.browser.conftest import CHROMIUM_ARGS, screenshot
from tests.browser.test_small_screens import OVERFLOWING, PHONE, WCAG_21_AA

pytestmark = pytest.mark.browser

DATASETS = """canvas => Chart.getChart(canvas).data.datasets.map(
    d => ({label: d.label, fill: d.fill, points: d.data.filter(v => v !== null).length}))"""


@pytest.fixture
def pages(demo_site):
    """The paths and expected figures, read before Playwright starts (its event loop
    forbids the ORM)."""
    from contracts.models import Contract
    from indicators.models import Indicator
    from territories.models import Territory

    maubeuge = Territory.objects.get(kind="epci", code="200043396")
    lens = Contract.objects.get(reference__endswith="-LENS-LIEVIN", start_date__year__gt=2020)
    return {
        "url": demo_site.url,
        "territory": f"/territoires/{maubeuge.slug}/",
        "contract": f"/contrats/{lens.pk}/",
        "chart": f"pairs-{Indicator.objects.get(identifier='cae_2.a').pk}",
    }


def test_peer_band_on_a_territory_chart_at_390_px(pages):
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    from tests.service_markers import chromium_path

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(
            locale="fr-FR", viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True
        )
        page = context.new_page()
        page.goto(pages["url"] + pages["territory"])
        canvas = page.locator(f"canvas[data-chart='{pages['chart']}']")
        page.wait_for_selector(f"canvas[data-chart='{pages['chart']}'][data-chart-drawn='true']")
        datasets = {d["label"]: d for d in canvas.evaluate(DATASETS)}
        assert datasets["3e quartile"]["fill"] == "-1"  # filled down to the 1st quartile
        assert datasets["1er quartile"]["fill"] is False
        assert datasets["3e quartile"]["points"] > 0
        assert datasets["médiane des pairs"]["points"] > 0
        assert "communautés d'agglomération de 100 000 à 250 000 habitants" in page.inner_text(
            "#pairs-titre + p + h3 + ul"
        )
        screenshot(page, "390-pairs-maubeuge")
        problems = {}
        for path in (pages["territory"], pages["contract"]):
            page.goto(pages["url"] + path)
            if path == pages["contract"]:
                assert "Comparaison avec des territoires comparables" in page.inner_text("main")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                problems[path] = f"{width} px: {page.evaluate(OVERFLOWING, PHONE['width'])}"
                continue
            results = Axe().run(page, options=WCAG_21_AA)
            if results.violations_count:
                problems[path] = results.generate_report()
        browser.close()
    assert not problems, problems
