"""The main navigation: staff find every management page under one "Gestion" entry;
officers their space; the public neither."""

import re

import pytest
from django.urls import reverse

from tests.pages import visible_text


def navigation(client) -> str:
    html = client.get(reverse("home")).content.decode()
    return html[html.index('<ul class="navbar-nav">') : html.index("</header>")]


def top_level_entries(nav: str) -> list[str]:
    """The visible names of the menu's first-level entries."""
    items = re.split(r'<li class="nav-item[^"]*">', nav)[1:]
    return [visible_text(item.split('<ul class="dropdown-menu')[0]) for item in items]


def test_staff_have_one_management_entry_leading_to_every_management_page(client, staff):
    client.force_login(staff)
    nav = navigation(client)

    entries = top_level_entries(nav)
    assert "Gestion" in entries
    for overlapping in ("Espace de gestion", "Tableau de bord des agents", "Mon espace"):
        assert overlapping not in entries
    menu = nav[nav.index('<ul class="dropdown-menu') :]
    for url in (
        reverse("staff_dashboard"),
        reverse("staff_reports"),
        reverse("staff_alignment"),
        reverse("staff_dashboard") + "#recalcul",
        reverse("admin:index"),
        reverse("officer:dashboard"),
    ):
        assert f'href="{url}"' in menu
    # Without JavaScript the entry itself opens the staff dashboard.
    toggle = re.search(r'<a class="nav-link dropdown-toggle"[^>]*>', nav).group(0)
    assert f'href="{reverse("staff_dashboard")}"' in toggle
    assert 'aria-expanded="false"' in toggle


def test_the_staff_dashboard_links_every_management_page(client, staff):
    client.force_login(staff)
    html = client.get(reverse("staff_dashboard")).content.decode()
    main = html[html.index("<main") :]

    for url in (
        reverse("staff_reports"),
        reverse("staff_alignment"),
        "#recalcul",
        reverse("admin:index"),
    ):
        assert f'href="{url}"' in main
    assert 'id="recalcul"' in main


@pytest.mark.parametrize("who", ["officer", "anonymous"])
def test_others_have_no_management_entry(client, officer, who):
    if who == "officer":
        client.force_login(officer)
    nav = navigation(client)

    assert "Gestion" not in top_level_entries(nav)
    assert reverse("admin:index") not in nav
    assert (reverse("officer:dashboard") in nav) == (who == "officer")
