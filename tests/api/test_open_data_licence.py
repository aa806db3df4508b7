"""The open data names its licence (a setting, Licence Ouverte 2.0 by default): on the
open-data page, in every file (HTTP ``Link`` header, XLSX properties), in the Table
Schemas, the data dictionary and the OpenAPI description of the API."""

import io

import pytest
import yaml
from django.urls import reverse
from openpyxl import load_workbook

from tri_portal.api.views import DATASETS

ETALAB = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
OTHER = {"name": "ODbL 1.0", "url": "https://opendatacommons.org/licenses/odbl/1-0/"}
EXPORTS = ["contracts", "targets", "values", "aggregates", "effort-shares"]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_licence_defaults_to_licence_ouverte_2(settings):
    assert settings.TRI_OPEN_DATA_LICENCE == {
        "name": "Licence Ouverte / Open Licence version 2.0",
        "url": ETALAB,
    }


def test_open_data_page_names_the_licence(client, db, settings):
    settings.TRI_OPEN_DATA_LICENCE = OTHER

    page = client.get(reverse("open_data")).content.decode()

    assert f'<a href="{OTHER["url"]}" rel="license">ODbL 1.0</a>' in page


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("endpoint", EXPORTS)
def test_every_export_links_its_licence(client, db, settings, endpoint, fmt):
    settings.TRI_OPEN_DATA_LICENCE = OTHER

    response = client.get(f"/api/v1/{endpoint}/", {"format": fmt})

    assert response.status_code == 200
    assert response["Link"] == f'<{OTHER["url"]}>; rel="license"'


def test_csv_export_has_no_comment_line(client, db):
    response = client.get("/api/v1/values/", {"format": "csv"})

    assert body(response).decode().splitlines()[0].startswith("id,")


def test_xlsx_properties_name_the_licence(client, db):
    response = client.get("/api/v1/values/", {"format": "xlsx"})

    properties = load_workbook(io.BytesIO(body(response))).properties
    assert properties.title == "Valeurs validées des indicateurs TRI"
    assert "Licence Ouverte / Open Licence version 2.0" in properties.description
    assert ETALAB in properties.description


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_table_schema_names_the_licence(client, db, name):
    schema = client.get(reverse("api:table_schema", args=[name])).json()

    assert schema["licenses"] == [
        {"title": "Licence Ouverte / Open Licence version 2.0", "path": ETALAB}
    ]


def test_openapi_info_has_the_licence(client, db):
    response = client.get(reverse("api:schema"))

    assert yaml.safe_load(response.content)["info"]["license"] == {
        "name": "Licence Ouverte / Open Licence version 2.0",
        "url": ETALAB,
    }
