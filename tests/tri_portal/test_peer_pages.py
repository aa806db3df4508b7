"""Peers on the fresh demo (issue 20 §3): the territory chart carries the peers'
interquartile band and median (JSON data and table), the rank sentence is computed by
hand here from the validated values, the contract page has its compact table, a group
under 5 is never a figure, and the API answers the same figures."""

import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.models import Contract
from indicators.models import Indicator, IndicatorValue, PeerStatistic
from territories.models import Territory, TerritoryKind

MAUBEUGE = "200043396"  # CA Maubeuge Val de Sambre: 100 000 to 250 000 inhabitants
FOURMIES = "59249"  # the only demo commune of its band with values: no group
NOT_PUBLISHED = "comparaison non publiée : moins de 5 territoires comparables"


def by_hand(identifier: str, territory: Territory):
    """The territory's latest year with 5 peers besides it, its rank and the number of
    territories compared — from the validated values of the communautés
    d'agglomération of 100 000 to 250 000 inhabitants of the region, per inhabitant."""
    peers = Territory.objects.filter(
        kind=TerritoryKind.EPCI, epci_nature="CA", population__gte=100_000, population__lt=250_000
    )
    rows = IndicatorValue.objects.validated().filter(
        indicator__identifier=identifier, territory__in=peers
    )
    by_year: dict[int, dict[int, Decimal]] = {}
    for value in rows.select_related("territory"):
        by_year.setdefault(value.year, {})[value.territory_id] = (
            value.value * 1000 / value.territory.population  # GWh, kteq → per inhabitant
        )
    year = max(y for y, found in by_year.items() if territory.pk in found and len(found) >= 6)
    figures = by_year[year]
    own = figures[territory.pk]
    rank = 1 + sum(1 for pk, figure in figures.items() if pk != territory.pk and figure < own)
    return year, rank, len(figures)


def chart_data(html: str, chart_id: str) -> dict:
    match = re.search(rf'<script id="{chart_id}" type="application/json">(.*?)</script>', html)
    return json.loads(match.group(1))


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


def test_demo_territory_chart_shows_the_peers_band_median_and_rank(client, demo_recomputed):
    territory = Territory.objects.get(kind=TerritoryKind.EPCI, code=MAUBEUGE)
    energy = Indicator.objects.get(identifier="cae_2.a")
    html = client.get(reverse("territory", args=[territory.slug])).content.decode()
    data = chart_data(html, f"pairs-{energy.pk}")
    assert data["unit"] == "MWh/hab"
    styles = {d["style"]: d for d in data["datasets"]}
    assert set(styles) == {"line", "band-low", "band-high", "dashed"}
    year, rank, n = by_hand("cae_2.a", territory)
    stat = PeerStatistic.objects.get(
        indicator=energy, year=year, peer_kind="ca", band="100000-250000", area="32"
    )
    assert stat.n == n
    assert stat.is_demo
    index = data["labels"].index(str(year))
    assert styles["band-low"]["data"][index] == float(stat.q1)
    assert styles["band-high"]["data"][index] == float(stat.q3)
    assert styles["dashed"]["data"][index] == float(stat.median)
    assert styles["band-low"]["label"] == "1er quartile"
    assert styles["dashed"]["label"] == "médiane des pairs"
    ordinal = "1er" if rank == 1 else f"{rank}e"
    page = text(html)
    assert (
        f"Dans la région — {ordinal} sur {n} communautés d'agglomération de 100 000 à "
        f"250 000 habitants ({year})"
    ) in page
    # The chart's table carries the same figures (JS off).
    assert "médiane des pairs" in page
    assert "3e quartile" in page
    assert 'href="/methode/#pairs"' in html


def test_a_territory_without_five_peers_gets_a_sentence_never_a_figure(client, demo_recomputed):
    territory = Territory.objects.get(kind=TerritoryKind.COMMUNE, code=FOURMIES)
    energy = Indicator.objects.get(identifier="cae_2.a")
    html = client.get(reverse("territory", args=[territory.slug])).content.decode()
    assert NOT_PUBLISHED in text(html)
    data = chart_data(html, f"pairs-{energy.pk}")
    assert [d["style"] for d in data["datasets"]] == ["line"]  # no band, no median
    contract = Contract.objects.filter(territory=territory).order_by("-start_date").first()
    page = text(client.get(reverse("contract", args=[contract.pk])).content.decode())
    assert NOT_PUBLISHED in page
    assert "médiane des pairs — — —" not in page


def test_contract_page_compares_its_territory_with_its_peers(client, demo_recomputed):
    contract = Contract.objects.get(reference__endswith="-LENS-LIEVIN", start_date__year__gt=2020)
    territory = contract.territory
    year, rank, n = by_hand("cae_1.a", territory)
    html = client.get(reverse("contract", args=[contract.pk])).content.decode()
    page = text(html)
    assert "Comparaison avec des territoires comparables" in page
    ordinal = "1er" if rank == 1 else f"{rank}e"
    assert (
        f"{ordinal} sur {n} communautés d'agglomération de 100 000 à 250 000 habitants ({year})"
        in page
    )


def test_method_page_defines_the_peer_comparison(client, db):
    page = text(client.get(reverse("method")).content.decode())
    assert "de 20 000 à 50 000 habitants" in page
    assert "250 000 habitants et plus" in page
    assert "statistics.quantiles" in page
    assert "moins de 5 territoires comparables" in page


def test_peer_pages_query_budget(client, demo_recomputed, django_assert_max_num_queries):
    territory = Territory.objects.get(kind=TerritoryKind.EPCI, code=MAUBEUGE)
    url = reverse("territory", args=[territory.slug])
    client.get(url)  # warm the per-process caches (catalogue, data version)
    from django.core.cache import cache

    cache.clear()
    with django_assert_max_num_queries(40):
        assert client.get(url).status_code == 200


API = "/api/v1/peer-statistics/"


def test_api_lists_only_groups_of_five_and_more_with_demo_flag(client, demo_recomputed):
    answer = client.get(API, {"indicator": "cae_2.a", "page_size": 100}).json()
    assert answer["count"] == PeerStatistic.objects.filter(indicator__identifier="cae_2.a").count()
    assert answer["count"] > 0
    assert all(row["n"] >= 5 and row["is_demo"] for row in answer["results"])
    assert {row["unit"] for row in answer["results"]} == {"MWh/hab"}
    # No commune group: only two demo communes have values.
    assert client.get(API, {"kind": "commune"}).json()["count"] == 0


def test_api_territory_adds_its_figure_and_rank(client, demo_recomputed):
    territory = Territory.objects.get(kind=TerritoryKind.EPCI, code=MAUBEUGE)
    year, rank, n = by_hand("cae_2.a", territory)
    answer = client.get(
        API, {"territory_siren": MAUBEUGE, "indicator": "cae_2.a", "year": year}
    ).json()
    [row] = answer["results"]
    assert (row["peer_kind"], row["band"], row["area"], row["n"]) == (
        "ca",
        "100000-250000",
        "32",
        n,
    )
    assert row["territory_rank"] == rank
    own = IndicatorValue.objects.validated().get(
        territory=territory, indicator__identifier="cae_2.a", year=year
    )
    figure = float(own.value) * 1000 / territory.population
    assert Decimal(row["territory_figure"]) == Decimal(figure).quantize(Decimal("0.000001"))
    by_id = client.get(API, {"territory": territory.pk, "indicator": "cae_2.a", "year": year})
    assert by_id.json()["results"][0]["territory_rank"] == rank


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "region"}, "kind"),
        ({"band": "20000-60000"}, "band"),
        ({"area": "France"}, "area"),
        ({"year": "deux-mille"}, "year"),
        ({"indicator": "cae_9.z"}, "indicator"),
        ({"territory": "999999999"}, "territory"),
        ({"territory_code": "<script>"}, "territory_code"),
        ({"rank": "1"}, "rank"),
    ],
)
def test_api_bad_input_is_a_french_400(client, db, params, field):
    response = client.get(API, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert response.json()["detail"].startswith("Requête invalide")


@pytest.mark.parametrize("page_size", [1, 50])
def test_api_query_budget(client, demo_recomputed, django_assert_max_num_queries, page_size):
    client.get(API, {"page_size": page_size})  # the count is cached per data version
    with django_assert_max_num_queries(2):
        assert client.get(API, {"page_size": page_size}).status_code == 200
    with django_assert_max_num_queries(9):  # + territory, its region, stats, members
        response = client.get(API, {"page_size": page_size, "territory_siren": MAUBEUGE})
    assert response.status_code == 200


def test_api_is_documented_in_the_openapi_schema(client, db):
    import yaml

    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    operation = schema["paths"]["/api/v1/peer-statistics/"]["get"]
    parameters = {p["name"] for p in operation["parameters"]}
    assert {"indicator", "year", "kind", "band", "area", "territory"} <= parameters
