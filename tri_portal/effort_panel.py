"""The regional dashboard's panel on the contracts' share of the regional effort: one
sentence per headline indicator and horizon, one chart, one table by département.

Reads only the materialised ``EffortShare`` rows (``contracts.effort``) and the goals."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from contracts.effort import EFFORT_INDICATORS, ENERGY, GHG, RENEWABLE, RENEWABLE_SHARE
from contracts.models import EFFORT_FIXED_HORIZON, EffortHorizon, EffortShare
from kit.charts import COLOURS, Chart, Dataset
from kit.templatetags.tri_format import number, percent
from territories.models import Territory, TerritoryClosure, TerritoryKind

# Short names for the chart's labels (a phone leaves them a third of 390 px).
SHORT_NAMES = {
    ENERGY: _lazy("Énergie finale"),
    GHG: _lazy("Émissions de GES"),
    RENEWABLE: _lazy("Production EnR"),
}
ORDER = {identifier: index for index, identifier in enumerate(EFFORT_INDICATORS)}
HORIZON_ORDER = {EffortHorizon.CONTRACTS_END: 0, EffortHorizon.FIXED_YEAR: 1}


@dataclass
class EffortRow:
    """One EffortShare, formatted for a page (French numbers, the indicator's unit)."""

    share: EffortShare

    @property
    def indicator(self):
        return self.share.indicator

    @property
    def is_increase(self) -> bool:
        return self.share.committed_change > 0

    @property
    def committed(self) -> str:
        return number(abs(self.share.committed_change), self.indicator.decimals)

    @property
    def required(self) -> str | None:
        if self.share.required_change is None:
            return None
        return number(abs(self.share.required_change), self.indicator.decimals)

    @property
    def covered(self) -> str:
        return percent(self.share.covered_share, 1)

    @property
    def part(self) -> str | None:
        return None if self.share.share is None else percent(self.share.share, 1)

    @property
    def start(self) -> str:
        return str(self.share.start_year)

    @property
    def horizon(self) -> str:
        return str(self.share.horizon_year)


@dataclass
class EffortIndicator:
    """A headline indicator's regional sentences and its département rows."""

    indicator: object
    source: str  # the document that sets the regional path
    regional: list[EffortRow]
    departements: list[EffortRow]


def _sources(goals) -> dict[str, str]:
    """What each indicator's regional path comes from (``RegionalGoal.adopted_by``);
    renewable production's path is derived from the goals on the share and on energy."""
    adopted = {row.goal.indicator.identifier: row.goal.adopted_by for row in goals}
    sources = dict(adopted)
    parts = {adopted.get(RENEWABLE_SHARE), adopted.get(ENERGY)} - {None}
    if parts:
        sources[RENEWABLE] = " ; ".join(sorted(parts))
    return sources


def effort_panel(region, goals) -> list[EffortIndicator]:
    """The region's and its départements' shares of effort, by headline indicator."""
    rows = list(
        EffortShare.objects.filter(scope__in=_scopes(region))
        .select_related("indicator", "scope")
        .order_by("scope__code")
    )
    sources = _sources(goals)
    panels = {}
    for row in sorted(rows, key=lambda r: (HORIZON_ORDER[r.horizon_kind], r.scope.code)):
        identifier = row.indicator.identifier
        panel = panels.setdefault(
            identifier, EffortIndicator(row.indicator, sources.get(identifier, ""), [], [])
        )
        if row.scope_id == region.pk:
            panel.regional.append(EffortRow(row))
        else:
            panel.departements.append(EffortRow(row))
    for panel in panels.values():
        panel.departements.sort(
            key=lambda r: (r.share.scope.code, HORIZON_ORDER[r.share.horizon_kind])
        )
    return [panels[i] for i in sorted(panels, key=ORDER.get)]


def _scopes(region):
    below = TerritoryClosure.objects.filter(ancestor=region).values("descendant_id")
    return Territory.objects.filter(
        pk__in=below, kind__in=[TerritoryKind.REGION, TerritoryKind.DEPARTEMENT]
    )


def effort_chart(panels: list[EffortIndicator]) -> Chart | None:
    """Committed against required, per headline indicator and horizon, as a share of
    the required change (the indicators' units differ: one axis for all is a %)."""
    rows = [row for panel in panels for row in panel.regional if row.share.share is not None]
    if not rows:
        return None
    return Chart(
        id="graphique-part-effort",
        title=_(
            "Effort engagé par les contrats en cours, en part de l'effort demandé par la "
            "trajectoire régionale, à la fin des contrats et en %(year)s"
        )
        % {"year": EFFORT_FIXED_HORIZON},
        unit="%",
        years=[
            f"{SHORT_NAMES.get(row.indicator.identifier, row.indicator.name)} {row.horizon}"
            for row in rows
        ],
        datasets=[
            Dataset(
                _("Engagé par les contrats"),
                [(row.share.share * 100).quantize(Decimal("0.1")) for row in rows],
            ),
            Dataset(
                _("Demandé par la trajectoire régionale"),
                [Decimal(100) for _row in rows],
                colour=COLOURS["trajectory"],
            ),
        ],
        kind="bar",
        category_label=_("Indicateur et échéance"),
    )
