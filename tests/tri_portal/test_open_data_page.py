"""The open-data page lists every file in three formats with its Table Schema, and
links the API documentation served from the project."""

import html
import re

from django.urls import reverse

from tri_portal.api.views import DATASETS


def test_open_data_page_links_every_file_its_schema_and_the_api_docs(client, db):
    page = html.unescape(client.get(reverse("open_data")).content.decode())

    for name, route in [
        ("contrats", "api:contract-list"),
        ("objectifs", "api:target-list"),
        ("valeurs-validees", "api:value-list"),
        ("agregats", "api:aggregate-list"),
        ("part-effort-regional", "api:effort-share-list"),
        ("comparaison-contrats", "contract_comparison"),
    ]:
        url = reverse(route)
        assert f'href="{url}?format=csv"' in page
        assert f'href="{url}?format=csv&sep=%3B"' in page
        assert f'href="{url}?format=xlsx"' in page
        assert reverse("api:table_schema", args=[name]) in page
        assert DATASETS[name].title in page
    for route in ("api:docs", "api:redoc", "api:schema"):
        assert reverse(route) in page


def test_every_link_of_the_open_data_page_answers(client, db):
    page = client.get(reverse("open_data")).content.decode()
    links = [
        href.replace("&amp;", "&") for href in re.findall(r'href="(/(?:api|donnees)[^"]*)"', page)
    ]

    assert len(links) >= 15
    for link in links:
        assert client.get(link).status_code == 200, link


def test_api_documentation_is_served_locally_without_cdn(client, db):
    for route in ("api:docs", "api:redoc"):
        page = client.get(reverse(route)).content.decode()
        assert "drf_spectacular_sidecar" in page
        assert "cdn" not in page.lower()
        assert "https://" not in page
        assert "http://" not in page


def test_contract_list_offers_the_same_selection_as_open_data_files(client, demo):

    page = html.unescape(client.get(reverse("contracts"), {"departement": "59"}).content.decode())

    csv_link = re.search(r'href="(/api/v1/contracts/\?[^"]*format=csv)"', page).group(1)
    listed = page.count('class="card h-100"')
    rows = b"".join(client.get(csv_link).streaming_content).decode().splitlines()
    assert listed >= 2
    assert len(rows) - 1 == listed


# --- The data dictionary: one source, the columns that write the files -------------


def dictionary(client, **params):
    import csv
    import io

    response = client.get(reverse("data_dictionary"), params)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    delimiter = params.get("sep", ",")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_data_dictionary_describes_every_column_of_every_file_in_french(client, db):
    rows = dictionary(client)

    assert [(row["fichier"], row["colonne"]) for row in rows] == [
        (dataset.name, column.name) for dataset in DATASETS.values() for column in dataset.columns
    ]
    value = next(
        row for row in rows if (row["fichier"], row["colonne"]) == ("valeurs-validees", "value")
    )
    assert value["intitule"] == "Valeur"
    assert value["type"] == "nombre décimal"
    assert value["obligatoire"] == "true"
    population = next(
        row
        for row in rows
        if (row["fichier"], row["colonne"]) == ("agregats", "covered_population")
    )
    assert (population["type"], population["unite"]) == ("nombre entier", "habitants")


def test_data_dictionary_for_a_spreadsheet_has_semicolons_and_a_bom(client, db):
    response = client.get(reverse("data_dictionary"), {"sep": ";"})

    content = b"".join(response.streaming_content)
    assert content.startswith("\ufefffichier;colonne;".encode())
    assert dictionary(client, sep=";") == dictionary(client)


def test_open_data_page_shows_the_data_dictionary(client, db):
    page = html.unescape(client.get(reverse("open_data")).content.decode())

    assert reverse("data_dictionary") in page
    for dataset in DATASETS.values():
        assert f"Colonnes du fichier « {dataset.title} » ({dataset.name})" in page
        for column in dataset.columns:
            assert f"<code>{column.name}</code>" in page
    assert "nombre décimal" in page
