"""Commune outlines shipped in ``territories/data/outlines/`` (IGN ADMIN EXPRESS COG,
Licence Ouverte 2.0), read at run time in pure Python.

The file is a TopoJSON built by ``manage.py build_outlines``: one object ``communes`` whose
geometries carry the INSEE code as ``id``, arcs shared between neighbours, delta-encoded on a
quantized grid. Unions (EPCI, syndicat, département, contract perimeter) are computed from the
same topology: arcs used by two members are internal and dropped, the others are stitched into
rings, so the shared border of two neighbouring unions is the very same line.
"""

import itertools
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from django.conf import settings

OUTLINES_DIR = Path(__file__).resolve().parent / "data" / "outlines"
OBJECT = "communes"

Point = tuple[float, float]
Ring = list[Point]
Polygons = list[list[Ring]]


def outline_path(code: str, kind: str = "region", directory: Path = OUTLINES_DIR) -> Path:
    """The TopoJSON of a region (``communes-32.topojson``) or of a département
    (``communes-dep-59.topojson``, written by ``build_outlines --all``)."""
    prefix = "communes-dep-" if kind == "departement" else "communes-"
    return directory / f"{prefix}{code}.topojson"


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(".topojson") + ".manifest.json")


def outlines(region_code: str | None = None) -> "Outlines | None":
    """The outlines of a region (default: the portal's region), decoded once per process;
    ``None`` when no file is shipped for it."""
    return _outlines(region_code or settings.TERRITORIES_DEFAULT_REGION)


@cache
def _outlines(code: str) -> "Outlines | None":
    path = outline_path(code)
    if not path.exists():
        return None
    return Outlines.from_files(path, code)


def _ring_area(ring: Ring) -> float:
    """Signed area (shoelace), positive counter-clockwise."""
    total = 0.0
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        total += x1 * y2 - x2 * y1
    return total / 2


def _contains(ring: Ring, point: Point) -> bool:
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _inner_point(hole: Ring) -> Point:
    """A point strictly inside the area a hole ring bounds, next to its first edge (a
    vertex may lie on the exterior's boundary where they touch)."""
    (x1, y1), (x2, y2) = hole[0], hole[1]
    return ((x1 + x2) / 2, (y1 + y2) / 2)


class Outlines:
    """Decoded outlines of one region; see the module docstring."""

    def __init__(self, topology: dict, manifest: dict, region_code: str):
        self.region_code = region_code
        self.manifest = manifest
        xmin, ymin, xmax, ymax = topology["bbox"]
        self.bbox = (xmin, ymin, xmax, ymax)
        self._arcs = self._decode_arcs(topology)
        self._rings: dict[str, list[list[list[int]]]] = {}
        for geometry in topology["objects"][OBJECT]["geometries"]:
            arcs = geometry["arcs"]
            self._rings[geometry["id"]] = [arcs] if geometry["type"] == "Polygon" else arcs

    @classmethod
    def from_files(cls, path: Path, region_code: str) -> "Outlines":
        topology = json.loads(path.read_bytes())
        manifest = json.loads(manifest_path(path).read_text(encoding="utf-8"))
        return cls(topology, manifest, region_code)

    @staticmethod
    def _decode_arcs(topology: dict) -> list[list[Point]]:
        transform = topology.get("transform")
        decoded = []
        if transform is None:
            return [[(float(x), float(y)) for x, y in arc] for arc in topology["arcs"]]
        (kx, ky), (dx, dy) = transform["scale"], transform["translate"]
        for arc in topology["arcs"]:
            x = y = 0
            points = []
            for px, py in arc:
                x += px
                y += py
                points.append((x * kx + dx, y * ky + dy))
            decoded.append(points)
        return decoded

    def codes(self) -> set[str]:
        return set(self._rings)

    def _arc(self, ref: int) -> list[Point]:
        return self._arcs[ref] if ref >= 0 else self._arcs[~ref][::-1]

    def _stitch(self, refs: Iterable[int]) -> Ring:
        ring: Ring = []
        for ref in refs:
            points = self._arc(ref)
            ring.extend(points[1:] if ring else points)
        return ring

    def polygons(self, code: str) -> Polygons:
        """The commune's polygons, each a list of rings (outer first, then holes), lon/lat.
        ``KeyError`` for a code not in the file."""
        return [[self._stitch(refs) for refs in polygon] for polygon in self._rings[code]]

    def _boundary(self, codes) -> list[int]:
        """Directed arc references of the union's boundary: the arcs used once by the
        members (an arc used by two members is internal)."""
        used: dict[int, list[int]] = {}
        for code in codes:
            for polygon in self._rings.get(code, ()):
                for refs in polygon:
                    for ref in refs:
                        used.setdefault(ref if ref >= 0 else ~ref, []).append(ref)
        return [refs[0] for _, refs in sorted(used.items()) if len(refs) == 1]

    def boundary_arcs(self, codes) -> list[list[Point]]:
        """The union's outline as lines (for stroking a perimeter)."""
        return [self._arc(ref) for ref in self._boundary(codes)]

    def merged(self, codes) -> Polygons:
        """The union of these communes as polygons (outer ring first, then holes)."""
        starts: dict[Point, list[int]] = {}
        for ref in self._boundary(codes):
            starts.setdefault(self._arc(ref)[0], []).append(ref)
        rings: list[Ring] = []
        while starts:
            first = next(iter(starts))
            ring: Ring = [first]
            point = first
            while point in starts:
                pending = starts[point]
                ref = pending.pop()
                if not pending:
                    del starts[point]
                arc = self._arc(ref)
                ring.extend(arc[1:])
                point = arc[-1]
                if point == first:
                    break
            if len(ring) >= 4 and ring[0] == ring[-1]:
                rings.extend(_split_pinches(ring))
        exteriors = [r for r in rings if _ring_area(r) > 0]
        holes = [r for r in rings if _ring_area(r) <= 0]
        polygons: Polygons = [[r] for r in sorted(exteriors, key=_ring_area)]
        for hole in holes:
            point = _inner_point(hole)
            for polygon in polygons:  # smallest exterior first
                if _contains(polygon[0], point):
                    polygon.append(hole)
                    break
        return polygons

    def geojson(self, features: list[tuple[dict, Polygons]]) -> dict:
        """A FeatureCollection of MultiPolygons, with the licence and attribution of the
        outlines in its ``metadata`` member."""
        return {
            "type": "FeatureCollection",
            "metadata": {
                "source": self.manifest.get("source"),
                "licence": self.manifest.get("licence"),
                "licence_url": self.manifest.get("licence_url"),
                "attribution": self.manifest.get("attribution"),
            },
            "features": [
                {
                    "type": "Feature",
                    "properties": properties,
                    "geometry": {
                        "type": "MultiPolygon",
                        "coordinates": [
                            [[[round(x, 5), round(y, 5)] for x, y in ring] for ring in polygon]
                            for polygon in polygons
                        ],
                    },
                }
                for properties, polygons in features
            ],
        }


def _split_pinches(ring: Ring) -> list[Ring]:
    """A stitched ring that passes twice through a node (where four outline arcs meet:
    two parts touching at a point, or a hole touching the shell) as simple rings, each
    keeping its direction: a ring through the same point twice is not a valid ring."""
    rings: list[Ring] = []
    path: Ring = []
    seen: dict[Point, int] = {}
    for point in ring[:-1]:
        if point in seen:
            start = seen[point]
            loop = [*path[start:], point]
            for dropped in path[start + 1 :]:
                del seen[dropped]
            del path[start + 1 :]
            if len(loop) >= 4:
                rings.append(loop)
            continue
        seen[point] = len(path)
        path.append(point)
    if len(path) >= 3:
        rings.append([*path, path[0]])
    return rings
