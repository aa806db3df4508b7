"""Public territory pages (no login): what a territory is, what it belongs to, the
public TRI contracts covering it (its own, its EPCI's, its syndicats') and its key
indicators over the years (validated values only; those of the nearest covering
territory that publishes some when it has none)."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from contracts.coverage import covering_contracts
from indicators.models import Indicator
from indicators.selectors import regional_goals, validated_series
from kit.cache import public_page
from kit.charts import Chart, Dataset
from territories.models import Territory, TerritoryKind

# Direct members are listed (as links) up to this many; beyond, only counted.
MAX_LISTED_MEMBERS = 60

# Ancestors from the closest to the widest.
ANCESTOR_ORDER = [
    TerritoryKind.EPCI,
    TerritoryKind.SYNDICAT,
    TerritoryKind.DEPARTEMENT,
    TerritoryKind.REGION,
]

# When several kinds share a code (région 32 and département 32), which one a
# code designates when the ``type`` is not given.
CODE_PREFERENCE = [
    TerritoryKind.COMMUNE,
    TerritoryKind.EPCI,
    TerritoryKind.SYNDICAT,
    TerritoryKind.DEPARTEMENT,
    TerritoryKind.REGION,
]


def territory_by_code(code: str, kind: str | None = None) -> Territory | None:
    """The territory with this official code (INSEE, département or région code) or
    SIREN; of ``kind`` if given, else the most local one."""
    candidates = Territory.objects.filter(code=code) | Territory.objects.filter(siren=code)
    if kind:
        candidates = candidates.filter(kind=kind)
    return min(candidates, key=lambda t: CODE_PREFERENCE.index(t.kind), default=None)


def territory_page(territory: Territory) -> dict:
    """Everything the public page of ``territory`` shows, in a fixed number of queries
    (whatever the number of ancestors, members, contracts or values) — plus two per
    covering territory tried when the territory has no validated value of its own (at
    most its EPCI and syndicats)."""
    ancestors = sorted(
        Territory.objects.ancestors_of(territory),
        key=lambda t: (ANCESTOR_ORDER.index(t.kind), t.name),
    )
    is_grouping = territory.kind != TerritoryKind.COMMUNE
    commune_count = members = None
    if is_grouping:
        commune_count = Territory.objects.communes().descendants_of(territory).count()
        members = list(territory.members.order_by("name")[: MAX_LISTED_MEMBERS + 1])
        if len(members) > MAX_LISTED_MEMBERS:
            members = None
    coverages = covering_contracts(territory)
    charts = key_indicator_charts(territory)
    nearest, nearest_charts = (None, []) if charts else nearest_reporting_charts(coverages)
    return {
        "territory": territory,
        "ancestors": ancestors,
        "is_grouping": is_grouping,
        "commune_count": commune_count,
        "members": members,
        "contracts": [c.contract for c in coverages if c.depth == 0],
        "covering": [c for c in coverages if c.depth > 0],
        "charts": charts,
        "nearest_reporting": nearest,
        "nearest_charts": nearest_charts,
        # A region's own 2050 goals (not a contract) against its aggregates.
        "goals": regional_goals(territory) if territory.kind == TerritoryKind.REGION else [],
    }


def nearest_reporting_charts(coverages) -> tuple[Territory | None, list[Chart]]:
    """For a territory without validated values of its own: the nearest territory
    whose contract covers it and that has published some, with its charts."""
    seen = set()
    for coverage in coverages:
        if coverage.depth == 0 or coverage.via.pk in seen:
            continue
        seen.add(coverage.via.pk)
        charts = key_indicator_charts(coverage.via)
        if charts:
            return coverage.via, charts
    return None, []


def key_indicator_charts(territory: Territory) -> list[Chart]:
    """One chart per key indicator with at least one validated value (derived
    indicators computed from their validated components)."""
    indicators = list(Indicator.objects.filter(is_key=True).order_by("identifier"))
    series = validated_series(territory, indicators)
    charts = []
    for indicator in indicators:
        points = series.get(indicator.identifier) or []
        if not points:
            continue
        charts.append(
            Chart(
                id=f"indicateur-{indicator.pk}",
                title=indicator.name,
                unit=indicator.unit,
                years=[year for year, _value in points],
                datasets=[Dataset(_("Valeurs validées"), [value for _year, value in points])],
            )
        )
    return charts


@method_decorator(public_page, name="get")
class TerritoryDetailView(TemplateView):
    template_name = "territories/territory_detail.html"

    def get_context_data(self, **kwargs):
        territory = get_object_or_404(Territory, slug=self.kwargs["slug"])
        return super().get_context_data(**kwargs, **territory_page(territory))


class TerritoryByCodeView(View):
    """``/territoires/code/59249/`` (or a SIREN, a département code…; ``?type=region``
    to pick among kinds sharing a code) → the territory's page."""

    def get(self, request, code):
        kind = request.GET.get("type") or None
        if kind is not None and kind not in TerritoryKind.values:
            raise Http404
        territory = territory_by_code(code, kind)
        if territory is None:
            raise Http404
        return redirect("territory", slug=territory.slug)
