"""URLs of the HTTP benchmarks: the portal's, plus two floor views that exist only in
this urlconf (``bench.settings``), never in production."""

from functools import cache

from django.http import HttpResponse, JsonResponse
from django.urls import include, path

from indicators.api import VALUE_SOURCES
from indicators.models import IndicatorValue
from indicators.organisations import organisation_subquery

FLOOR_INDICATOR = "cae_2.a"
FLOOR_ROWS = 100
DEFAULT_PAGE_BYTES = 40_000
MAX_PAGE_BYTES = 2_000_000


def floor_values(request):
    """The first page of ``/api/v1/values/?indicator=cae_2.a&page_size=100`` (validated
    values of the indicator, the API's order), as little as Django can do: one query,
    ``.values()`` of the API's columns (under their ORM names, the validating
    organisation read by the same subquery), ``JsonResponse``."""
    rows = (
        IndicatorValue.objects.filter(status="validated", indicator__identifier=FLOOR_INDICATOR)
        .annotate(validated_by_organisation=organisation_subquery("validated_by"))
        .order_by("territory_id", "indicator_id", "year")
        .values(*VALUE_SOURCES)[:FLOOR_ROWS]
    )
    return JsonResponse({"results": list(rows)})


@cache
def constant_page(size: int) -> bytes:
    head = b"<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>Plancher</title></head><body><main>"
    tail = b"</main></body></html>"
    line = b"<p>Tableau de bord : page constante du banc d'essai.</p>\n"
    body = line * max(0, (size - len(head) - len(tail)) // len(line))
    return head + body + tail


def floor_constant(request):
    """A constant HTML page of ``?size=`` bytes (the dashboard's size, measured by the
    bench), built once per size: no template, no query, no cache."""
    raw = request.GET.get("size", "")
    size = int(raw) if raw.isdigit() else DEFAULT_PAGE_BYTES
    return HttpResponse(constant_page(min(size, MAX_PAGE_BYTES)))


urlpatterns = [
    path("bench/floor/values/", floor_values, name="bench_floor_values"),
    path("bench/floor/constant/", floor_constant, name="bench_floor_constant"),
    path("", include("tri_portal.urls")),
]
