"""The public territory page (no login): identity, nesting, public contracts and the
validated key indicators — never drafts, never unvalidated values."""

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts.models import ContractStatus
from indicators.models import Aggregate, Indicator, IndicatorValue, ValueStatus
from territories.models import Territory, TerritoryKind
from tests.contracts.factories import ContractFactory
from tests.indicators.factories import RegionalGoalFactory


@pytest.fixture(autouse=True)
def _static_from_finders(unhashed_static):
    """The vendored Chart.js and charts.js are referenced from the finders, so these
    tests don't depend on a fresh ``collectstatic`` manifest."""


def page(client, territory):
    response = client.get(reverse("territory", args=[territory.slug]))
    assert response.status_code == 200
    return response.content.decode()


def text_of(html):
    """The visible text, ASCII whitespace collapsed (non-breaking spaces kept),
    apostrophe entities resolved."""
    text = re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'")
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def indicator(identifier):
    return Indicator.objects.get(identifier=identifier)


def value(territory, identifier, year, amount, status=ValueStatus.VALIDATED):
    return IndicatorValue.objects.create(
        territory=territory,
        indicator=indicator(identifier),
        year=year,
        value=Decimal(amount),
        status=status,
        validated_at=timezone.now() if status == ValueStatus.VALIDATED else None,
    )


def signed_contract(territory, **kwargs):
    return ContractFactory(
        territory=territory,
        status=ContractStatus.SIGNED,
        signed_on=date(2017, 10, 24),
        **kwargs,
    )


def chart_json(html, chart_id):
    match = re.search(rf'<script id="{chart_id}" type="application/json">(.*?)</script>', html)
    if match is None:
        match = re.search(rf'<script type="application/json" id="{chart_id}">(.*?)</script>', html)
    return None if match is None else json.loads(match.group(1))


def lens_lievin():
    return Territory.objects.get(kind=TerritoryKind.EPCI, siren="246200364")


# --- identity and layout ---------------------------------------------------------


def test_commune_page_shows_its_kind_codes_and_population_with_its_year(client, fourmies):
    html = page(client, fourmies)
    text = text_of(html)

    assert re.findall(r"<h1[ >]", html) == ["<h1>"]
    assert "<h1>Fourmies</h1>" in html
    assert "Commune" in text
    assert "59249" in text
    assert "215902495" in text
    assert "11\xa0449 habitants (2023)" in text
    assert "2\xa0023" not in html


def test_territory_page_has_a_title_and_breadcrumb_naming_the_territory(client, fourmies):
    html = page(client, fourmies)

    title = " ".join(re.search(r"<title>(.*?)</title>", html, re.S).group(1).split())
    assert title.startswith("Fourmies — ")
    breadcrumb = re.search(r'<ol class="breadcrumb">(.*?)</ol>', html, re.S).group(1)
    assert f'href="{reverse("home")}"' in breadcrumb
    assert re.search(r'aria-current="page">\s*Fourmies\s*</li>', breadcrumb)


def test_commune_page_links_to_its_ancestors(client, fourmies):
    html = page(client, fourmies)

    for kind, name in [
        (TerritoryKind.EPCI, "CC du Sud Avesnois"),
        (TerritoryKind.DEPARTEMENT, "Nord"),
        (TerritoryKind.REGION, "Hauts-de-France"),
    ]:
        ancestor = Territory.objects.get(kind=kind, name=name)
        url = reverse("territory", args=[ancestor.slug])
        assert f'<a href="{url}">{name}</a>' in html


def test_ancestors_are_listed_from_the_closest_to_the_widest(client, fourmies):
    html = page(client, fourmies)
    section = re.search(r'<section aria-labelledby="appartenance-titre"(.*?)</section>', html, re.S)
    text = text_of(section.group(1))

    positions = [text.index(name) for name in ("CC du Sud Avesnois", "Nord", "Hauts-de-France")]
    assert positions == sorted(positions)


def test_epci_page_shows_its_nature_and_member_communes(client, db):
    lens = lens_lievin()
    html = page(client, lens)
    text = text_of(html)

    assert "EPCI — Communauté d'agglomération" in text
    assert "246200364" in text
    assert "36 communes membres" in text
    members = re.search(r'<ul class="territory-members">(.*?)</ul>', html, re.S).group(1)
    assert members.count("<li>") == 36
    lens_commune = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="62498")
    assert reverse("territory", args=[lens_commune.slug]) in members


def test_large_groupings_count_their_communes_without_listing_them(client, db):
    nord = Territory.objects.get(kind=TerritoryKind.DEPARTEMENT, code="59")
    html = page(client, nord)

    expected = Territory.objects.communes().descendants_of(nord).count()
    assert expected > 60
    assert f"{expected:,}".replace(",", "\xa0") + " communes membres" in text_of(html)
    assert 'class="territory-members"' not in html


def test_region_page_lists_its_departements(client, hauts_de_france):
    html = page(client, hauts_de_france)

    members = re.search(r'<ul class="territory-members">(.*?)</ul>', html, re.S).group(1)
    assert members.count("<li>") == 5
    assert "Pas-de-Calais" in members


# --- by code -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind", "expected_code"),
    [
        ("59249", TerritoryKind.COMMUNE, "59249"),  # INSEE code
        ("215902495", TerritoryKind.COMMUNE, "59249"),  # a commune's SIREN
        ("246200364", TerritoryKind.EPCI, "246200364"),  # an EPCI's SIREN
        ("59", TerritoryKind.DEPARTEMENT, "59"),
        ("32", TerritoryKind.REGION, "32"),
    ],
)
def test_by_code_redirects_to_the_territory_page(client, db, code, kind, expected_code):
    response = client.get(reverse("territory_by_code", args=[code]))

    territory = Territory.objects.get(kind=kind, code=expected_code)
    assert response.status_code == 302
    assert response["Location"] == reverse("territory", args=[territory.slug])


def test_by_code_prefers_the_most_local_kind_and_accepts_a_type(client, hauts_de_france):
    # Outside Hauts-de-France in the real data; a département 32 (Gers) shares the
    # region's code.
    gers = Territory.objects.create(kind=TerritoryKind.DEPARTEMENT, code="32", name="Gers")
    url = reverse("territory_by_code", args=["32"])

    assert client.get(url)["Location"] == reverse("territory", args=[gers.slug])
    assert client.get(url, {"type": "region"})["Location"] == reverse(
        "territory", args=[hauts_de_france.slug]
    )


@pytest.mark.parametrize(
    ("url_name", "arg", "query"),
    [
        ("territory", "pas-un-territoire", {}),
        ("territory_by_code", "99999", {}),
        ("territory_by_code", "59249", {"type": "region"}),
        ("territory_by_code", "59249", {"type": "planete"}),
    ],
)
def test_unknown_territories_are_not_found(client, db, url_name, arg, query):
    assert client.get(reverse(url_name, args=[arg]), query).status_code == 404


# --- contracts -----------------------------------------------------------------


def test_signed_contracts_are_listed_and_drafts_are_not(client, fourmies):
    signed = signed_contract(fourmies, title="Contrat TRI de Fourmies")
    draft = ContractFactory(territory=fourmies, title="Projet de contrat confidentiel")

    html = page(client, fourmies)

    assert f'<a href="{reverse("contract", args=[signed.pk])}">Contrat TRI de Fourmies</a>' in html
    assert "24 octobre 2017" in html
    assert "signé" in text_of(html)
    assert "Projet de contrat confidentiel" not in html
    assert reverse("contract", args=[draft.pk]) not in html


def test_the_contracts_of_the_territorys_epci_are_named_as_covering_it(client, fourmies):
    sud_avesnois = Territory.objects.get(kind=TerritoryKind.EPCI, name="CC du Sud Avesnois")
    signed_contract(sud_avesnois, title="Contrat de l'EPCI")

    text = text_of(page(client, fourmies))

    assert (
        "Ce territoire n'a pas signé de contrat lui-même ; il est couvert par les contrats des "
        "territoires dont il est membre : Contrat de l'EPCI — signé par CC du Sud Avesnois (EPCI)"
    ) in text
    assert "n'a pas de contrat" not in text


def test_a_territory_no_contract_covers_says_so(client, db):
    amiens = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="80021")

    text = text_of(page(client, amiens))

    assert "Aucun contrat d'objectifs TRI ne couvre ce territoire." in text


# --- indicators ----------------------------------------------------------------


def test_validated_values_appear_in_the_table_and_the_chart(client, fourmies):
    value(fourmies, "cae_2.a", 2018, "250.5")
    value(fourmies, "cae_2.a", 2021, "231")
    energy = indicator("cae_2.a")

    html = page(client, fourmies)

    chart = chart_json(html, f"indicateur-{energy.pk}")
    assert chart["title"] == "Consommation énergétique finale"
    assert chart["unit"] == "GWh"
    assert chart["labels"] == ["2018", "2021"]
    assert chart["datasets"][0]["label"] == "Valeurs validées"
    assert chart["datasets"][0]["data"] == [250.5, 231.0]
    table = re.search(r'<table class="table[^"]*chart-table">(.*?)</table>', html, re.S).group(1)
    assert re.search(r'<th scope="row">2018</th>\s*<td class="text-end">250,5</td>', table)
    assert "(GWh)" in text_of(table)


def test_derived_key_indicators_are_computed_from_validated_components(client, fourmies):
    value(fourmies, "cae_2.a", 2018, "250")
    value(fourmies, "cae_3.a", 2018, "25000")  # MWh: 25 GWh = 10 % of 250 GWh

    html = page(client, fourmies)

    share = chart_json(html, f"indicateur-{indicator('cae_3.b').pk}")
    assert share["labels"] == ["2018"]
    assert share["datasets"][0]["data"] == [10.0]


def test_unvalidated_values_never_show(client, fourmies):
    value(fourmies, "cae_2.a", 2018, "250")
    value(fourmies, "cae_2.a", 2019, "987.6", status=ValueStatus.SUBMITTED)
    value(fourmies, "cae_1.a", 2019, "55.5", status=ValueStatus.DRAFT)
    value(fourmies, "cae_1.a", 2020, "44.4", status=ValueStatus.REJECTED)

    html = page(client, fourmies)

    energy = chart_json(html, f"indicateur-{indicator('cae_2.a').pk}")
    assert energy["labels"] == ["2018"]
    assert chart_json(html, f"indicateur-{indicator('cae_1.a').pk}") is None
    for shown in ("987,6", "987.6", "55,5", "44,4"):
        assert shown not in html


def test_chart_scripts_load_only_when_there_is_a_chart(
    client, fourmies, django_capture_on_commit_callbacks
):
    assert "chart.umd.min.js" not in page(client, fourmies)
    assert "Aucune valeur validée" in page(client, fourmies)

    with django_capture_on_commit_callbacks(execute=True):  # the cached page is renewed
        value(fourmies, "cae_2.a", 2018, "250")
    html = page(client, fourmies)

    assert '<script src="/static/vendor/chartjs-4.5.1/chart.umd.min.js" defer></script>' in html
    assert '<script src="/static/js/charts.js" defer></script>' in html


# --- query budget --------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 50])
@pytest.mark.parametrize(
    "territory",
    [
        lambda: Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59249"),
        lambda: Territory.objects.get(kind=TerritoryKind.EPCI, siren="246200364"),
        lambda: Territory.objects.get(kind=TerritoryKind.REGION, code="32"),
    ],
    ids=["commune", "epci", "region"],
)
def test_the_page_runs_a_fixed_number_of_queries(
    client, db, django_assert_max_num_queries, rows, territory
):
    territory = territory()
    for year in range(1990, 1990 + rows):
        for identifier in ("cae_2.a", "cae_3.a", "cae_1.a"):
            value(territory, identifier, year, "100")
    for _ in range(min(rows, 10)):
        signed_contract(territory)
    if territory.kind != TerritoryKind.COMMUNE:
        Aggregate.objects.bulk_create(
            Aggregate(
                scope=territory,
                indicator=indicator(identifier),
                year=year,
                value=Decimal(100),
                covered_population=1000,
                computed_at=timezone.now(),
            )
            for year in range(1990, 1990 + rows)
            for identifier in ("cae_2.a", "cae_3.a", "cae_1.a")
        )

    if territory.kind == TerritoryKind.REGION:
        for identifier in ("cae_2.a", "cae_1.a", "cae_3.b")[: min(rows, 3)]:
            RegionalGoalFactory(territory=territory, indicator=identifier)

    # Territory, ancestors, contracts (and their renewal series), key indicators, values;
    # + communes, members and
    # aggregates (with their coverage); + for a département or the region, the contracts
    # inside it and its contract figures; + a region's goals and their aggregates; + the
    # mini-map (the département and region above, their communes' codes); + for a
    # commune or an EPCI with values, its comparison with its peers (the catalogue, the
    # stored statistics, its group's values and their regions).
    budget = {TerritoryKind.COMMUNE: 12, TerritoryKind.REGION: 15}.get(territory.kind, 15)
    with django_assert_max_num_queries(budget):
        html = page(client, territory)

    # cae_1.a, 2.a, 3.a, derived 3.b; and for a commune or an EPCI the same four compared
    # with its peers (per inhabitant: no peers here, its own figures alone)
    charts = 4 if territory.kind == TerritoryKind.REGION else 8
    assert html.count('type="application/json"') == charts
