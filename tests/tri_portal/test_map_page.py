"""The map (/carte/) and the mini-maps, drawn from the tiny commune outlines of
the 13 square communes of ``tests/data/outlines-tiny.topojson``: coverage classes, counts equal to the
regional dashboard's, the key-indicator view per inhabitant, no data never shown as
zero, the demonstration label, markup the strict CSP accepts."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.coverage import CoverageLevel, commune_coverage
from contracts.models import ContractStats
from indicators.models import IndicatorValue
from kit.templatetags.tri_format import number
from territories.models import Territory, TerritoryKind
from tri_portal.maps import Projection
from tri_portal.regional_dashboard import regional_dashboard

COVERAGE = "/carte/"
INDICATOR = "/carte/?vue=indicateur&indicateur=cae_2.a&annee=2024"


def commune_classes(html: str) -> dict[str, str]:
    found = re.findall(r'<path class="([^"]+)" data-insee="(\d+)"', html)
    return {code: css for css, code in found}


def links_of_the_map(html: str) -> dict[str, str]:
    """``{title: href}`` of the map's links."""
    svg = html[html.index("<svg") : html.index("</svg>")]
    return {
        title.replace("&#x27;", "'"): href
        for href, title in re.findall(r'<a href="([^"]+)"[^>]*><title>([^<]+)</title>', svg)
    }


def table(html: str, table_id: str) -> str:
    start = html.index(f'id="{table_id}"')
    return html[start : html.index("</table>", start)]


def region():
    return Territory.objects.get(kind=TerritoryKind.REGION, code="32")


@pytest.fixture
def coverage_page(client, demo, tiny_outlines):
    return client.get(COVERAGE).content.decode()


def test_communes_are_coloured_by_the_contracts_covering_them(coverage_page):
    classes = commune_classes(coverage_page)

    assert classes["62041"] == "map-covered"  # Arras: the CU's 2024 contract runs
    assert classes["59249"] == "map-covered"  # Fourmies: its own contract and the SCoT's
    assert classes["59271"] == "map-completed"  # Grande-Synthe: its 2017 contract only
    assert classes["60159"] == "map-completed"  # Compiègne: the ARC's 2017 contract only
    assert classes["59350"] == "map-none"  # Lille
    assert len(classes) == 13  # every commune of the outlines, once


def test_the_counts_per_coverage_level_are_the_regional_dashboards(coverage_page, demo):
    stats = ContractStats.objects.get(scope=region())
    levels = commune_coverage(region())
    population = dict(Territory.objects.communes().values_list("code", "population"))

    def inhabitants(level):
        return sum(population[code] or 0 for code, found in levels.items() if found == level)

    assert inhabitants(CoverageLevel.COVERED) == stats.covered_population
    assert (
        inhabitants(CoverageLevel.COVERED) + inhabitants(CoverageLevel.COMPLETED_ONLY)
        == stats.covered_population_all
    )
    levels_table = table(coverage_page, "carte-niveaux")
    assert number(stats.covered_population) in levels_table
    assert number(stats.covered_population_all - stats.covered_population) in levels_table
    assert number(stats.population - stats.covered_population_all) in levels_table
    statuses = table(coverage_page, "carte-statuts")
    for row in regional_dashboard()["by_status"]:
        assert re.search(rf"{row.label.capitalize()}</th>\s*<td[^>]*>{row.count}</td>", statuses)


def test_every_contract_territory_is_a_link_of_the_map_and_a_row_of_the_table(coverage_page):
    links = links_of_the_map(coverage_page)
    perimeters = table(coverage_page, "carte-perimetres")

    arras = Territory.objects.get(kind=TerritoryKind.EPCI, name="CU d'Arras")
    [(title, href)] = [(t, h) for t, h in links.items() if t.startswith("CU d'Arras")]
    assert href == reverse("territory", args=[arras.slug])
    assert "COTRI-2024-ARRAS (en cours)" in title
    assert "COTRI-2017-ARRAS (achevé)" in title
    for name in ("Fourmies", "Grande-Synthe", "CA de Lens - Liévin", "Sambre-Avesnois"):
        assert any(name in t for t in links)
        assert name in perimeters.replace("&#x27;", "'")
    assert "CA Douaisis Agglo" in perimeters  # listed, though outside the tiny outlines


def test_the_map_draws_every_epci_with_communes_on_it(coverage_page):
    svg = coverage_page[coverage_page.index("<svg") : coverage_page.index("</svg>")]

    # The tiny outlines hold communes of 9 EPCIs (Arras and Achicourt share one…).
    assert svg.count('class="map-epci"') == 9


def test_the_indicator_view_colours_territories_per_inhabitant(client, demo, tiny_outlines):
    html = client.get(INDICATOR + "&niveau=commune").content.decode()

    fourmies = Territory.objects.get(kind=TerritoryKind.COMMUNE, code="59249")
    value = IndicatorValue.objects.validated().get(
        territory=fourmies, indicator__identifier="cae_2.a", year=2024
    )
    per_inhabitant = value.value * Decimal(1000) / fourmies.population  # GWh → MWh/hab
    links = links_of_the_map(html)
    assert f"Fourmies : {number(per_inhabitant, 2)} MWh/hab (2024)" in "".join(links)
    assert "Par habitant (MWh/hab)" in html
    values = table(html, "carte-valeurs")
    assert number(value.value, 1) in values
    assert number(per_inhabitant, 2) in values


def test_a_share_is_not_divided_by_the_population(client, demo, tiny_outlines):
    html = client.get("/carte/?vue=indicateur&indicateur=cae_3.b&annee=2024").content.decode()

    assert "Par habitant" not in html
    assert "(%)" in html


def test_territories_without_data_say_so_and_are_never_zero(client, demo, tiny_outlines):
    html = client.get(INDICATOR + "&niveau=commune").content.decode()

    classes = commune_classes(html)
    assert classes["59350"] == "map-nodata"  # Lille publishes nothing
    assert "pas de donnée" in html
    assert "ce n'est pas zéro" in html.replace("&#x27;", "'")
    assert not any("Lille" in title for title in links_of_the_map(html))


def test_the_indicator_view_compares_one_level_and_gives_the_region_as_reference(
    client, demo, tiny_outlines
):
    html = client.get(INDICATOR).content.decode()  # EPCIs by default

    titles = "".join(links_of_the_map(html))
    values = table(html, "carte-valeurs")
    assert "Intercommunalités (EPCI)" in html
    assert "CU d'Arras" in titles  # an EPCI reporting under its contract
    assert "Fourmies" not in titles
    assert "Fourmies" not in values
    assert 'id="carte-reference"' not in html  # the region publishes nothing for 2024

    html = client.get(INDICATOR.replace("2024", "2021")).content.decode()
    assert "Hauts-de-France" not in table(html, "carte-valeurs")  # a reference, not a class
    region_value = IndicatorValue.objects.validated().get(
        territory=region(), indicator__identifier="cae_2.a", year=2021
    )
    per_inhabitant = region_value.value * Decimal(1000) / region().population
    reference = html[html.index('id="carte-reference"') :]
    assert f"Hauts-de-France, {number(per_inhabitant, 2)} MWh/hab" in reference[:600]


def test_each_level_lists_only_its_own_territories(client, demo, tiny_outlines):
    communes = table(client.get(INDICATOR + "&niveau=commune").content.decode(), "carte-valeurs")
    departements = table(
        client.get(INDICATOR + "&niveau=departement").content.decode(), "carte-valeurs"
    )

    assert "Fourmies" in communes
    assert "CU d'Arras" not in communes
    assert "Fourmies" not in departements
    assert "Arras" not in departements


def test_demonstration_figures_are_labelled(client, demo, tiny_outlines):
    for url in (COVERAGE, INDICATOR):
        html = client.get(url).content.decode()
        assert "Données de démonstration." in html
    assert "donnée de démonstration" in "".join(links_of_the_map(html))


def test_the_map_markup_needs_no_inline_script_or_style(coverage_page):
    assert not re.search(r"<script(?![^>]*\bsrc=)", coverage_page)
    assert " style=" not in coverage_page
    assert not re.search(r"\son[a-z]+=", coverage_page)
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="tri-map"' in coverage_page


def test_the_form_shows_the_map_on_the_page(client, db, tiny_outlines):
    html = client.get(COVERAGE + "?indicateur=nope").content.decode()

    selected = re.findall(r'<option value="([^"]*)"\s+selected>', html)
    # The defaults; "": the latest year; EPCIs.
    assert selected == ["couverture", "cae_2.a", "", "epci"]
    assert '<label for="id_annee" class="form-label">Année</label>' in html


def test_the_map_is_served_from_the_cache(client, demo, tiny_outlines, django_assert_num_queries):
    first = client.get(COVERAGE)

    with django_assert_num_queries(0):
        assert client.get(COVERAGE).content == first.content
    assert first["Cache-Control"] == "public, max-age=60"


def test_without_outlines_the_tables_carry_the_map(client, demo, monkeypatch):
    monkeypatch.setattr("tri_portal.map_layers.outlines", lambda region_code=None: None)

    html = client.get(COVERAGE).content.decode()

    assert "<svg" not in html
    assert "CU d&#x27;Arras" in table(html, "carte-perimetres")
    assert "le tableau ci-dessous donne les mêmes informations" in html


@pytest.mark.parametrize(
    "query", ["?vue=%00", "?vue=indicateur&indicateur=nope&annee=abc", "?annee=99999"]
)
def test_odd_parameters_fall_back_to_a_map(client, db, tiny_outlines, query):
    response = client.get(COVERAGE + query)

    assert response.status_code == 200 or response.status_code == 400  # NUL: refused


def test_a_contract_page_shows_its_perimeter_within_the_region(client, demo, tiny_outlines):
    arras = Territory.objects.get(kind=TerritoryKind.EPCI, name="CU d'Arras")
    contract = arras.contracts.order_by("-start_date").first()

    html = client.get(reverse("contract", args=[contract.pk])).content.decode()

    assert (
        'role="img" aria-label="Carte : CU d&#x27;Arras (en couleur) dans Hauts-de-France"' in html
    )
    assert 'class="map-highlighted"' in html


def test_a_territory_page_shows_it_within_its_departement(client, demo, tiny_outlines):
    html = client.get("/territoires/fourmies-59249/").content.decode()

    assert 'aria-label="Carte : Fourmies (en couleur) dans Nord"' in html
    assert "Fourmies (en couleur) dans Nord." in html


def test_the_projection_flips_y_and_writes_relative_paths():
    projection = Projection((2.0, 50.0, 3.0, 51.0), width=100)
    square = [[[(2.0, 50.0), (3.0, 50.0), (3.0, 51.0), (2.0, 51.0), (2.0, 50.0)]]]

    assert projection.view_box == "0 0 100 158"  # 1° of latitude is longer than 1° here
    assert projection.polygons_path(square) == "M0 157.2l100 0 0-157.2-100 0z"


def test_rings_smaller_than_the_precision_are_dropped():
    projection = Projection((2.0, 50.0, 3.0, 51.0), width=100)
    speck = [[[(2.0, 50.0), (2.0001, 50.0), (2.0001, 50.0001), (2.0, 50.0)]]]

    assert projection.polygons_path(speck) == ""
