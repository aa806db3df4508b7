"""The three users of the portal on the fresh demo, one after the other, in Debian's
Chromium: a citizen finds that Maubeuge is covered by the SCoT Sambre-Avesnois contract
and reads its figures; the SCoT's officer fills in and submits last year's report; a
Region agent validates it from the staff queue; the public dashboard counts the
population under an active contract."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from contracts.models import ProgressReport, ReportStatus
from indicators.models import IndicatorValue
from tests.browser.conftest import screenshot
from tri_portal.demo import DEMO_USERS

pytestmark = pytest.mark.browser

SCOT = "Syndicat mixte du SCoT Sambre-Avesnois"


def log_in(page, url: str, username: str) -> None:
    """Log in at /compte/login/ with the README's password of the demo account (set
    here: the live server runs without DEBUG, where the demo accounts have none)."""
    user = get_user_model().objects.get(username=username)
    user.set_password(DEMO_USERS[username][0])
    user.save(update_fields=["password"])
    page.goto(url + "/compte/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_USERS[username][0])
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()


def test_citizen_officer_and_staff_on_the_fresh_demo(demo_site, browser_page, monkeypatch):
    # The test reads the database between pages, inside Playwright's event loop (the
    # queries are synchronous, in this thread).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    page, url = browser_page, demo_site.url
    year = timezone.localdate().year - 1

    # A citizen: is Maubeuge covered? By the SCoT's contracts, the active one first.
    page.goto(url + "/")
    page.get_by_label("Nom ou code INSEE de la commune").fill("Maubeuge")
    with page.expect_navigation():
        page.get_by_role("button", name="Chercher ma commune").click()
    active = page.get_by_role("link", name=f"Contrat d'objectifs TRI du {SCOT} (renouvellement)")
    with page.expect_navigation():
        active.click()
    main = page.locator("main")
    assert "en cours" in main.inner_text()
    assert "Dernière valeur validée" in main.inner_text()
    assert "dans la trajectoire" in main.inner_text()
    assert "démonstration" in main.inner_text()
    # Each figure says where it comes from and who validated it.
    assert re.search(
        r"Source : Données de démonstration.* · validée le \d\d/\d\d/\d{4} par la Région",
        main.inner_text(),
    )
    screenshot(page, "demo-contrat-sambre")

    # The SCoT's officer fills in and submits last year's report.
    officer_page = page.context.browser.new_context(locale="fr-FR").new_page()
    log_in(officer_page, url, "referent.sambre")
    officer_page.goto(url + "/espace/")
    with officer_page.expect_navigation():
        officer_page.get_by_role("link", name=f"Remplir le rapport {year}").click()
    latest = {
        value.indicator: value.value
        for value in IndicatorValue.objects.validated()
        .filter(territory__code="999000003", year=year - 1)
        .select_related("indicator")
    }
    for indicator, value in latest.items():
        officer_page.get_by_label(f"{indicator.name} ({indicator.unit})", exact=True).fill(
            f"{value * 99 / 100:.1f}" if indicator.unit != "logements" else f"{value + 180}"
        )
    with officer_page.expect_navigation():
        officer_page.get_by_role("button", name="Soumettre le rapport").click()
    report = ProgressReport.objects.get(contract__territory__code="999000003", year=year)
    assert report.status == ReportStatus.SUBMITTED
    assert report.values.count() == len(latest) >= 4

    # A Region agent finds it in the staff queue and validates it.
    staff_page = page.context.browser.new_context(locale="fr-FR").new_page()
    log_in(staff_page, url, "agent.region")
    staff_page.goto(url + "/gestion/rapports/")
    row = staff_page.locator("tr", has_text=report.contract.reference)
    assert str(year) in row.inner_text()
    with staff_page.expect_navigation():
        row.get_by_role("link", name=SCOT).click()
    staff_page.get_by_label("Je confirme", exact=False).check()  # validation publishes
    with staff_page.expect_navigation():
        staff_page.get_by_role("button", name="Valider et publier les valeurs").click()
    report.refresh_from_db()
    assert report.status == ReportStatus.VALIDATED

    # The public dashboard: the population under a signed or active contract is not 0 %.
    page.goto(url + "/tableau-de-bord/")
    line = re.search(
        r"Contrats signés ou en cours : ([\d\s ]+) habitants \(([\d,]+)", main.inner_text()
    )
    assert line is not None
    assert float(line.group(2).replace(",", ".")) > 0
