"""A territory's headline indicators against its peers, as charts (territory page).

For each headline indicator the territory has a figure of: a chart of its figure per
inhabitant (or its share) over the years with the peers' interquartile range drawn as a
band (two datasets, the upper filled down to the lower) and their median as a dashed
line — the same figures in the chart's table —, and the rank sentence of its latest
year. A year whose group is not published (fewer than 5 peers besides the territory)
has no band: its cells are empty and the sentence says why."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from indicators.models import Indicator
from indicators.peer_groups import FRANCE, figure_decimals, territory_peer_kind
from indicators.peers import (
    PeerComparison,
    PeerRow,
    compared_indicators,
    peer_comparisons,
    peer_rows,
)
from kit.charts import COLOURS, Chart, Dataset

BAND_COLOUR = "#6b6b6b"  # 5.3:1 on white; the band is filled with it, translucent


@dataclass
class PeerBlock:
    """What the territory page shows for one headline indicator against its peers."""

    chart: Chart
    rows: list[PeerRow]  # the region's comparison, then France's (national data)
    comparison: PeerComparison

    @property
    def is_demo(self) -> bool:
        return any(row.comparison.is_demo for row in self.rows)


def peer_chart(territory, comparison: PeerComparison) -> Chart:
    years = sorted(comparison.years)
    rows = [comparison.years[year] for year in years]

    def stat(name):
        return [getattr(row.statistic, name) if row.published else None for row in rows]

    own = Dataset(territory.name, [row.figure for row in rows], colour=COLOURS["values"])
    band = [
        Dataset(_("1er quartile"), stat("q1"), style="band-low", colour=BAND_COLOUR),
        Dataset(_("3e quartile"), stat("q3"), style="band-high", colour=BAND_COLOUR),
        Dataset(_("médiane des pairs"), stat("median"), style="dashed", colour=BAND_COLOUR),
    ]
    published = any(row.published for row in rows)  # else its figure alone
    return Chart(
        id=f"pairs-{comparison.indicator.pk}",
        title=_("%(name)s : comparaison avec des territoires comparables")
        % {"name": comparison.indicator.name},
        unit=comparison.unit,
        years=years,
        decimals=figure_decimals(comparison.indicator),
        datasets=[own, *band] if published else [own],
    )


def peer_blocks(territory) -> list[PeerBlock]:
    """One block per headline indicator with a comparison, the chart drawn for the
    territory's region (or France when it lies in none). Four queries (none for a
    territory without peers: a département, a région)."""
    if territory_peer_kind(territory) is None:
        return []
    catalogue = {i.identifier: i for i in Indicator.objects.all()}
    indicators = compared_indicators(catalogue)
    comparisons = peer_comparisons(territory, indicators, catalogue)
    by_indicator: dict[int, list[PeerComparison]] = {}
    for comparison in comparisons:
        by_indicator.setdefault(comparison.indicator.pk, []).append(comparison)
    blocks = []
    for indicator in indicators:
        found = by_indicator.get(indicator.pk)
        if not found:
            continue
        found.sort(key=lambda c: c.area == FRANCE)  # the region first
        if not any(y.figure is not None for y in found[0].years.values()):
            continue
        blocks.append(PeerBlock(peer_chart(territory, found[0]), peer_rows(found), found[0]))
    return blocks
