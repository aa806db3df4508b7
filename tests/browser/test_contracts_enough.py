"""Are the contracts enough? On the fresh demo, in Debian's Chromium: the dashboard's
sentence on the contracts' share of the regional effort (its numbers computed by hand
here), a target's alignment label and paces on its contract page (computed by hand),
the peers' band on a territory chart — and the API answers the same figures; axe finds
no violation and nothing scrolls sideways at 390 px."""

import json
import urllib.request
from decimal import Decimal
from fractions import Fraction

import pytest

from kit.templatetags.tri_format import number, pace, percent
from tests.browser.conftest import screenshot
from tests.browser.test_small_screens import OVERFLOWING, PHONE, WCAG_21_AA
from tests.effort_figures import hand_computed_energy, text

pytestmark = pytest.mark.browser

SENTENCE = "p.effort-sentence[data-indicator='cae_2.a'][data-horizon='contracts_end']"
DATASETS = """canvas => Chart.getChart(canvas).data.datasets.map(
    d => ({label: d.label, fill: d.fill, data: d.data}))"""
LABELS = {
    "aligned": "alignée sur la trajectoire",
    "below": "en deçà de la trajectoire",
    "beyond": "au-delà de la trajectoire",
}


def hand_alignment(target, goal) -> tuple[str, str]:
    """The target's label and its two paces, from the definitions on /methode/, in exact
    fractions (the demo's required pace is exactly −1.875 %/an: no rounding on the way)."""

    def path(year):  # the regional path: a straight line from 2012 to 2050
        return Fraction(goal.baseline_value) + Fraction(goal.target_value - goal.baseline_value) * (
            year - goal.baseline_year
        ) / (goal.target_year - goal.baseline_year)

    years = target.target_year - target.baseline_year
    committed = (Fraction(target.target_value) / Fraction(target.baseline_value) - 1) / years
    required = (path(target.target_year) / path(target.baseline_year) - 1) / years
    ratio = committed / required
    label = "below" if ratio < 1 else "aligned" if ratio < Fraction(3, 2) else "beyond"

    def percent(fraction):
        return Decimal(fraction.numerator * 100) / Decimal(fraction.denominator)

    paces = f"{pace(percent(committed))} engagé ; {pace(percent(required))} requis"
    return LABELS[label], text(paces)


@pytest.fixture
def expected(demo_site):
    """Everything the test expects, read from the database before Playwright starts
    (its event loop forbids the ORM)."""
    from contracts.models import Contract
    from indicators.models import Indicator, PeerStatistic, RegionalGoal
    from territories.models import Territory

    lens = Contract.objects.get(reference__endswith="-LENS-LIEVIN", start_date__year__gt=2020)
    target = lens.targets.get(indicator__identifier="cae_2.a")
    goal = RegionalGoal.objects.get(territory__code="32", indicator__identifier="cae_2.a")
    maubeuge = Territory.objects.get(kind="epci", code="200043396")
    energy = Indicator.objects.get(identifier="cae_2.a")
    statistic = PeerStatistic.objects.filter(indicator=energy, area="32", peer_kind="ca")
    latest = statistic.filter(band="100000-250000").order_by("-year").first()
    assert latest is not None
    assert latest.n >= 5
    label, paces = hand_alignment(target, goal)
    return {
        "url": demo_site.url,
        "sentence": hand_computed_energy(lambda end: end),
        "contract": f"/contrats/{lens.pk}/",
        "target": target.pk,
        "label": label,
        "paces": paces,
        "territory": f"/territoires/{maubeuge.slug}/",
        "siren": maubeuge.code,
        "chart": f"pairs-{energy.pk}",
        "latest": latest,
    }


def api(base: str, path: str) -> dict:
    with urllib.request.urlopen(base + path) as response:
        return json.load(response)


def test_the_contracts_add_up_aligned_and_compared(expected, phone_page):
    from axe_playwright_python.sync_playwright import Axe

    base, latest = expected["url"], expected["latest"]
    page = phone_page

    # The dashboard's sentence, as computed by hand.
    page.goto(base + "/tableau-de-bord/")
    page.wait_for_selector("canvas[data-chart='graphique-part-effort'][data-chart-drawn='true']")
    assert expected["sentence"] in text(page.locator(SENTENCE).inner_text())
    screenshot(page, "390-part-effort")

    # The target's alignment on the contract page, as computed by hand.
    page.goto(base + expected["contract"])
    row = text(page.locator("main").inner_text())
    assert f"{expected['label']} {expected['paces']}" in row
    assert "Comparaison avec des territoires comparables" in row  # its peers' table
    screenshot(page, "390-alignement")

    # The peers' band and median on the territory's energy chart, and its rank.
    page.goto(base + expected["territory"])
    selector = f"canvas[data-chart='{expected['chart']}']"
    page.wait_for_selector(selector + "[data-chart-drawn='true']")
    datasets = {d["label"]: d for d in page.locator(selector).evaluate(DATASETS)}
    assert datasets["3e quartile"]["fill"] == "-1"  # filled down to the 1st quartile
    assert datasets["1er quartile"]["fill"] is False
    quartiles = {"q1": "1er quartile", "median": "médiane des pairs", "q3": "3e quartile"}
    drawn = {  # the latest year drawn
        name: [v for v in datasets[label]["data"] if v is not None][-1]
        for name, label in quartiles.items()
    }
    assert drawn == pytest.approx({name: float(getattr(latest, name)) for name in drawn}, abs=0.01)
    assert "communautés d'agglomération de 100 000 à 250 000 habitants" in page.inner_text("main")
    screenshot(page, "390-pairs")

    problems = {}
    for path in ("/tableau-de-bord/", expected["contract"], expected["territory"]):
        page.goto(base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems[path] = f"{width} px: {page.evaluate(OVERFLOWING, PHONE['width'])}"
        results = Axe().run(page, options=WCAG_21_AA)
        if results.violations_count:
            problems[path] = results.generate_report()
    assert not problems, problems

    # The API answers the same figures.
    share = api(base, "/api/v1/effort-shares/?scope=32&indicator=cae_2.a&horizon=contracts_end")
    (row,) = share["results"]
    committed, required = Decimal(row["committed_change"]), Decimal(row["required_change"])
    assert (
        text(
            f"une baisse de {number(-committed, 1)} GWh entre {row['start_year']} et "
            f"{row['horizon_year']} sur {percent(Decimal(row['covered_share']), 1)} de la "
            f"population ; la trajectoire régionale demande {number(-required, 1)} GWh"
        )
        in expected["sentence"]
    )
    assert text(percent(Decimal(row["share"]), 1) + " couvert") in expected["sentence"]
    target = api(base, f"/api/v1/targets/{expected['target']}/")
    assert target["alignment_label"] == expected["label"]
    paces = f"{pace(target['committed_pace'])} engagé ; {pace(target['required_pace'])} requis"
    assert text(paces) == expected["paces"]
    peers = api(
        base,
        f"/api/v1/peer-statistics/?indicator=cae_2.a&year={latest.year}&area=32"
        f"&territory_code={expected['siren']}",
    )
    (group,) = [g for g in peers["results"] if g["band"] == latest.band]
    assert (group["n"], Decimal(str(group["median"]))) == (latest.n, latest.median)
    assert group["territory_rank"] is not None
