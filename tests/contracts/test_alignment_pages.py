"""Where the targets' alignment with the regional 2050 path shows: the contract page,
the contract list (filter and summary), the staff dashboard and the staff list of the
targets below the path (figures computed by hand)."""

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from contracts.alignment import refresh_alignments
from contracts.models import Contract, ContractStatus
from tests.contracts.factories import ContractFactory, TargetFactory, indicator
from tests.factories import UserFactory
from tests.indicators.factories import RegionalGoalFactory
from tests.pages import visible_text

LIST = reverse("contracts")
STAFF_ALIGNMENT = reverse("staff_alignment")


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


def collapsed(response) -> str:
    return " ".join(visible_text(response.content.decode()).split())


def signed(reference, territory=None, **targets) -> Contract:
    """A signed contract with cae_2.a targets ``{name: target value}`` (1000 GWh in 2015
    to the value in 2020)."""
    kwargs = {"reference": reference}
    if territory is not None:
        kwargs["territory"] = territory
    contract = ContractFactory(**kwargs)
    for value in targets.values():
        TargetFactory(contract=contract, target_value=Decimal(value))
    contract.status = ContractStatus.SIGNED
    contract.signed_on = date(2017, 10, 24)
    contract.save()
    return contract


@pytest.fixture
def three_contracts(db):
    """Energy goal −60 % (2012 → 2050); over 2015–2020 the path requires −3/181 =
    −1,657 %/an. A: 1000 → 900 (−2 %/an, aligned); B: 1000 → 960 (−0,8 %/an, below,
    short by 42,87 GWh); C: 1000 → 990 (−0,2 %/an, below, short by 15000/181 − 10 =
    72,87 GWh)."""
    RegionalGoalFactory()
    contracts = {
        "A": signed("COTRI-A", a="900"),
        "B": signed("COTRI-B", a="960"),
        "C": signed("COTRI-C", a="990"),
    }
    refresh_alignments()
    return contracts


# --- Contract page ----------------------------------------------------------------------


def test_contract_page_shows_label_paces_and_method_link(client, demo):
    # Fourmies' active contract: final energy −10 % from 2022 to 2027, −2 %/an; the path
    # requires (P(2027) / P(2022) − 1) / 5 = ((1 − 0.6 × 15/38) / (1 − 0.6 × 10/38) − 1) / 5
    # = (29/32 − 1) / 5 = −1,875 %/an, shown −1,88 %/an: ratio 1,07, aligned.
    contract = Contract.objects.get(territory__code="59249", status=ContractStatus.ACTIVE)
    response = client.get(reverse("contract", args=[contract.pk]))
    html = response.content.decode()
    text = collapsed(response)
    assert "alignée sur la trajectoire" in text
    assert "−2 %/an engagé ; −1,88 %/an requis" in text
    assert 'href="/methode/#alignement"' in html
    assert "Trajectoire régionale 2050 : le rythme annuel" in text  # the legend


def test_target_without_regional_goal_says_so(client, db):
    contract = signed("COTRI-SANS", a="900")
    refresh_alignments()
    text = collapsed(client.get(reverse("contract", args=[contract.pk])))
    assert "pas de trajectoire régionale" in text
    assert "%/an engagé" not in text


def test_contract_page_csv_gives_the_alignment_on_the_target_row(client, three_contracts):
    contract = three_contracts["B"]
    response = client.get(reverse("contract_csv", args=[contract.pk]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    target = next(row for row in rows if row["type"] == "objectif")
    assert (target["alignement"], target["rythme_engage"], target["rythme_requis"]) == (
        "below",
        "-0,8",
        "-1,66",
    )
    reference = next(row for row in rows if row["type"] == "reference")
    assert reference["alignement"] == reference["rythme_engage"] == ""


# --- Contract list ----------------------------------------------------------------------


def listed(response) -> list[str]:
    return sorted(re.findall(r'<a href="/contrats/\d+/">([^<]+)</a>', response.content.decode()))


@pytest.fixture
def named_contracts(three_contracts):
    """The three contracts on three different territories, to tell them apart by name."""
    from territories.models import Territory

    names = {"A": "59249", "B": "59271", "C": "59350"}
    for key, code in names.items():
        contract = three_contracts[key]
        contract.territory = Territory.objects.get(kind="commune", code=code)
        contract.save()
    return {key: c.territory.name for key, c in three_contracts.items()}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("aligned", ["A"]), ("below", ["B", "C"]), ("beyond", []), ("none", [])],
)
def test_list_filters_on_alignment(client, named_contracts, value, expected):
    response = client.get(LIST, {"alignement": value})
    assert listed(response) == sorted(named_contracts[key] for key in expected)
    assert f'<option value="{value}"\n                  selected>' in response.content.decode()


def test_bad_alignment_value_is_ignored_like_the_other_filters(client, named_contracts):
    response = client.get(LIST, {"alignement": "parfait"})
    assert response.status_code == 200
    assert listed(response) == sorted(named_contracts.values())


def test_list_export_link_keeps_the_alignment_filter(client, named_contracts):
    html = client.get(LIST, {"alignement": "below"}).content.decode()
    assert "alignment=below&amp;format=csv" in html


def test_cards_summarise_the_alignment_of_each_contract(client, named_contracts):
    contract = Contract.objects.get(reference="COTRI-A")
    TargetFactory(contract=contract, target_year=2021, target_value=Decimal(990))  # below
    TargetFactory(contract=contract, indicator=indicator("cae_1.a"))  # no regional goal
    refresh_alignments()
    text = collapsed(client.get(LIST, {"q": "COTRI-A"}))
    assert "Trajectoire régionale 2050 : 1 objectif aligné ou au-delà sur 2" in text


# --- Staff dashboard and staff list ---------------------------------------------------------


@pytest.fixture
def agent_client(client, db):
    client.force_login(UserFactory(username="agent.alignement", is_staff=True))
    return client


@pytest.mark.parametrize("role", ["anonymous", "officer"])
def test_only_staff_see_the_targets_below_the_path(client, db, role):
    if role == "officer":
        client.force_login(UserFactory(username="referent.alignement"))
    response = client.get(STAFF_ALIGNMENT)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_staff_list_shows_targets_below_the_path_largest_gap_first(agent_client, named_contracts):
    text = collapsed(agent_client.get(STAFF_ALIGNMENT))
    assert "2 objectifs de contrats publiés" in text
    c, b = named_contracts["C"], named_contracts["B"]
    assert text.index(c) < text.index(b)  # 72,9 GWh before 42,9 GWh
    assert "−0,2 %/an −1,66 %/an 72,9 GWh" in text
    assert "−0,8 %/an −1,66 %/an 42,9 GWh" in text
    assert named_contracts["A"] not in text  # aligned


def test_staff_list_leaves_out_draft_contracts(agent_client, db):
    RegionalGoalFactory()
    TargetFactory(target_value=Decimal(990), contract=ContractFactory(reference="COTRI-DRAFT"))
    refresh_alignments()
    text = collapsed(agent_client.get(STAFF_ALIGNMENT))
    assert "COTRI-DRAFT" not in text
    assert "Aucun objectif en deçà de la trajectoire régionale." in text


@pytest.mark.parametrize("count", [1, 50])
def test_staff_list_query_budget(agent_client, db, count, django_assert_max_num_queries):
    RegionalGoalFactory()
    contract = signed("COTRI-BUDGET")
    for year in range(count):
        TargetFactory(contract=contract, target_year=2020 + year, target_value=Decimal(999))
    refresh_alignments()
    with django_assert_max_num_queries(6):
        response = agent_client.get(STAFF_ALIGNMENT)
    assert response.content.decode().count("COTRI-BUDGET</a>") == count


def test_staff_dashboard_counts_targets_per_label_and_links_the_list(agent_client, three_contracts):
    response = agent_client.get(reverse("staff_dashboard"))
    html = response.content.decode()
    assert re.search(r'id="alignement-aligned">alignée sur la trajectoire : 1<', html)
    assert re.search(r'id="alignement-below">en deçà de la trajectoire : 2<', html)
    assert re.search(r'id="alignement-beyond">au-delà de la trajectoire : 0<', html)
    assert f'href="{STAFF_ALIGNMENT}"' in html
