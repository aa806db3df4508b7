"""Every figure honest (issue 18 §2): a page whose figures include demonstration data
says so in a banner (decided from the data on the page, not a setting) and labels the
demo contracts; each value says its source, the day it was validated and the
organisation that validated it (never a username); an aggregate says that the portal
computed it, from how many territories, and when."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.models import Contract, ContractStatus
from indicators.models import IndicatorValue, ValueStatus
from indicators.organisations import ADEME, REGION, join_organisation, organisation_of
from tests.contracts.factories import ContractFactory, TargetFactory, indicator
from tests.factories import UserFactory
from tri_portal.demo import DEMO_USERS, ensure_demo_users

BANNER = 'role="note"'
BANNER_TEXT = "Données de démonstration."


def page(client, name, *args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def text_of(html: str) -> str:
    """The page's words, tags removed and blanks collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def demo_pages(client):
    fourmies = Contract.objects.get(reference="COTRI-2017-FOURMIES")
    return {
        "dashboard": page(client, "regional_dashboard"),
        "territory": page(client, "territory", fourmies.territory.slug),
        "contract list": page(client, "contracts"),
        "contract": page(client, "contract", fourmies.pk),
        "open data": page(client, "open_data"),
    }


# --- Without demonstration data ----------------------------------------------------


@pytest.fixture
def validator(db):
    """A Region agent, who validates for the Region."""
    user = UserFactory(username="agente.region", is_staff=True)
    join_organisation(user, REGION)
    return user


@pytest.fixture
def real_contract(fourmies, validator):
    """A real (not demo) active Fourmies contract on energy consumption, with a value
    validated by the Region on 20 June 2024."""
    contract = ContractFactory(
        reference="COTRI-REEL", status=ContractStatus.ACTIVE, signed_on=date(2017, 10, 24)
    )
    TargetFactory(contract=contract)
    IndicatorValue.objects.create(
        territory=fourmies,
        indicator=indicator("cae_2.a"),
        year=2023,
        value=Decimal("950"),
        source="Observatoire Climat Hauts-de-France",
        status=ValueStatus.VALIDATED,
        validated_by=validator,
        validated_at=datetime(2024, 6, 20, 10, tzinfo=UTC),
    )
    return contract


def test_no_page_shows_the_banner_without_demonstration_data(client, real_contract):
    pages = {
        "dashboard": page(client, "regional_dashboard"),
        "territory": page(client, "territory", real_contract.territory.slug),
        "contract list": page(client, "contracts"),
        "contract": page(client, "contract", real_contract.pk),
        "open data": page(client, "open_data"),
    }

    for name, html in pages.items():
        assert BANNER_TEXT not in html, name
        assert "demo-badge" not in html, name


def test_a_contract_page_value_says_its_source_validation_day_and_organisation(
    client, real_contract
):
    html = page(client, "contract", real_contract.pk)

    line = "Source : Observatoire Climat Hauts-de-France · validée le 20/06/2024 par la Région"
    assert line in text_of(html)
    assert "agente.region" not in html


def test_a_territory_page_value_says_its_source_validation_day_and_organisation(
    client, real_contract
):
    html = page(client, "territory", real_contract.territory.slug)

    line = "Source : Observatoire Climat Hauts-de-France · validée le 20/06/2024 par la Région"
    assert line in text_of(html)
    assert "agente.region" not in html


def test_a_value_validated_by_ademe_says_so(client, real_contract, validator):
    ademe_agent = UserFactory(username="agent.ademe.reel", is_staff=True)
    join_organisation(ademe_agent, ADEME)
    IndicatorValue.objects.update(validated_by=ademe_agent)

    html = page(client, "contract", real_contract.pk)

    assert "validée le 20/06/2024 par l&#x27;ADEME" in html


def test_a_value_validated_by_someone_of_no_organisation_names_no_one(client, real_contract):
    IndicatorValue.objects.update(validated_by=UserFactory(username="agent.sans.groupe"))

    text = text_of(page(client, "contract", real_contract.pk))

    assert "Source : Observatoire Climat Hauts-de-France · validée le 20/06/2024" in text
    assert "20/06/2024 par" not in text


def test_the_demo_agents_validate_for_the_region_and_ademe(demo):
    users = ensure_demo_users()

    assert organisation_of(users["agent.region"]) == REGION
    assert organisation_of(users["agent.ademe"]) == ADEME
    assert all(
        organisation_of(users[name]) is None
        for name, (_password, is_staff, _t) in DEMO_USERS.items()
        if not is_staff
    )


# --- With demonstration data -------------------------------------------------------


def test_every_page_showing_demo_figures_has_the_banner(client, demo_recomputed):
    for name, html in demo_pages(client).items():
        assert BANNER_TEXT in html, name
        banner = html[html.index("demo-banner") - 200 : html.index(BANNER_TEXT)]
        assert BANNER in banner, name


def test_demo_contracts_carry_the_badge_in_the_contract_list(client, demo_recomputed):
    html = page(client, "contracts")

    cards = html.split('<article class="card')[1:]
    assert cards
    assert all("Données de démonstration" in card for card in cards)


def test_demo_values_are_labelled_next_to_their_source(client, demo_recomputed):
    html = demo_pages(client)["contract"]

    text = text_of(html)
    assert re.search(r"validée le \d\d/\d\d/\d{4} par la Région Données de démonstration", text)


def test_the_dashboard_says_an_aggregate_is_computed_by_the_portal_and_when(
    client, demo_recomputed
):
    text = text_of(page(client, "regional_dashboard"))

    assert re.search(
        r"Source : Agrégat calculé par le portail à partir des valeurs validées de \d+ "
        r"territoires? · calculé le \d\d/\d\d/\d{4} Données de démonstration",
        text,
    )
