"""The README tells a newcomer the truth: the addresses it gives exist, it presents no
file from outside the project, and it says what the demo holds."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve

README = Path(settings.BASE_DIR, "README.md").read_text(encoding="utf-8")
# The pages the README sends a reader to: links to the local server
# (<http://127.0.0.1:8000/methode/>) and the pages its lists describe ("* `/couverture/` —").
ADDRESS = re.compile(r"<http://127\.0\.0\.1:8000(/[^>\s]*)>|^\* `(/[^`\s]*)`", re.MULTILINE)
# Addresses with a placeholder (`/contrats/<id>/`, `…/{contrats,objectifs}.json`, `?q=…`).
PLACEHOLDER = re.compile(r"[<{…*]")


def site_addresses() -> list[str]:
    found = {(link or item).split("?")[0] for link, item in ADDRESS.findall(README)}
    return sorted(a for a in found if not PLACEHOLDER.search(a) and not a.startswith("/static/"))


def test_the_readme_gives_the_login_and_method_pages():
    addresses = site_addresses()

    assert "/compte/login/" in addresses
    assert "/methode/" in addresses
    assert "/compte/connexion/" not in README


@pytest.mark.parametrize("address", site_addresses())
def test_every_address_the_readme_gives_exists(address):
    try:
        resolve(address)
    except Resolver404:
        pytest.fail(f"The README gives {address}, which is not a page of the portal.")


def test_the_readme_presents_no_file_from_outside_the_project():
    assert "../shared" not in README
    assert not re.search(r"shared/(DESIGN|STYLE)\.md|shared/data/", README)


def test_the_readme_says_the_2050_goals_are_not_a_contract():
    assert "les objectifs 2050 de la région ne sont pas un contrat" in " ".join(README.split())
    assert "regional-goals/" in README
