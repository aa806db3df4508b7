import os
from contextlib import contextmanager
from pathlib import Path

import pytest

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


PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def chromium():
    """One Chromium for every browser test of the session, each test in a context of
    its own (cookies, storage and viewport are per context): launching it for each test
    cost ≈ 1.5 s. The browser tests run last in their process (``tests/conftest.py``),
    because from here on Playwright's event loop runs in this thread, where Django
    refuses the ORM unless allowed: the tests' own reads and the database fixtures are,
    for the rest of the session; the portal under test runs in the live server's thread."""
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def browser_context(chromium, **options):
    """A fresh context (French, desktop size unless ``options`` say otherwise), closed
    after the block."""
    context = chromium.new_context(
        **{"locale": "fr-FR", "viewport": {"width": 1280, "height": 900}, **options}
    )
    try:
        yield context
    finally:
        context.close()


def phone_context(chromium, **options):
    """A context as on a phone 390 px wide."""
    return browser_context(
        chromium,
        viewport=PHONE,
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
        **options,
    )


@pytest.fixture
def browser_page(chromium):
    with browser_context(chromium) as context:
        yield context.new_page()


@pytest.fixture
def phone_page(chromium):
    with phone_context(chromium) as context:
        yield context.new_page()


def screenshot(page, name: str) -> None:
    """Key pages are kept for review in var/screenshots/ (not committed)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
