"""Finding communes from what a citizen types: a name (accents, case, hyphens and
apostrophes ignored: ``compiegne`` finds Compiègne, ``st omer`` does not — no
abbreviations) or an INSEE code. No postcode data is shipped: a postcode finds
nothing unless it happens to be an INSEE code.

Names are matched in Python over an index of the region's communes (≈ 3 800 short
strings) built once per data version, so a search costs one query (the matches)."""

import re
import unicodedata
from dataclasses import dataclass

from kit.cache import versioned_value
from territories.models import Territory, TerritoryKind

INDEX_KEY = "tri:commune-name-index"
# Longest query searched; beyond, the text is refused (no commune name is this long).
MAX_QUERY_LENGTH = 100
INSEE_CODE = re.compile(r"^(\d{5}|2[ABab]\d{3})$")
# Letters that Unicode does not decompose into a base letter and an accent.
LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})
SEPARATORS = re.compile(r"[\s\-‐‑–—'’`´.,;:/()]+")


def normalise(text: str) -> str:
    """``"Saint-Rémy-l'Abbaye"`` → ``"saint remy l abbaye"``: no accents, lower case,
    words separated by one space."""
    text = _unaccented(_unaccented(text).casefold().translate(LIGATURES))
    return SEPARATORS.sub(" ", text).strip()


def _unaccented(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(char for char in text if not unicodedata.combining(char))


def _name_index() -> list[tuple[str, int, int]]:
    """``(normalised name, -population, id)`` for every commune."""
    return [
        (normalise(name), -(population or 0), pk)
        for pk, name, population in Territory.objects.communes().values_list(
            "id", "name", "population"
        )
    ]


def name_index() -> list[tuple[str, int, int]]:
    return versioned_value(INDEX_KEY, _name_index)


@dataclass
class CommuneSearch:
    query: str
    communes: list[Territory]
    has_more: bool = False
    too_long: bool = False

    @property
    def looks_like_code(self) -> bool:
        return bool(INSEE_CODE.match(self.query))


def _rank(name: str, words: str) -> int | None:
    """0: the name itself, 1: a name starting with the words, 2: containing them as
    whole-word prefixes, None: no match."""
    if name == words:
        return 0
    if name.startswith(words):
        return 1
    if f" {words}" in f" {name}":
        return 2
    return None


def search_communes(text: str | None, limit: int = 20) -> CommuneSearch:
    """The communes matching ``text`` (INSEE code exactly, or name), best first: exact
    name, then names starting with it, then names containing it as words; the most
    populated first within each. At most ``limit``, ``has_more`` if there were more."""
    query = (text or "").replace("\x00", "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        return CommuneSearch(query[:MAX_QUERY_LENGTH], [], too_long=True)
    if not query:
        return CommuneSearch("", [])
    if INSEE_CODE.match(query):
        found = list(Territory.objects.filter(kind=TerritoryKind.COMMUNE, code=query.upper()))
        return CommuneSearch(query, found)
    words = normalise(query)
    if not words:
        return CommuneSearch(query, [])
    ranked = sorted(
        (rank, minus_population, name, pk)
        for name, minus_population, pk in name_index()
        if (rank := _rank(name, words)) is not None
    )
    ids = [pk for *_key, pk in ranked[:limit]]
    by_id = Territory.objects.in_bulk(ids)
    return CommuneSearch(query, [by_id[pk] for pk in ids if pk in by_id], len(ranked) > limit)
