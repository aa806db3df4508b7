"""Public territory pages (no login): what a territory is, what it belongs to, the
public TRI contracts covering it (its own, its EPCI's, its syndicats') and its key
indicators over the years (validated values only; when it has none, those of the
closest EPCI or syndicat containing it that publishes some: the territory reporting
for it). A département or the region also shows its aggregates, with the share of its
population they cover, and the contracts signed inside it."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from contracts.coverage import contracts_inside, covering_contracts
from contracts.life import public_series
from contracts.models import ContractStats
from indicators.models import Indicator, IndicatorValue
from indicators.provenance import series_and_provenances
from indicators.selectors import latest_scope_aggregates, regional_goals
from kit.cache import public_page
from kit.charts import Chart, Dataset
from territories.models import Territory, TerritoryKind
from tri_portal.peer_charts import peer_blocks

# Direct members are listed (as links) up to this many; beyond, only counted.
MAX_LISTED_MEMBERS = 60

# Ancestors from the closest to the widest.
ANCESTOR_ORDER = [
    TerritoryKind.EPCI,
    TerritoryKind.SYNDICAT,
    TerritoryKind.DEPARTEMENT,
    TerritoryKind.REGION,
]

# Where a territory without validated values of its own finds the figures of the
# territory reporting for it: its EPCI first, then its syndicats.
REPORTING_ANCESTOR_KINDS = [TerritoryKind.EPCI, TerritoryKind.SYNDICAT]

# The scopes whose page shows their aggregates and the contracts signed inside them.
SCOPE_KINDS = [TerritoryKind.DEPARTEMENT, TerritoryKind.REGION]

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
    (whatever the number of ancestors, members, contracts or values): three more when it
    has no validated value of its own (the territory reporting for it and its values),
    three more for a département or the region (aggregates, contracts inside, contract
    figures), four more for the comparison with its peers when it has values (a commune, an EPCI
    or a syndicat)."""
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
    own = [c.contract for c in coverages if c.depth == 0]
    charts = key_indicator_charts(territory)
    nearest, nearest_charts = (None, []) if charts else nearest_reporting_charts(ancestors)
    is_scope = territory.kind in SCOPE_KINDS
    # Its headline indicators against territories of its kind and size (when it has some).
    peers = peer_blocks(territory) if charts else []
    aggregates = latest_scope_aggregates(territory) if is_grouping else []
    return {
        "territory": territory,
        "ancestors": ancestors,
        "is_grouping": is_grouping,
        "commune_count": commune_count,
        "members": members,
        "contracts": own,
        # Renewals: each series of its contracts, predecessors first (across territories).
        "contract_series": public_series(own) if own else [],
        "covering": [c for c in coverages if c.depth > 0],
        "aggregates": aggregates,
        "charts": charts,
        "nearest_reporting": nearest,
        "nearest_charts": nearest_charts,
        "peer_blocks": peers,
        "is_scope": is_scope,
        "contracts_inside": list(contracts_inside(territory)) if is_scope else [],
        "scope_stats": ContractStats.objects.filter(scope=territory).first() if is_scope else None,
        "has_demo": any(c.contract.is_demo for c in coverages)
        or any(a.is_demo for a in aggregates)
        or any(p and p.is_demo for chart in charts + nearest_charts for p in chart.provenance)
        or any(block.is_demo for block in peers),
        # A region's own 2050 goals (not a contract) against its aggregates.
        "goals": regional_goals(territory) if territory.kind == TerritoryKind.REGION else [],
    }


def nearest_reporting_charts(ancestors) -> tuple[Territory | None, list[Chart]]:
    """For a territory without validated values of its own: the territory reporting for
    it — the closest of its EPCI, then its syndicats, that has published validated
    values of key indicators — with its charts. ``ancestors``: closest first."""
    candidates = [a for a in ancestors if a.kind in REPORTING_ANCESTOR_KINDS]
    reporting = set(
        IndicatorValue.objects.validated()
        .filter(territory__in=candidates, indicator__is_key=True)
        .values_list("territory_id", flat=True)
    )
    nearest = next((a for a in candidates if a.pk in reporting), None)
    return (nearest, key_indicator_charts(nearest)) if nearest else (None, [])


def key_indicator_charts(territory: Territory) -> list[Chart]:
    """One chart per key indicator with at least one validated value (derived
    indicators computed from their validated components), each value with where it
    comes from."""
    indicators = list(Indicator.objects.filter(is_key=True).order_by("identifier"))
    by_territory, provenances = series_and_provenances([territory], indicators)
    series = by_territory[territory.pk]
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
                decimals=indicator.decimals,
                years=[year for year, _value in points],
                datasets=[Dataset(_("Valeurs validées"), [value for _year, value in points])],
                provenance=[
                    provenances.get((territory.pk, indicator.identifier, year))
                    for year, _value in points
                ],
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
