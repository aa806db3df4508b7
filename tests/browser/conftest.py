import io
from pathlib import Path

import pytest
from django.core.management import call_command

from tests import snapshots
from tests.service_markers import chromium_path

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


DEMO_SITE = "demo_site"


@pytest.fixture
def demo_site(transactional_db, live_server, unhashed_static):
    """The demo data (and its aggregates) committed, so the live server sees them.
    Loaded once: on PostgreSQL the first test keeps the result as a snapshot that the
    next ones put back (a fraction of a second instead of ≈ 10 s; tests/snapshots.py)."""
    from indicators.aggregation import recompute_all
    from tests.realservices import ensure_reference_data

    if snapshots.taken(DEMO_SITE):
        snapshots.restore(DEMO_SITE)
        return live_server
    ensure_reference_data()
    call_command("load_demo", stdout=io.StringIO())
    recompute_all()
    if snapshots.supported():
        snapshots.take(DEMO_SITE)
    return live_server


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        yield page
        browser.close()


def screenshot(page, name: str) -> None:
    """Key pages are kept for review in var/screenshots/ (not committed)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
