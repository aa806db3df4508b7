"""A stand-in for ``territories.outlines`` (the reader of the shipped commune outlines)
built on a tiny hand-made TopoJSON: 13 communes of the Hauts-de-France as squares of
0.1°, neighbours sharing their arcs (``tests/data/outlines-tiny.topojson``). Same
interface as the real reader; ``merged`` lists the communes' polygons side by side
(the real one unites them) and ``boundary_arcs`` keeps the arcs used once — the
outline of the union, as the real one does."""

import json
from functools import cache
from pathlib import Path

TINY = Path(__file__).resolve().parent / "data" / "outlines-tiny.topojson"
MANIFEST = {
    "licence": "Licence Ouverte 2.0",
    "attribution": "IGN — ADMIN EXPRESS COG (jeu de test simplifié)",
    "source": "tests/data/outlines-tiny.topojson",
}


class OutlinesDouble:
    def __init__(self, region_code: str, path: Path = TINY):
        topology = json.loads(path.read_text())
        self.region_code = region_code
        self.manifest = dict(MANIFEST)
        self._arcs = [[tuple(p) for p in arc] for arc in topology["arcs"]]
        self._rings = {g["id"]: g["arcs"] for g in topology["objects"]["communes"]["geometries"]}
        points = [p for arc in self._arcs for p in arc]
        self.bbox = (
            min(p[0] for p in points),
            min(p[1] for p in points),
            max(p[0] for p in points),
            max(p[1] for p in points),
        )

    def _arc(self, index: int):
        return self._arcs[index] if index >= 0 else self._arcs[~index][::-1]

    def codes(self) -> set[str]:
        return set(self._rings)

    def polygons(self, code):
        rings = []
        for ring in self._rings[code]:
            points = []
            for index in ring:
                arc = self._arc(index)
                points.extend(arc if not points else arc[1:])
            rings.append(points)
        return [rings]

    def merged(self, codes):
        return [polygon for code in sorted(codes) for polygon in self.polygons(code)]

    def boundary_arcs(self, codes):
        used: dict[int, int] = {}
        for code in codes:
            for ring in self._rings[code]:
                for index in ring:
                    key = index if index >= 0 else ~index
                    used[key] = used.get(key, 0) + 1
        return [self._arcs[key] for key, count in sorted(used.items()) if count == 1]


@cache
def outlines(region_code: str | None = None):
    return OutlinesDouble(region_code or "32") if region_code in (None, "32") else None
