"""« Ma commune est-elle couverte ? » : the search page ``/couverture/?q=…``, its form on
the home page and the contract list, and the commune pages naming their contracts."""

import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils.html import escape

from contracts.models import Contract
from territories.models import Territory, TerritoryKind


def search(client, query):
    return client.get(reverse("coverage_search"), {"q": query})


def text_of(response) -> str:
    html = response.content.decode()
    main = re.search(r"<main.*?</main>", html, re.S).group(0)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", main)))


def contract(reference) -> Contract:
    return Contract.objects.get(reference=reference)


def contract_link(reference) -> str:
    found = contract(reference)
    return f'<a href="{reverse("contract", args=[found.pk])}">{escape(found.title)}</a>'


def commune(code) -> Territory:
    return Territory.objects.get(kind=TerritoryKind.COMMUNE, code=code)


def test_a_name_without_its_accent_finds_the_commune(client, demo):
    response = search(client, "Compiegne")

    assert response.status_code == 200
    assert f'href="{reverse("territory", args=[commune("60159").slug])}"' in (
        response.content.decode()
    )
    assert "Compiègne" in text_of(response)


def test_compiegne_is_covered_by_its_agglomerations_contract(client, demo):
    response = search(client, "compiègne")

    assert contract_link("COTRI-2017-ARC") in response.content.decode()


def test_maubeuge_in_lower_case_is_covered_by_the_scot_sambre_avesnois(client, demo):
    response = search(client, "maubeuge")

    assert contract_link("COTRI-2017-SAMBRE-AVESNOIS") in response.content.decode()
    assert "signé par Syndicat mixte du SCoT Sambre-Avesnois (Syndicat) · achevé" in text_of(
        response
    )


def test_an_insee_code_finds_arras_covered_by_the_cu_d_arras(client, demo):
    response = search(client, "62041")

    text = text_of(response)
    assert "1 commune trouvée." in text
    assert "Arras" in text
    assert contract_link("COTRI-2017-ARRAS") in response.content.decode()


def test_the_regional_goals_are_not_a_covering_contract(client, demo):
    text = text_of(search(client, "62041"))

    assert "Objectifs régionaux" not in text
    assert "2050" not in text


def test_a_commune_that_signed_its_own_contract_says_so_first(client, demo):
    text = text_of(search(client, "Fourmies"))

    own = text.index("Contrat d'objectifs TRI de la Ville de Fourmies — signé par la commune")
    assert own < text.index("Contrat d'objectifs TRI du Syndicat mixte du SCoT Sambre-Avesnois")


def test_a_commune_without_contract_says_none_covers_it(client, demo):
    text = text_of(search(client, "Amiens"))

    assert "Aucun contrat d'objectifs TRI ne couvre cette commune." in text


def test_an_unknown_name_answers_in_french(client, demo):
    response = search(client, "Gotham City")

    assert response.status_code == 200
    assert "Aucune commune des Hauts-de-France ne correspond à « Gotham City »." in (
        text_of(response)
    )


def test_a_postcode_is_said_not_to_be_supported(client, demo):
    text = text_of(search(client, "59000"))  # Lille's postcode, no INSEE code

    assert "Les codes postaux ne sont pas pris en charge" in text


def test_too_many_matches_are_cut_with_a_hint_to_refine(client, demo):
    text = text_of(search(client, "saint"))

    assert "20 communes trouvées. Seules les 20 premières sont affichées : affinez" in text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Saisissez le nom ou le code INSEE d'une commune."),
        ("   ", "Saisissez le nom ou le code INSEE d'une commune."),
        ("x" * 500, "Recherche trop longue : saisissez au plus 100 caractères"),
        ("'--", "Aucune commune des Hauts-de-France ne correspond à « '-- »."),
    ],
    ids=["empty", "blank", "over-long", "punctuation"],
)
def test_odd_input_answers_200_with_a_message(client, demo, query, message):
    response = search(client, query)

    assert response.status_code == 200
    assert message in text_of(response)


@pytest.mark.parametrize("query", ["\x00", "Mau\x00beuge"])
def test_a_nul_character_is_refused_with_a_message_not_a_server_error(client, demo, query):
    # The project answers 400 to any NUL in a URL (tri_portal.security.RejectNulMiddleware).
    response = search(client, query)

    assert response.status_code == 400
    assert response.content.decode() == "Caractère nul refusé dans l'adresse."


def test_the_page_without_a_query_shows_only_the_form(client, db):
    response = client.get(reverse("coverage_search"))

    assert response.status_code == 200
    assert 'id="couverture-q"' in response.content.decode()
    assert "Saisissez" not in text_of(response)


@pytest.mark.parametrize(("query", "found"), [("Maubeuge", 1), ("saint", 20)])
def test_the_search_runs_a_fixed_number_of_queries(
    client, demo, django_assert_max_num_queries, query, found
):
    # Name index (once per data version), communes, closure, contracts.
    with django_assert_max_num_queries(4):
        response = search(client, query)

    assert response.content.decode().count('class="h5 card-title"') == found


@pytest.mark.parametrize("url_name", ["home", "contracts"])
def test_the_home_page_and_the_contract_list_carry_the_search_form(client, db, url_name):
    html = client.get(reverse(url_name)).content.decode()

    assert f'action="{reverse("coverage_search")}"' in html
    assert '<label for="couverture-q"' in html
    assert 'type="search"\n           id="couverture-q"' in html


# --- the commune's own page -------------------------------------------------------


def test_the_maubeuge_page_names_the_scot_contract(client, demo):
    response = client.get(reverse("territory", args=[commune("59392").slug]))

    assert contract_link("COTRI-2017-SAMBRE-AVESNOIS") in response.content.decode()
    assert "n'a pas de contrat" not in text_of(response)
    assert "il est couvert par les contrats des territoires dont il est membre" in text_of(response)


def test_the_maubeuge_page_shows_the_figures_of_the_nearest_reporting_territory(client, demo):
    response = client.get(reverse("territory", args=[commune("59392").slug]))

    text = text_of(response)
    assert "Chiffres du territoire qui rend compte pour Maubeuge" in text
    assert "Syndicat mixte du SCoT Sambre-Avesnois" in text
    assert 'type="application/json"' in response.content.decode()


def test_the_contracts_covering_a_commune_are_labelled_as_demonstration(client, demo):
    search_text = text_of(search(client, "Maubeuge"))
    page_text = text_of(client.get(reverse("territory", args=[commune("59392").slug])))

    assert "Sambre-Avesnois (Syndicat) · achevé · Données de démonstration" in search_text
    assert "Sambre-Avesnois (Syndicat) · achevé · Données de démonstration" in page_text
