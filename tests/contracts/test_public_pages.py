"""Public contract pages: list, filters, contract page with charts and CSV, caching."""

import html
import json
import re
from datetime import date

import pytest
from django.core.cache import cache
from django.urls import reverse

from contracts import services
from contracts.models import Contract
from tests.contracts.factories import ContractFactory, accept_verdicts, signable
from tests.factories import UserFactory

LIST = reverse("contracts")


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


def listed(response) -> list[str]:
    return re.findall(
        r'<h2 class="h5 card-title">\s*<a href="/contrats/\d+/">([^<]+)</a>',
        response.content.decode(),
    )


SIGNED_IN_2017 = [
    "CU d&#x27;Arras",
    "CA de la Région de Compiègne et de la Basse Automne",
    "Syndicat mixte du SCoT Sambre-Avesnois",
    "Fourmies",
    "Grande-Synthe",
    "CA de Lens - Liévin",
]
# Active on the day the demo is loaded: four renewals and two new signatories.
ACTIVE = [
    "CU d&#x27;Arras",
    "Syndicat mixte du SCoT Sambre-Avesnois",
    "Fourmies",
    "CA de Lens - Liévin",
    "CA Douaisis Agglo",
    "CA du Beauvaisis",
]


def test_the_list_shows_the_six_contracts_of_2017_and_the_active_ones(client, demo):
    names = listed(client.get(LIST))
    assert sorted(names) == sorted(SIGNED_IN_2017 + ACTIVE)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"departement": "62"}, {"CU d&#x27;Arras", "CA de Lens - Liévin"}),
        (
            {"theme": "eclairage-public"},
            {
                "CA de la Région de Compiègne et de la Basse Automne",
                "Grande-Synthe",
                "Fourmies",
                "CA du Beauvaisis",
            },
        ),
        ({"type": "commune"}, {"Fourmies", "Grande-Synthe"}),
        ({"q": "59249"}, {"Fourmies"}),
        ({"q": "246200364"}, {"CA de Lens - Liévin"}),
        ({"q": "COTRI-2017-ARRAS"}, {"CU d&#x27;Arras"}),
        ({"annee": "2016"}, set()),
        (
            {"statut": "completed", "departement": "60"},
            {"CA de la Région de Compiègne et de la Basse Automne"},
        ),
    ],
)
def test_search_and_filters(client, demo, params, expected):
    assert set(listed(client.get(LIST, params))) == expected


@pytest.mark.parametrize(
    "params",
    [{"annee": "abc"}, {"theme": "inconnue"}, {"statut": "draft"}, {"tri": "x"}, {"page": "zz"}],
)
def test_bad_filter_values_are_ignored(client, demo, params):
    response = client.get(LIST, params)
    assert response.status_code == 200
    assert len(listed(response)) == len(SIGNED_IN_2017 + ACTIVE)


def test_a_very_long_search_is_cut(client, demo):
    response = client.get(LIST, {"q": "x" * 5000})
    assert response.status_code == 200
    assert 'value="' + "x" * 100 + '"' in response.content.decode()


def test_draft_contracts_are_invisible_even_by_id(client, demo):
    draft = ContractFactory(reference="COTRI-BROUILLON")

    assert listed(client.get(LIST, {"q": "COTRI-BROUILLON"})) == []
    response = client.get(reverse("contract", args=[draft.pk]))
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_cards_show_the_progress_on_the_three_tri_indicators(client, demo):
    html = " ".join(client.get(LIST, {"q": "59249"}).content.decode().split())
    assert "Consommation énergétique finale : 120 % de l'objectif" in html  # spaces collapsed
    assert "dans la trajectoire" in html


def test_the_list_costs_the_same_queries_for_1_and_many_contracts(
    client, demo, django_assert_max_num_queries
):
    staff = UserFactory(username="agent.bulk", is_staff=True)
    with django_assert_max_num_queries(12):
        client.get(LIST, {"q": "59249"})
    for n in range(14):
        contract = ContractFactory(
            reference=f"COTRI-X-{n}", start_date=date(2024, 1, 1), end_date=date(2026, 12, 31)
        )
        services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    cache.clear()
    with django_assert_max_num_queries(12):
        response = client.get(LIST)
    assert len(listed(response)) == 20  # first page


def fourmies(demo):
    return Contract.objects.get(reference="COTRI-2017-FOURMIES")


def test_the_contract_page_has_targets_charts_and_their_tables(client, demo):
    contract = fourmies(demo)
    html = client.get(reverse("contract", args=[contract.pk])).content.decode()

    assert "<h1>Contrat d&#x27;objectifs TRI de la Ville de Fourmies</h1>" in html
    assert "ADEME Hauts-de-France" in html
    target = contract.targets.get(indicator__identifier="cae_2.a")
    chart = json.loads(
        re.search(
            rf'<script id="objectif-{target.pk}" type="application/json">(.*?)</script>', html, re.S
        ).group(1)
    )
    # 2015 to its end in 2020 (then the renewal's years)
    assert chart["labels"][:6] == [str(y) for y in range(2015, 2021)]
    values, trajectory, goal = chart["datasets"]
    assert values["data"][0] == 251.9
    assert values["data"][5] == 227.7
    assert trajectory["style"] == "dashed"
    assert goal["data"][5] == 231.748
    assert f'data-chart="objectif-{target.pk}"' in html
    assert "227,7" in html  # the same data in the table next to the chart


def test_the_page_data_downloads_as_csv(client, demo):
    contract = fourmies(demo)
    response = client.get(reverse("contract_csv", args=[contract.pk]))
    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert text.splitlines()[0] == (
        "type;indicateur;nom;unite;annee;valeur;source;validated_on;validated_by;"
        "alignement;rythme_engage;rythme_requis;is_demo"
    )
    # Rounded to the indicator's precision (GWh: one decimal), with a decimal comma.
    assert (
        "objectif;cae_2.a;Consommation énergétique finale;GWh;2020;231,7;"
        "Contrat COTRI-2017-FOURMIES" in text
    )
    assert "valeur_validee;cae_2.a;Consommation énergétique finale;GWh;2020;227,7;" in text


def test_anonymous_pages_are_cached_and_answer_conditional_requests(
    client, demo, django_assert_num_queries
):
    contract = fourmies(demo)
    url = reverse("contract", args=[contract.pk])
    first = client.get(url)
    assert "public" in first["Cache-Control"]

    with django_assert_num_queries(0):  # served from the cache
        again = client.get(url)
    assert again.content == first.content

    not_modified = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert not_modified.status_code == 304


def test_a_committed_change_of_the_contract_invalidates_the_cache(
    client, demo, django_capture_on_commit_callbacks
):
    contract = fourmies(demo)
    url = reverse("contract", args=[contract.pk])
    etag = client.get(url)["ETag"]

    with django_capture_on_commit_callbacks(execute=True):  # the version moves on commit
        contract.summary = "Résumé mis à jour"
        contract.save()

    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "Résumé mis à jour" in response.content.decode()


def test_logged_in_users_are_not_served_cached_pages(client, demo):
    client.force_login(UserFactory(username="referent.cache"))
    response = client.get(LIST)
    assert "ETag" not in response


def test_a_value_measured_before_the_baseline_year_is_not_shown_as_progress(client, fourmies):
    from decimal import Decimal

    from tests.contracts.factories import TargetFactory
    from tests.indicators.factories import ValidatedValueFactory

    staff = UserFactory(username="agent.test", is_staff=True)
    contract = ContractFactory(territory=fourmies)
    TargetFactory(contract=contract, baseline_year=2017, target_year=2020)  # 1000 → 900 GWh
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    ValidatedValueFactory(territory=fourmies, year=2015, value=Decimal("728"))  # before 2017

    page = client.get(reverse("contract", args=[contract.pk])).content.decode()

    assert "pas de donnée" in page
    assert "dans la trajectoire" not in page
    assert "272" not in page


def _completed_contract(fourmies, values: dict[int, str]):
    """A completed contract of Fourmies, final energy 1 000 → 900 GWh from 2017 to 2020
    (lower is better), with the validated values given by year."""
    from decimal import Decimal

    from tests.contracts.factories import TargetFactory
    from tests.indicators.factories import ValidatedValueFactory

    staff = UserFactory(username="agent.bilan", is_staff=True)
    contract = ContractFactory(territory=fourmies)
    TargetFactory(contract=contract, baseline_year=2017, target_year=2020)
    services.sign_contract(signable(contract), staff, signed_on=date(2017, 10, 24))
    services.activate_contract(contract, staff, activated_on=contract.signed_on)
    services.complete_contract(
        contract, staff, "Bilan de fin de contrat.", accept_verdicts(contract)
    )
    for year, value in values.items():
        ValidatedValueFactory(territory=fourmies, year=year, value=Decimal(value))
    return contract


def _outcome_cell(page: str) -> str:
    row = re.search(r"<tbody>.*?</tbody>", page, re.S).group(0)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)))


def test_a_completed_contract_says_whether_each_target_was_met_at_its_end(client, fourmies):
    contract = _completed_contract(fourmies, {2018: "980", 2020: "960"})

    page = client.get(reverse("contract", args=[contract.pk])).content.decode()
    cell = _outcome_cell(page)

    assert "Bilan à l'échéance" in html.unescape(page)
    assert "objectif non atteint" in cell
    assert "960,0 (2020)" in cell
    assert "en retard" not in cell
    assert "dans la trajectoire" not in cell


def test_the_end_of_contract_outcome_uses_the_last_value_up_to_its_end_year(client, fourmies):
    # 2019 meets the target; 2021, after the contract's end, does not count.
    contract = _completed_contract(fourmies, {2019: "880", 2021: "990"})

    cell = _outcome_cell(client.get(reverse("contract", args=[contract.pk])).content.decode())

    assert "objectif atteint" in cell
    assert "objectif non atteint" not in cell
    assert "880,0 (2019)" in cell


def test_a_completed_contract_without_values_at_its_end_says_so(client, fourmies):
    contract = _completed_contract(fourmies, {2016: "1010"})  # before the baseline year

    cell = _outcome_cell(client.get(reverse("contract", args=[contract.pk])).content.decode())

    assert "aucune valeur validée à l'échéance" in cell
    assert "objectif" not in cell


def test_a_completed_contract_is_judged_on_its_own_years_not_on_its_renewals(fourmies):
    from contracts.selectors import target_standings

    contract = _completed_contract(fourmies, {2019: "940", 2020: "930", 2023: "850"})

    (row,) = target_standings(contract)

    assert (row.standing.latest_year, row.standing.latest_value) == (2020, 930)
    assert str(row.standing.status) == "late"  # 930 > 900 expected in 2020
