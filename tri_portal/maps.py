"""Server-rendered SVG maps: commune outlines (``territories.outlines``) projected onto
a small viewBox and written as compact paths, filled and stroked by CSS classes
(``static/css/portal.css``: no inline style under the strict CSP).

A map is an enhancement: every page that draws one shows the same information in a
table next to it. Clickable territories are ``<a href>`` elements of the SVG (reached
with the keyboard, named by their ``<title>``); the other layers are hidden from
assistive technologies."""

import itertools
import math
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

Ring = list[tuple[float, float]]  # (lon, lat)
Polygon = list[Ring]  # outer ring, then holes

VIEW_WIDTH = 1000  # viewBox units across the map (the SVG itself is 100 % wide)
PRECISION = 1  # decimals kept in the path coordinates


class Projection:
    """Equirectangular, the longitudes scaled by the cosine of the middle latitude (a
    region keeps its shape), y pointing down, fitted to ``bbox`` (min lon, min lat, max
    lon, max lat) and ``width`` viewBox units wide."""

    def __init__(self, bbox, width: int = VIEW_WIDTH, precision: int = PRECISION):
        min_lon, min_lat, max_lon, max_lat = bbox
        self.min_lon, self.max_lat = min_lon, max_lat
        self.kx = math.cos(math.radians((min_lat + max_lat) / 2))
        span_x = max((max_lon - min_lon) * self.kx, 1e-9)
        self.scale = width / span_x
        self.unit = 10**precision  # coordinates are written as integers of 1/unit
        self.width = width
        self.height = max(1, math.ceil((max_lat - min_lat) * self.scale))

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    def _grid(self, lon: float, lat: float) -> tuple[int, int]:
        x = (lon - self.min_lon) * self.kx * self.scale
        y = (self.max_lat - lat) * self.scale
        return round(x * self.unit), round(y * self.unit)

    def _number(self, n: int) -> str:
        whole, part = divmod(abs(n), self.unit)
        digits = len(str(self.unit)) - 1
        text = str(whole) if not part else f"{whole or ''}.{part:0{digits}d}".rstrip("0")
        return f"-{text}" if n < 0 else text

    def _pair(self, dx: int, dy: int) -> str:
        y = self._number(dy)
        return f"{self._number(dx)}{'' if y.startswith('-') else ' '}{y}"

    def _line(self, points, closed: bool) -> str:
        grid = []
        for lon, lat in points:
            point = self._grid(lon, lat)
            if not grid or point != grid[-1]:
                grid.append(point)
        if closed and len(grid) > 1 and grid[0] == grid[-1]:
            grid.pop()
        if len(grid) < (3 if closed else 2):
            return ""  # smaller than the map's precision
        x0, y0 = grid[0]
        moves = [self._pair(x - px, y - py) for (px, py), (x, y) in itertools.pairwise(grid)]
        start = self._pair(x0, y0)
        return f"M{start}l{' '.join(moves)}{'z' if closed else ''}".replace(" -", "-")

    def polygons_path(self, polygons: list[Polygon]) -> str:
        """The ``d`` of a path drawing ``polygons`` (even-odd holes kept as rings)."""
        return "".join(self._line(ring, True) for polygon in polygons for ring in polygon)

    def lines_path(self, lines: list[Ring]) -> str:
        """The ``d`` of a path drawing open ``lines`` (outlines)."""
        return "".join(self._line(line, False) for line in lines)


def bbox_of(polygons: list[Polygon]) -> tuple[float, float, float, float] | None:
    points = [point for polygon in polygons for ring in polygon for point in ring]
    if not points:
        return None
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return min(lons), min(lats), max(lons), max(lats)


@dataclass
class Shape:
    """One path: ``d`` from the projection, a CSS class; a link when ``href`` is set
    (its ``title`` names the territory and its figure)."""

    d: str
    css_class: str
    title: str = ""
    href: str = ""
    data: str = ""  # the commune's INSEE code, for scripts and tests

    def render(self) -> str:
        if not self.d:
            return ""
        title = f"<title>{escape(self.title)}</title>" if self.title else ""
        data = f' data-insee="{escape(self.data)}"' if self.data else ""
        if self.href:
            return (
                f'<a href="{escape(self.href)}" class="map-link" aria-label="{escape(self.title)}">'
                f'{title}<path class="{self.css_class}" d="{self.d}"/></a>'
            )
        if not title:
            return f'<path class="{self.css_class}"{data} d="{self.d}"/>'
        return f'<path class="{self.css_class}"{data} d="{self.d}">{title}</path>'


@dataclass
class Layer:
    """A group of shapes; ``interactive`` layers hold links, the others are decoration
    (hidden from assistive technologies: the table next to the map says the same)."""

    css_class: str
    shapes: list[Shape] = field(default_factory=list)
    interactive: bool = False

    def render(self) -> str:
        hidden = "" if self.interactive else ' aria-hidden="true"'
        body = "".join(shape.render() for shape in self.shapes)
        return f'<g class="{self.css_class}"{hidden}>{body}</g>'


@dataclass
class SvgMap:
    """A whole map: layers drawn in order over the projection's viewBox. ``label``
    names it; a map with links is a group of links, one without is an image."""

    projection: Projection
    label: str
    layers: list[Layer] = field(default_factory=list)
    css_class: str = "tri-map"
    element_id: str = ""

    def render(self) -> SafeString:
        interactive = any(layer.interactive for layer in self.layers)
        role = "group" if interactive else "img"
        id_attribute = f' id="{escape(self.element_id)}"' if self.element_id else ""
        title = "" if interactive else f"<title>{escape(self.label)}</title>"
        body = "".join(layer.render() for layer in self.layers)
        # Every text above is escaped.
        return mark_safe(
            f'<svg xmlns="http://www.w3.org/2000/svg" class="{self.css_class}"{id_attribute}'
            f' viewBox="{self.projection.view_box}" role="{role}"'
            f' aria-label="{escape(self.label)}" preserveAspectRatio="xMidYMid meet">'
            f"{title}{body}</svg>"
        )
