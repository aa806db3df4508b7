"""The glossary and method page: every indicator of the catalogue, the terms behind the
figures under their own anchors, and every figure of the portal linking to them."""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from contracts import services
from indicators.models import Indicator
from tests.contracts.factories import ContractFactory, TargetFactory, accept_verdicts, signable
from tests.indicators.factories import ValidatedValueFactory
from tests.pages import visible_text

METHOD = reverse("method")
TERMS = [
    "valeurs-validees",
    "realisation",
    "trajectoire",
    "situation",
    "projection",
    "bilan",
    "fin-de-contrat",
    "alignement",
    "agregats",
    "couverture",
    "demonstration",
    "indicateurs",
]
# A link to a fixed anchor of the method page in a template: "{% url 'method' %}#anchor"
METHOD_LINK = re.compile(r"\{% url 'method' %\}#([\w.-]+)\"")


def ids_of(html: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', html))


def method_links(html: str) -> set[str]:
    return set(re.findall(rf'href="{METHOD}#([^"]+)"', html))


def test_every_term_has_its_own_anchor(client, db):
    html = client.get(METHOD).content.decode()

    assert set(TERMS) <= ids_of(html)
    text = visible_text(html)
    for term in (
        "Réalisation",
        "Trajectoire",
        "Dans la trajectoire / en retard",
        "Objectif atteint / non atteint",
        "Agrégats sans double compte",
        "Population couverte et agrégats partiels",
        "Données de démonstration",
        "Fin d'un contrat",
    ):
        assert term in text


def test_the_method_page_explains_the_rules_behind_the_figures(client, db):
    text = visible_text(client.get(METHOD).content.decode())

    assert (
        "(dernière valeur validée − valeur de référence) ÷ (objectif − valeur de référence)" in text
    )
    assert "du plus grand ensemble de communes au plus petit" in text  # no double counting
    assert "agrégat partiel" in text
    assert "renouvellement est un nouveau contrat" in text


def test_every_indicator_of_the_catalogue_is_described_from_the_catalogue(client, db):
    Indicator.objects.create(
        identifier="tri_test_bornes_velo",
        name="Bornes de réparation vélo",
        unit="points de recharge",
        theme="mobilite_et_transport",
        direction="higher",
        origin="tri",
    )
    html = client.get(METHOD).content.decode()
    text = visible_text(html)

    anchors = ids_of(html)
    for indicator in Indicator.objects.all():
        assert f"indicateur-{indicator.identifier}" in anchors
        assert indicator.name in text
    energy = text[text.index("Consommation énergétique finale,") :]
    assert energy.startswith("Consommation énergétique finale, en GWh")
    assert "Référentiel ADEME (Territoires en Transitions)" in text
    assert "Bornes de réparation vélo, en points de recharge" in text
    assert "aucun (identifiant propre au portail : tri_test_bornes_velo" in text
    # A derived indicator shows its formula and links to its components.
    assert "val(cae_3.a)/1000/val(cae_2.a)*100" in text
    assert 'href="#indicateur-cae_3.a"' in html


def test_every_link_to_the_method_page_lands_on_a_defined_term(client, db):
    anchors = ids_of(client.get(METHOD).content.decode())
    templates = Path(settings.BASE_DIR, "templates")

    linked = {
        anchor
        for template in templates.rglob("*.html")
        for anchor in METHOD_LINK.findall(template.read_text(encoding="utf-8"))
    }

    assert {"situation", "bilan", "realisation", "trajectoire", "couverture", "agregats"} <= linked
    assert linked <= anchors


def test_the_navigation_and_the_footer_link_the_method_page(client, db):
    html = client.get(reverse("home")).content.decode()
    header = html[html.index("<header") : html.index("</header>")]
    footer = html[html.index("<footer") : html.index("</footer>")]

    assert f'href="{METHOD}"' in header
    assert f'href="{METHOD}"' in footer


@pytest.fixture
def active_contract(staff, fourmies):
    """An active contract of Fourmies, final energy 1 000 → 900 GWh (2017 → 2020), with a
    value for 2019."""
    contract = ContractFactory(territory=fourmies)
    TargetFactory(contract=contract, baseline_year=2017, target_year=2020)
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    services.activate_contract(contract, staff, activated_on=contract.signed_on)
    ValidatedValueFactory(territory=fourmies, year=2019, value=Decimal("950"))
    return contract


def test_a_contracts_figures_link_to_their_definitions(client, active_contract):
    html = client.get(reverse("contract", args=[active_contract.pk])).content.decode()

    assert {"realisation", "situation", "valeurs-validees"} <= method_links(html)
    badge = re.search(rf'<a class="badge [^"]*"\s+href="{METHOD}#situation">([^<]+)</a>', html)
    assert badge.group(1) == "en retard"  # 950 where the trajectory expects 933,3


def test_the_contract_list_badges_link_to_their_definition(client, active_contract):
    html = client.get(reverse("contracts")).content.decode()

    assert "situation" in method_links(html)


def test_a_completed_contracts_outcome_links_to_its_definition(client, active_contract, staff):
    services.complete_contract(
        active_contract, staff, "Bilan de fin de contrat.", accept_verdicts(active_contract)
    )

    html = client.get(reverse("contract", args=[active_contract.pk])).content.decode()

    assert "bilan" in method_links(html)
    assert re.search(
        rf'<a class="badge [^"]*"\s+href="{METHOD}#bilan">objectif non atteint</a>', html
    )


def test_the_dashboards_goals_and_coverage_link_to_their_definitions(client, demo):
    html = client.get(reverse("regional_dashboard")).content.decode()

    assert {"realisation", "trajectoire", "situation", "couverture"} <= method_links(html)


def test_the_method_page_is_public_and_cached(client, db):
    first = client.get(METHOD)

    assert first.status_code == 200
    assert "public" in first["Cache-Control"]
    assert client.get(METHOD, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_the_staff_dashboards_figures_link_to_their_definitions(client, demo):
    client.force_login(get_user_model().objects.get(username="agent.region"))  # the demo's

    html = client.get(reverse("staff_dashboard")).content.decode()

    assert {"agregats", "couverture", "realisation", "projection"} <= method_links(html)
