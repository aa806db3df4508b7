"""The public map (``/carte/``): where the contracts are and where the region is not
covered yet, or how the territories publishing a key indicator compare — each map
with a table saying the same, for readers without the map.

The coverage view's counts come from the regional dashboard's sources
(``ContractStats`` and ``regional_dashboard.by_status``); which contract covers which
commune from ``contracts.coverage``."""

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from contracts.coverage import (
    CoverageLevel,
    commune_coverage,
    contracts_inside,
    coverage_level,
)
from contracts.models import Contract, ContractStats
from indicators.models import Indicator, IndicatorValue
from indicators.provenance import Provenance, series_and_provenances
from indicators.units import PER_INHABITANT, UNIT_DECIMALS
from kit.cache import public_page
from kit.templatetags.tri_format import number
from territories.models import Territory, TerritoryKind
from tri_portal.map_layers import commune_codes, epci_outline_layer, region_outlines
from tri_portal.maps import Layer, Projection, Shape, SvgMap
from tri_portal.regional_dashboard import by_status
from tri_portal.regional_goals import default_region

CLASSES = 5  # colour classes of the indicator view (quantiles)
COVERAGE_VIEW, INDICATOR_VIEW = "couverture", "indicateur"
DEFAULT_INDICATOR = "cae_2.a"
# The indicator view colours one level of territories, which tiles the region without
# overlap (a commune is in one EPCI and one département): figures of nested levels are
# never drawn over each other, and the classes compare like with like. EPCIs by default:
# the level observatories publish, and 92 shapes instead of 3 782 communes.
MAP_LEVELS = {
    "epci": (TerritoryKind.EPCI, gettext_lazy("Intercommunalités (EPCI)")),
    "commune": (TerritoryKind.COMMUNE, gettext_lazy("Communes")),
    "departement": (TerritoryKind.DEPARTEMENT, gettext_lazy("Départements")),
}
DEFAULT_LEVEL = "epci"


class MapForm(forms.Form):
    """The map's GET parameters; anything invalid falls back to the default view."""

    vue = forms.ChoiceField(
        label=gettext_lazy("Carte"),
        choices=[
            (COVERAGE_VIEW, gettext_lazy("Couverture par les contrats")),
            (INDICATOR_VIEW, gettext_lazy("Indicateur clé")),
        ],
        required=False,
    )
    indicateur = forms.ChoiceField(label=gettext_lazy("Indicateur"), required=False)
    annee = forms.TypedChoiceField(label=gettext_lazy("Année"), coerce=int, required=False)
    niveau = forms.ChoiceField(
        label=gettext_lazy("Territoires"),
        choices=[(key, label) for key, (_kind, label) in MAP_LEVELS.items()],
        required=False,
    )

    def __init__(self, data, indicators, years):
        super().__init__(data)
        self.fields["indicateur"].choices = [
            (i.identifier, f"{i.name} ({i.unit})") for i in indicators
        ]
        self.fields["annee"].choices = [("", _("La plus récente"))] + [(y, str(y)) for y in years]

    def cleaned(self, name, default):
        """The field's valid value, else ``default`` (each field on its own)."""
        self.is_valid()
        if name in self.errors:
            return default
        return self.cleaned_data.get(name) or default


@dataclass
class LevelRow:
    level: CoverageLevel
    communes: int
    population: int | None  # from ContractStats: the dashboard's figure

    @property
    def css_class(self) -> str:
        return f"map-{self.level.value}"


@dataclass
class PerimeterRow:
    territory: Territory
    contracts: list[Contract]
    communes: int

    @property
    def level(self) -> CoverageLevel:
        return coverage_level({c.status for c in self.contracts})


def coverage_map(region: Territory) -> dict:
    """Communes coloured by coverage, contract perimeters outlined (links to their
    territory's page), EPCI outlines; the counts per level; one row per contract
    territory."""
    stats = ContractStats.objects.filter(scope=region).first()
    levels = commune_coverage(region)
    contracts = list(contracts_inside(region))
    by_territory: dict[int, list[Contract]] = {}
    for contract in contracts:
        by_territory.setdefault(contract.territory_id, []).append(contract)
    codes = commune_codes(by_territory)
    territories = {c.territory_id: c.territory for c in contracts}
    perimeters = sorted(
        (
            PerimeterRow(territories[pk], found, len(codes[pk]))
            for pk, found in by_territory.items()
        ),
        key=lambda row: (-row.communes, row.territory.name),
    )
    counts = Counter(levels.values())
    populations = _level_populations(stats)
    level_rows = [LevelRow(level, counts[level], populations.get(level)) for level in CoverageLevel]
    geo = region_outlines(region.code)
    svg = None
    if geo is not None:
        projection = Projection(geo.bbox)
        names = dict(
            Territory.objects.communes().filter(code__in=levels).values_list("code", "name")
        )
        communes = Layer(
            "map-communes",
            [
                Shape(
                    projection.polygons_path(geo.polygons(code)),
                    f"map-{levels[code].value}",
                    title=f"{names.get(code, code)} : {levels[code].label}",
                    data=code,
                )
                for code in sorted(geo.codes() & set(levels))
            ],
        )
        outlines = Layer(
            "map-perimeters",
            [
                Shape(
                    projection.polygons_path(geo.merged(codes[row.territory.pk] & geo.codes())),
                    f"map-perimeter map-perimeter-{row.level.value}",
                    title=perimeter_title(row),
                    href=reverse("territory", args=[row.territory.slug]),
                )
                for row in perimeters
            ],
            interactive=True,
        )
        svg = SvgMap(
            projection,
            _("Carte de la couverture des communes de %(region)s par les contrats")
            % {"region": region.name},
            [communes, epci_outline_layer(region, geo, projection), outlines],
            element_id="carte-svg",
        ).render()
    return {
        "stats": stats,
        "level_rows": level_rows,
        "by_status": by_status(stats),
        "perimeters": perimeters,
        "svg": svg,
        "manifest": geo.manifest if geo is not None else None,
        "has_demo": any(c.is_demo for c in contracts),
    }


def _level_populations(stats: ContractStats | None) -> dict[CoverageLevel, int]:
    if stats is None:
        return {}
    return {
        CoverageLevel.COVERED: stats.covered_population,
        CoverageLevel.COMPLETED_ONLY: stats.covered_population_all - stats.covered_population,
        CoverageLevel.NONE: stats.population - stats.covered_population_all,
    }


def perimeter_title(row: PerimeterRow) -> str:
    contracts = ", ".join(f"{c.reference} ({c.get_status_display()})" for c in row.contracts)
    return _("%(territory)s — contrats : %(contracts)s") % {
        "territory": row.territory.name,
        "contracts": contracts,
    }


# --- The indicator view --------------------------------------------------------------


@dataclass
class FigureRow:
    territory: Territory
    value: Decimal
    figure: Decimal | None  # per inhabitant when the unit calls for it, else the value
    provenance: Provenance | None
    communes: set[str] = field(default_factory=set)
    css_class: str = "map-nodata"


@dataclass
class ClassRow:
    css_class: str
    low: Decimal
    high: Decimal
    count: int


def key_indicators() -> list[Indicator]:
    return list(Indicator.objects.filter(is_key=True).order_by("identifier"))


def published_years(indicator: Indicator) -> list[int]:
    needed = indicator.components if indicator.is_derived else [indicator.identifier]
    values = IndicatorValue.objects.validated().filter(indicator__identifier__in=needed)
    return sorted(set(values.values_list("year", flat=True)), reverse=True)


def figure_unit(indicator: Indicator) -> tuple[str, int, Decimal | None]:
    """The unit the map shows, its decimals and the per-inhabitant factor (None: the
    value as it is, a share or a ratio)."""
    if indicator.unit in PER_INHABITANT:
        unit, factor = PER_INHABITANT[indicator.unit]
        return unit, UNIT_DECIMALS[unit], factor
    return indicator.unit, indicator.decimals, None


def quantile_classes(figures: list[Decimal]) -> list[tuple[Decimal, Decimal]]:
    """Up to ``CLASSES`` (low, high) bounds holding about as many figures each."""
    ordered = sorted(figures)
    if not ordered:
        return []
    count = min(CLASSES, len(set(ordered)))
    bounds = []
    for index in range(count):
        chunk = ordered[index * len(ordered) // count : (index + 1) * len(ordered) // count]
        if chunk and (not bounds or chunk[-1] > bounds[-1][1]):
            low = chunk[0] if not bounds else max(chunk[0], bounds[-1][1])
            bounds.append((low, chunk[-1]))
    return bounds


def class_of(figure: Decimal, bounds) -> int:
    return next(i for i, (_low, high) in enumerate(bounds) if figure <= high)


def indicator_map(region: Territory, indicator: Indicator, year: int, level: str) -> dict:
    """The territories of one ``level`` (``MAP_LEVELS``) publishing a validated value of
    ``indicator`` for ``year`` coloured by it (per inhabitant where the unit calls for
    it) in quantile classes; the others say "pas de donnée", never zero. The region's
    own figure, when it publishes one, is given beside the map as the reference."""
    kind, level_label = MAP_LEVELS[level]
    needed = indicator.components if indicator.is_derived else [indicator.identifier]
    published = set(
        IndicatorValue.objects.validated()
        .filter(indicator__identifier__in=needed, year=year)
        .values_list("territory_id", flat=True)
    )
    level_territories = list(Territory.objects.filter(kind=kind).descendants_of(region))
    candidates = [t for t in [region, *level_territories] if t.pk in published]
    series, provenances = series_and_provenances(candidates, [indicator])
    unit, decimals, factor = figure_unit(indicator)
    codes = commune_codes([t.pk for t in level_territories])
    rows, reference = [], None
    for territory in candidates:
        value = dict(series[territory.pk].get(indicator.identifier) or []).get(year)
        if value is None:
            continue  # a component only: not enough for this indicator
        figure = value
        if factor is not None:
            population = territory.population
            figure = value * factor / population if population else None
        provenance = provenances.get((territory.pk, indicator.identifier, year))
        row = FigureRow(territory, value, figure, provenance, codes[territory.pk])
        if territory.pk == region.pk:
            reference = row
        else:
            rows.append(row)
    bounds = quantile_classes([r.figure for r in rows if r.figure is not None])
    for row in rows:
        if row.figure is not None:
            row.css_class = f"map-q{class_of(row.figure, bounds) + 1}"
    rows.sort(key=lambda r: r.territory.name)
    class_rows = [
        ClassRow(
            f"map-q{i + 1}",
            low,
            high,
            sum(1 for r in rows if r.css_class == f"map-q{i + 1}"),
        )
        for i, (low, high) in enumerate(bounds)
    ]
    covered = set().union(*(r.communes for r in rows if r.figure is not None))
    commune_population = dict(
        Territory.objects.communes().descendants_of(region).values_list("code", "population")
    )
    covered_population = sum(commune_population.get(code) or 0 for code in covered)
    region_population = sum(p or 0 for p in commune_population.values())
    geo = region_outlines(region.code)
    svg = None
    if geo is not None:
        svg = _indicator_svg(region, geo, level, level_territories, codes, rows, indicator, year)
    return {
        "indicator": indicator,
        "year": year,
        "level": level,
        "level_label": level_label,
        "unit": unit,
        "decimals": decimals,
        "per_inhabitant": factor is not None,
        "rows": rows,
        "reference": reference,
        "class_rows": class_rows,
        "covered_population": covered_population,
        "region_population": region_population,
        "covered_share": covered_population / region_population if region_population else None,
        "svg": svg,
        "manifest": geo.manifest if geo is not None else None,
        "has_demo": any(r.provenance and r.provenance.is_demo for r in [*rows, reference] if r),
    }


def _indicator_svg(region, geo, level, level_territories, codes, rows, indicator, year):
    """The level's territories without a figure in grey (decoration), those with one
    coloured and linked to their page; EPCI outlines over communes."""
    projection = Projection(geo.bbox)
    available = geo.codes()
    unit, decimals, _factor = figure_unit(indicator)
    with_figure = {row.territory.pk for row in rows}
    empty = [t for t in level_territories if t.pk not in with_figure]
    if level == "commune":
        empty_shapes = [
            Shape(projection.polygons_path(geo.polygons(t.code)), "map-nodata", data=t.code)
            for t in empty
            if t.code in available
        ]
    else:
        empty_shapes = [
            Shape(projection.polygons_path(geo.merged(codes[t.pk] & available)), "map-nodata")
            for t in empty
            if codes[t.pk] & available
        ]
    figures = Layer(
        "map-values",
        [
            Shape(
                projection.polygons_path(geo.merged(row.communes & available)),
                f"map-value {row.css_class}",
                title=figure_title(row, indicator, unit, decimals, year),
                href=reverse("territory", args=[row.territory.slug]),
            )
            for row in rows
            if row.communes & available
        ],
        interactive=True,
    )
    layers = [Layer("map-communes", empty_shapes), figures]
    if level != "epci":
        layers.insert(1, epci_outline_layer(region, geo, projection))
    return SvgMap(
        projection,
        _("Carte : %(indicator)s en %(year)s par territoire")
        % {"indicator": indicator.name, "year": year},
        layers,
        element_id="carte-svg",
    ).render()


def figure_title(row: FigureRow, indicator, unit: str, decimals: int, year: int) -> str:
    if row.figure is None:
        figure = _("pas de donnée (population inconnue)")
    else:
        figure = f"{number(row.figure, decimals)} {unit}"
    demo = _(" — donnée de démonstration") if row.provenance and row.provenance.is_demo else ""
    return f"{row.territory.name} : {figure} ({year}){demo}"


def map_page(params) -> dict:
    """Everything ``/carte/`` shows for its GET parameters."""
    region = default_region()
    indicators = key_indicators()
    chosen = {i.identifier: i for i in indicators}
    indicator = chosen.get(params.get("indicateur")) or chosen.get(DEFAULT_INDICATOR)
    if indicator is None and indicators:
        indicator = indicators[0]
    years = published_years(indicator) if indicator else []
    asked = MapForm(params, indicators, years)
    view = asked.cleaned("vue", COVERAGE_VIEW)
    year = asked.cleaned("annee", None)  # None: the latest year published
    level = asked.cleaned("niveau", DEFAULT_LEVEL)
    # The form shows what the page shows (invalid choices replaced by the defaults).
    shown = {
        "vue": view,
        "indicateur": indicator.identifier if indicator else "",
        "annee": year,
        "niveau": level,
    }
    form = MapForm({k: v or "" for k, v in shown.items()}, indicators, years)
    context = {"region": region, "form": form, "view": view, "has_demo": False}
    if region is None:
        return context
    if view == INDICATOR_VIEW and indicator is not None:
        year = year or (years[0] if years else None)
        context["indicator_view"] = indicator_map(region, indicator, year, level) if year else None
    else:
        context["coverage"] = coverage_map(region)
    shown = context.get("indicator_view") or context.get("coverage") or {}
    context["has_demo"] = shown.get("has_demo", False)
    return context


@method_decorator(public_page, name="get")
class MapView(TemplateView):
    """Public: the map of the contracts' coverage, or of a key indicator."""

    template_name = "tri_portal/map.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, **map_page(self.request.GET))
