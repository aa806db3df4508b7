"""Chart data for the public pages. Every chart is drawn by static/js/charts.js
(Chart.js, vendored) from a JSON description, and the same data is always rendered
as an HTML table next to it (templates/includes/chart.html)."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

# Colours with at least 3:1 contrast on white (WCAG 2.1 non-text contrast).
COLOURS = {"values": "#0b5394", "trajectory": "#6b6b6b", "target": "#b3261e", "goal": "#b3261e"}


@dataclass
class Dataset:
    label: str
    values: list[Decimal | None]
    style: str = "line"  # line | dashed | point | band-low | band-high (filled to band-low)
    colour: str = COLOURS["values"]


@dataclass
class Chart:
    """A line chart over years: one x label per year, datasets aligned on them."""

    id: str
    title: str
    unit: str
    years: list[int | str]
    datasets: list[Dataset] = field(default_factory=list)
    # Where each year's first value comes from (an object the page's provenance include
    # shows, or None), aligned with ``years``; None: the table has no source column.
    provenance: list | None = None
    decimals: int = 1  # the precision of the table's values (a count has none)
    # "line" over years, or "bar": horizontal bars, one per label of ``years`` (then
    # any text; ``category_label`` heads the table's first column instead of "Année").
    kind: str = "line"
    category_label: str = ""

    def as_json(self) -> dict:
        return {
            "type": self.kind,
            "title": self.title,
            "unit": self.unit,
            "labels": [str(y) for y in self.years],
            "datasets": [
                {
                    "label": d.label,
                    "data": [None if v is None else float(v) for v in d.values],
                    "style": d.style,
                    "colour": d.colour,
                }
                for d in self.datasets
            ],
        }

    @property
    def rows(self):
        """(year, [value per dataset]) for the HTML table."""
        for index, year in enumerate(self.years):
            yield year, [d.values[index] for d in self.datasets]

    @property
    def table_rows(self):
        """(year, [value per dataset], provenance or None) for the HTML table."""
        for index, (year, values) in enumerate(self.rows):
            yield year, values, self.provenance[index] if self.provenance else None


def target_chart(
    chart_id: str, title: str, unit: str, target, series, trajectory_value, decimals: int = 1
) -> Chart:
    """Validated values over the years, the linear trajectory from the baseline to the
    target, and the target point. ``trajectory_value(year)`` gives the trajectory; the
    table shows values with ``decimals`` places."""
    observed = dict(series)
    first = min([target.baseline_year, *observed])
    last = max([target.target_year, *observed])
    years = list(range(first, last + 1))
    return Chart(
        id=chart_id,
        title=title,
        unit=unit,
        years=years,
        decimals=decimals,
        datasets=[
            Dataset(_("Valeurs validées"), [observed.get(y) for y in years]),
            Dataset(
                _("Trajectoire vers l'objectif"),
                [
                    trajectory_value(y) if target.baseline_year <= y <= target.target_year else None
                    for y in years
                ],
                style="dashed",
                colour=COLOURS["trajectory"],
            ),
            Dataset(
                _("Objectif"),
                [target.target_value if y == target.target_year else None for y in years],
                style="point",
                colour=COLOURS["target"],
            ),
        ],
    )
