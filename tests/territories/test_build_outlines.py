"""The build step of the commune outlines (build_outlines), on small hand-made coverages."""

import json
import math

import pytest
import shapely
from django.core.management import CommandError, call_command

from territories import outlines_build as ob
from territories.outlines import Outlines


def wkbs(**polygons) -> dict[str, bytes]:
    return {code: shapely.to_wkb(polygon) for code, polygon in polygons.items()}


def decoded(result) -> Outlines:
    return Outlines(json.loads(result.topojson), {}, "00")


def area(outlines, code) -> float:
    return sum(shapely.Polygon(rings[0], rings[1:]).area for rings in outlines.polygons(code))


def test_neighbours_share_one_arc_and_an_enclave_is_a_hole():
    source = wkbs(
        A=shapely.Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (2, 1), (2, 2), (1, 2)]]),
        B=shapely.box(4, 0, 8, 4),
        C=shapely.box(1, 1, 2, 2),
    )
    simplified, filled = ob.simplify(source, tolerance=0)
    result = ob.encode(simplified, set(source), quantization=9)  # a grid step of 1
    topology = json.loads(result.topojson)
    assert filled == []
    # A|B border, A's rest, B's rest, and C's ring (A's hole): four arcs, each once.
    assert result.arc_count == 4
    assert {g["id"] for g in topology["objects"]["communes"]["geometries"]} == {"A", "B", "C"}
    outlines = decoded(result)
    assert math.isclose(area(outlines, "A"), 15, rel_tol=1e-6)
    assert math.isclose(area(outlines, "C"), 1, rel_tol=1e-6)
    [[outer]] = outlines.merged({"A", "B", "C"})
    assert math.isclose(shapely.Polygon(outer).area, 32, rel_tol=1e-6)


def test_a_hole_in_the_source_goes_to_the_neighbouring_commune_nouvelle():
    # N (a commune nouvelle with its chef-lieu's outline only) and O around a missing square.
    source = wkbs(
        N=shapely.Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)]),
        O=shapely.Polygon([(2, 0), (4, 0), (4, 4), (0, 4), (0, 2), (2, 2)]),
    )
    simplified, filled = ob.simplify(source, tolerance=0, communes_nouvelles={"N"})
    assert filled == [{"commune": "N", "area_deg2": 1.0}]
    assert math.isclose(simplified["N"].area, 4)
    union = shapely.union_all(list(simplified.values()))
    assert list(union.interiors) == []


def test_a_wheel_with_another_checksum_is_refused(tmp_path):
    fake = tmp_path / ob.WHEEL_FILE
    fake.write_bytes(b"not the pinned wheel")
    with pytest.raises(CommandError, match="Empreinte SHA-256 inattendue"):
        call_command("build_outlines", "--wheel", str(fake), "--output-dir", str(tmp_path))
    assert not list(tmp_path.glob("*.topojson"))


def test_a_foreign_enclave_stays_a_hole():
    x, y = ob.FOREIGN_ENCLAVES["Llívia (Espagne)"]
    around = shapely.box(x - 0.1, y - 0.1, x + 0.1, y + 0.1)
    enclave = shapely.box(x - 0.02, y - 0.02, x + 0.02, y + 0.02)
    source = wkbs(P=around.difference(enclave), Q=shapely.box(x + 0.1, y - 0.1, x + 0.3, y + 0.1))
    simplified, filled = ob.simplify(source, tolerance=0, communes_nouvelles={"P"})
    assert filled == []
    assert len(simplified["P"].interiors) == 1
