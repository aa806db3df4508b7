"""Finding communes by name (accents, case and punctuation ignored) or INSEE code."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from territories.search import name_index, normalise, search_communes


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("Compiègne", "compiegne"),
        ("COMPIEGNE", "compiegne"),
        ("Saint-Rémy-l'Abbaye", "saint remy l abbaye"),
        ("Saint Rémy  l’Abbaye ", "saint remy l abbaye"),
        ("Cœuvres-et-Valsery", "coeuvres et valsery"),
        ("Ætre", "aetre"),
    ],
)
def test_names_are_compared_without_accents_case_or_punctuation(typed, normalised):
    assert normalise(typed) == normalised


@given(st.text())
def test_a_normalised_name_is_lower_case_unaccented_and_stable(text):
    result = normalise(text)

    assert normalise(result) == result
    assert not any(unicodedata.combining(char) for char in result)
    assert result == result.strip()
    assert "  " not in result


def names(search) -> list[str]:
    return [commune.name for commune in search.communes]


def test_a_name_without_accent_finds_the_commune_first(db):
    assert names(search_communes("compiegne"))[0] == "Compiègne"


def test_the_exact_name_comes_before_longer_names_starting_with_it(db):
    found = names(search_communes("lens"))

    assert found[0] == "Lens"
    assert all(name.startswith("Lens") or " " in name or "-" in name for name in found)


def test_a_word_inside_a_name_matches_but_not_a_piece_of_a_word(db):
    assert "Sars-Poteries" in names(search_communes("poteries"))
    assert names(search_communes("oteries")) == []


def test_an_insee_code_finds_exactly_its_commune(db):
    assert names(search_communes("62041")) == ["Arras"]


def test_a_code_that_is_no_insee_code_finds_nothing(db):
    search = search_communes("59000")

    assert search.communes == []
    assert search.looks_like_code


def test_results_are_capped_and_say_there_were_more(db):
    search = search_communes("saint", limit=5)

    assert len(search.communes) == 5
    assert search.has_more


@pytest.mark.parametrize("typed", [None, "", "  ", "\x00", "-'"])
def test_empty_input_finds_nothing(db, typed):
    assert search_communes(typed).communes == []


def test_over_long_input_is_refused_without_searching(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        search = search_communes("a" * 101)

    assert search.too_long
    assert search.communes == []


def test_a_search_costs_one_query_once_the_index_is_built(db, django_assert_num_queries):
    assert len(name_index()) == 3782
    with django_assert_num_queries(1):
        assert names(search_communes("Maubeuge")) == ["Maubeuge"]
