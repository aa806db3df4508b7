"""Pagination of every list of the API: ``page`` and ``page_size`` checked strictly,
and for lists of public data a row count kept for the public data version."""

import hashlib
import re
from functools import partial

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination

from kit.cache import versioned_value

WHOLE_NUMBER_RE = re.compile(r"[0-9]+")


def _whole_number(raw: str) -> int | None:
    """``raw`` as a whole number if it is written in ASCII digits (not "²", "１" or
    " 1", which ``int`` or ``str.isdigit`` would take), else None."""
    if not WHOLE_NUMBER_RE.fullmatch(raw):
        return None
    digits = raw.lstrip("0")
    return int(digits[:20] or "0")  # 20 digits are past any bound: no 5 000-digit int


class PagePagination(PageNumberPagination):
    """``page`` and ``page_size``: a value that is not a whole number in range is a
    400 on that parameter (not a silent default, not a 404). The schema declares the
    same bounds."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000
    last_page_strings = ()  # ``page=last`` is not a number

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        number = _whole_number(raw)
        if number is None or not 1 <= number <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("Nombre entier de 1 à %(max)s attendu.") % {"max": self.max_page_size}
                    ]
                }
            )
        return number

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        number = _whole_number(raw)
        if number is None or number < 1:
            raise exceptions.ValidationError(
                {self.page_query_param: [_("Nombre entier à partir de 1 attendu.")]}
            )
        return number

    def check_parameters(self, request) -> None:
        """Refuse a malformed ``page`` or ``page_size`` where no page is cut (the
        exports): the schema declares them for the whole operation."""
        self.get_page_size(request)
        self.get_page_number(request, None)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.page_query_param: {"minimum": 1},
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        }
        for parameter in parameters:
            parameter["schema"] = {"type": "integer", **bounds[parameter["name"]]}
        return parameters

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound as exc:
            raise exceptions.ValidationError(
                {
                    self.page_query_param: [
                        _("Page inexistante : %(reason)s") % {"reason": exc.detail}
                    ]
                }
            ) from exc


class PublicDataPaginator(Paginator):
    """A paginator whose row count is kept for the public data version: counting
    hundreds of thousands of values costs more than reading a page of them. Only for
    lists of public data, whose every change bumps the version (tri_portal.receivers,
    the validation and recompute signals). ``count_key`` names what is counted."""

    def __init__(self, *args, count_key: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_key = count_key

    @cached_property
    def count(self):
        database = connections[self.object_list.db].settings_dict["NAME"]
        text = f"{database}:{self.count_key}"
        key = f"tri:count:{hashlib.sha256(text.encode()).hexdigest()[:32]}"
        return versioned_value(key, lambda: super(PublicDataPaginator, self).count)

    def page(self, number):
        """A full page even if the count were behind the rows (a bulk write that did
        not bump the data version): the count bounds the page numbers, not the rows."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)


class PublicDataPagination(PagePagination):
    """``PagePagination`` for lists of public data whose rows depend on nothing but the
    query parameters (not on the user): the row count is cached per endpoint and
    parameters (see PublicDataPaginator), without compiling the query to name it."""

    def paginate_queryset(self, queryset, request, view=None):
        skipped = {self.page_query_param, self.page_size_query_param}
        params = sorted(
            (name, values) for name, values in request.query_params.lists() if name not in skipped
        )
        endpoint = f"{type(view).__module__}.{type(view).__qualname__}" if view else ""
        self.django_paginator_class = partial(
            PublicDataPaginator, count_key=f"{endpoint}:{params!r}"
        )
        return super().paginate_queryset(queryset, request, view)
