"""The API's JSON parser: DRF's, bounded in nesting depth. Python's JSON decoder
recurses once per level, so a few thousand ``[`` exhaust the stack (RecursionError,
outside what DRF catches); no body of the API is deeper than a few levels."""

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

MAX_JSON_DEPTH = 20
TOO_DEEP = "json_too_deep"  # the code of the refusal, kept as is by the error handler


def nesting_depth(data) -> int:
    """Levels of lists and objects in ``data`` (0 for a scalar), walked without
    recursion."""
    deepest = 0
    pending = [(data, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        pending.extend((child, depth + 1) for child in children)
    return deepest


def too_deep() -> exceptions.ParseError:
    return exceptions.ParseError(
        _("Corps de requête trop imbriqué : au plus %(n)s niveaux de tableaux et d'objets.")
        % {"n": MAX_JSON_DEPTH},
        code=TOO_DEEP,
    )


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise too_deep() from exc
        if nesting_depth(data) > MAX_JSON_DEPTH:
            raise too_deep()
        return data
