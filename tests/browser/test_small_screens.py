"""At 390 px wide (a common phone) no page scrolls sideways, the navigation collapses
into a menu and axe still finds no violation. One test per kind of user: the demo is
loaded once per test (per module on PostgreSQL, thanks to the snapshot)."""

import pytest

from tests.browser.conftest import PHONE, screenshot
from tests.browser.test_public_journey import WCAG_21_AA, assert_accessible

pytestmark = pytest.mark.browser

PASSWORD = "petit-ecran-390"
# The innermost elements that stick out on the right, to say what to fix.
OVERFLOWING = """width => [...document.body.querySelectorAll("*")]
    .filter(e => e.getBoundingClientRect().right > width
        && ![...e.children].some(c => c.getBoundingClientRect().right > width))
    .slice(0, 5)
    .map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className.split(" ").join(".") : ""))"""


@pytest.fixture
def demo(demo_site):
    """What the pages need from the database, read before Playwright starts (its event
    loop forbids the ORM); the demo accounts get a known password (theirs only work in
    DEBUG)."""
    from django.contrib.auth import get_user_model

    from contracts.models import (
        REPORTING_STATUSES,
        Contract,
        ProgressReport,
        ReportStatus,
    )
    from tri_portal.models import ApiToken

    for user in get_user_model().objects.filter(username__in=["referent.arras", "agent.region"]):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        ApiToken.issue(user, "Tableur du service énergie")  # the token list has a row
    # Two of the Arras officer's reports: one made editable again (its form has fields),
    # one waiting in the staff queue.
    draft, submitted = (
        ProgressReport.objects.filter(
            contract__territory__code="200033579", contract__status__in=REPORTING_STATUSES
        )
        .select_related("contract")
        .order_by("contract__start_date", "year")[:2]
    )
    ProgressReport.objects.filter(pk=draft.pk).update(status=ReportStatus.DRAFT)
    ProgressReport.objects.filter(pk=submitted.pk).update(status=ReportStatus.SUBMITTED)
    return {
        "url": demo_site.url,
        "contracts": list(Contract.objects.public().order_by("pk").values_list("pk", flat=True)),
        "draft_report": f"/espace/contrats/{draft.contract_id}/rapports/{draft.year}/",
        "submitted_report": f"/gestion/rapports/{submitted.pk}/",
    }


def log_in(page, base_url, username):
    page.goto(base_url + "/compte/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form [type=submit]").click()
    assert "/compte/login/" not in page.url


def assert_all_fit(page, base_url, paths):
    """Every page answers, fits in 390 px and passes axe (all pages checked, then every
    problem reported at once)."""
    from axe_playwright_python.sync_playwright import Axe

    problems = {}
    for path in paths:
        response = page.goto(base_url + path)
        assert response.status == 200, path
        if page.locator("canvas[data-chart]").count():
            page.wait_for_selector("canvas[data-chart-drawn='true']")
        screenshot(page, "390" + path.replace("/", "-").rstrip("-"))
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            culprits = page.evaluate(OVERFLOWING, PHONE["width"])
            problems[path] = f"{width} px wide: {', '.join(culprits)}"
            continue
        results = Axe().run(page, options=WCAG_21_AA)
        if results.violations_count:
            problems[path] = results.generate_report()
    assert not problems, "\n".join(f"{path}: {problem}" for path, problem in problems.items())


def assert_charts_readable(page):
    """A chart keeps a readable height on a narrow screen (not squashed by its ratio)."""
    for height in page.eval_on_selector_all(
        "canvas[data-chart]", "canvases => canvases.map(c => c.getBoundingClientRect().height)"
    ):
        assert height >= 260


def test_public_pages_fit_a_phone(demo, phone_page):
    page = phone_page
    base = demo["url"]
    paths = [
        "/",
        "/contrats/",
        "/contrats/comparaison/",
        "/contrats/?alignement=below",
        *(f"/contrats/{pk}/" for pk in demo["contracts"]),
        "/territoires/code/59249/",
        "/territoires/code/59392/",  # Maubeuge: the figures of the territory reporting for it
        "/territoires/code/59/?type=departement",
        "/territoires/code/32/",
        "/territoires/code/999000003/",  # demo SIREN flagged, aggregates with coverage
        "/territoires/code/245900428/",  # CU de Dunkerque: a partial aggregate
        "/territoires/code/200069722/",  # inter-regional EPCI: two populations explained
        "/tableau-de-bord/",
        "/donnees/",
        "/couverture/",
        "/couverture/?q=Maubeuge",
        "/methode/",
        "/carte/",
        "/carte/?vue=indicateur",
        "/mentions-legales/",
        "/accessibilite/",
        "/donnees-personnelles/",
        "/compte/login/",
    ]
    assert_all_fit(page, base, paths)
    page.goto(base + f"/contrats/{demo['contracts'][0]}/")
    assert_charts_readable(page)


def test_the_navigation_collapses_into_a_menu(demo_site, phone_page):
    page = phone_page
    page.goto(demo_site.url + "/")
    link = page.get_by_role("link", name="Données ouvertes", exact=True)
    assert not link.is_visible()
    toggler = page.get_by_role("button", name="Menu")
    assert toggler.get_attribute("aria-expanded") == "false"
    toggler.click()
    link.wait_for(state="visible")
    assert toggler.get_attribute("aria-expanded") == "true"
    assert_accessible(page)
    link.click()
    page.wait_for_url("**/donnees/")


def test_officer_pages_fit_a_phone(demo, phone_page):
    page = phone_page
    base = demo["url"]
    log_in(page, base, "referent.arras")
    assert_all_fit(page, base, ["/espace/", demo["draft_report"], "/espace/import/"])
    assert page.goto(base + demo["draft_report"]).ok
    assert page.locator("main form input.form-control").count() >= 3


def test_staff_pages_fit_a_phone(demo, phone_page):
    page = phone_page
    base = demo["url"]
    log_in(page, base, "agent.region")
    paths = [
        "/gestion/",
        "/gestion/rapports/",
        "/gestion/alignement/",
        demo["submitted_report"],
        "/espace/jetons/",
    ]
    assert_all_fit(page, base, paths)
    assert page.locator("main table tbody tr").count() == 1  # the token list was measured


def test_staff_find_every_management_page_under_one_menu_entry(demo, phone_page):
    page = phone_page
    log_in(page, demo["url"], "agent.region")
    page.goto(demo["url"] + "/")
    page.get_by_role("button", name="Menu").click()
    page.wait_for_selector("#menu-principal.show")  # the menu has finished opening
    gestion = page.get_by_role("button", name="Gestion", exact=True)
    assert gestion.get_attribute("aria-expanded") == "false"
    gestion.click()
    page.wait_for_selector("#menu-gestion[aria-expanded='true']", timeout=5000)
    for name in ("Tableau de bord des agents", "Rapports à valider", "Administration"):
        page.get_by_role("link", name=name).first.wait_for(state="visible")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Rapports à valider").first.click()
    assert page.url.endswith("/gestion/rapports/")
