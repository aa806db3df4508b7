"""The life of a contract as staff and officers live it (issue 21), in Debian's Chromium
on the fresh demo: a Region agent records an amendment to the CU d'Arras contract and
the public page shows the signed target, the amendment and the target in force; the
Arras officer attaches a PDF to last year's report, says what the contract's action
did and submits; a second agent, of ADEME, sees the evidence and the action's update,
confirms and validates; the public page then tells what was done that year. axe finds
no violation on the pages they use, and none scrolls sideways on a phone."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from kit.templatetags.tri_format import number
from tests.browser.conftest import PHONE, browser_context, phone_context, screenshot
from tests.browser.test_small_screens import OVERFLOWING, WCAG_21_AA
from tests.effort_figures import text

pytestmark = pytest.mark.browser

ARRAS = "200033579"
PASSWORD = "vie-du-contrat-21"
REASON = "Révision à la baisse de la consommation visée après l'audit énergétique de 2025"
NARRATIVE = "Deux écoles et la médiathèque isolées ; chaufferie bois mise en service."


@pytest.fixture
def arras(demo_site):
    """What the journey needs from the demo, read before the pages: the active Arras
    contract, its energy target and action, last year's validated energy figure; the
    three accounts get a known password (the demo's only work in DEBUG)."""
    from contracts.models import Contract, ContractStatus, ProgressReport
    from indicators.models import IndicatorValue

    for user in get_user_model().objects.filter(
        username__in=["agent.region", "agent.ademe", "referent.arras"]
    ):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    contract = Contract.objects.get(territory__code=ARRAS, status=ContractStatus.ACTIVE)
    today = timezone.localdate()
    year = today.year - 1
    assert contract.first_year <= year <= contract.last_year
    assert not ProgressReport.objects.filter(contract=contract, year=year).exists(), (
        "the demo leaves Arras's report on last year to be sent"
    )
    target = contract.targets.get(indicator__identifier="cae_2.a")
    energy = (
        IndicatorValue.objects.validated()
        .filter(territory__code=ARRAS, indicator=target.indicator, year__lt=year)
        .order_by("-year")
        .first()
    )
    return {
        "url": demo_site.url,
        "contract": contract,
        "number": contract.amendments.count() + 1,
        "target": target,
        "action": contract.actions.get(),
        "year": year,
        "energy": energy,
        "signed_on": today - timedelta(days=7),
    }


def log_in(page, url, username):
    page.goto(url + "/compte/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form [type=submit]").click()


def problems_of(page) -> list[str]:
    """axe's violations (WCAG 2.1 AA) of the page, as a report, or nothing."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_21_AA)
    return [results.generate_report()] if results.violations_count else []


def test_an_amendment_a_documented_report_and_a_second_agent_s_validation(arras, chromium):
    from contracts.models import ProgressReport, ReportStatus
    from tri_portal.demo_story import demo_pdf

    url, contract, target = arras["url"], arras["contract"], arras["target"]
    new_target = Decimal("2400")
    problems = {}

    # A Region agent records amendment no. 1: the energy target lowered from this year.
    with browser_context(chromium) as staff:
        page = staff.new_page()
        log_in(page, url, "agent.region")
        page.goto(f"{url}/gestion/contrats/{contract.pk}/avenant/")
        problems["avenant"] = problems_of(page)
        page.get_by_label("Numéro de l'avenant").fill(str(arras["number"]))
        page.get_by_label("Signé le").fill(arras["signed_on"].isoformat())
        page.get_by_label("En vigueur à partir de l'année").fill(str(arras["year"] + 1))
        page.get_by_label("Motif").fill(REASON)
        change = page.locator("fieldset", has_text="Modification 1")
        change.get_by_label("Nature").select_option("change_target")
        change.get_by_label("Objectif modifié ou retiré").select_option(str(target.pk))
        change.get_by_label("Valeur cible").fill(str(new_target))
        with page.expect_navigation():
            page.get_by_role("button", name="Enregistrer l'avenant").click()
        assert "Avenant" in page.locator(".alert-success, [role=status]").first.inner_text()

    # Anyone reads it on the public page: the target as signed, the amendment, the
    # target in force.
    with phone_context(chromium) as public:
        page = public.new_page()
        page.goto(f"{url}/contrats/{contract.pk}/")
        main = text(page.locator("main").inner_text())
        assert text(f"Avenant n° {arras['number']}, signé le") in main
        assert text(f"en vigueur à partir de {arras['year'] + 1}") in main
        assert text(f"Motif : {REASON}") in main
        targets = page.locator("table", has_text="Objectifs chiffrés : signés et en vigueur")
        row = text(targets.locator("tr", has_text=target.indicator.name).inner_text())
        assert text(number(target.target_value, 3)) in row  # as signed
        assert text(number(new_target, 3)) in row  # in force
        problems["public"] = problems_of(page)
        screenshot(page, "390-avenant")

    # The Arras officer attaches a PDF to last year's report, tells what the action did,
    # gives the energy figure and submits.
    with browser_context(chromium) as officer:
        page = officer.new_page()
        log_in(page, url, "referent.arras")
        page.goto(f"{url}/espace/contrats/{contract.pk}/rapports/{arras['year']}/")
        page.get_by_label("Titre de la pièce").fill("Facture de l'isolation des écoles")
        page.get_by_label("Fichier", exact=True).set_input_files(
            files=[
                {
                    "name": "facture.pdf",
                    "mimeType": "application/pdf",
                    "buffer": demo_pdf("Facture - isolation des ecoles"),
                }
            ]
        )
        with page.expect_navigation():
            page.get_by_role("button", name="Joindre la pièce").click()
        assert page.get_by_role("link", name="Facture de l'isolation des écoles").is_visible()
        block = page.locator("fieldset", has_text=arras["action"].title)
        block.get_by_label("État").select_option(label="en cours")
        block.get_by_label("Avancement (%)").fill("40")
        block.get_by_label("Dépenses de l'année (€)").fill("125000")
        block.get_by_label("Ce qui a été fait").fill(NARRATIVE)
        energy = arras["energy"]
        page.get_by_label(f"{energy.indicator.name} ({energy.indicator.unit})", exact=True).fill(
            f"{energy.value * 99 / 100:.1f}"
        )
        problems["rapport"] = problems_of(page)
        with page.expect_navigation():
            page.get_by_role("button", name="Soumettre le rapport").click()
    report = ProgressReport.objects.get(contract=contract, year=arras["year"])
    assert report.status == ReportStatus.SUBMITTED
    assert report.evidence.get().file_format == "pdf"

    # A second agent, of ADEME, sees the evidence and the update, confirms, validates.
    with browser_context(chromium) as reviewer:
        page = reviewer.new_page()
        log_in(page, url, "agent.ademe")
        page.goto(f"{url}/gestion/rapports/{report.pk}/")
        main = text(page.locator("main").inner_text())
        assert "Facture de l'isolation des écoles" in main
        assert NARRATIVE in main
        problems["examen"] = problems_of(page)
        page.get_by_label("Je confirme", exact=False).check()
        with page.expect_navigation():
            page.get_by_role("button", name="Valider et publier les valeurs").click()
    report.refresh_from_db()
    assert report.status == ReportStatus.VALIDATED
    assert report.reviewed_by.username == "agent.ademe"

    # The public page now tells what was done that year; nothing scrolls sideways.
    with phone_context(chromium) as public:
        page = public.new_page()
        page.goto(f"{url}/contrats/{contract.pk}/")
        assert NARRATIVE in page.locator("main").inner_text()
        width = page.evaluate("document.documentElement.scrollWidth")
        overflow = page.evaluate(OVERFLOWING, PHONE["width"]) if width > PHONE["width"] else []
        screenshot(page, "390-contrat-vie")

    assert overflow == []
    assert {name: found for name, found in problems.items() if found} == {}
