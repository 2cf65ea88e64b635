"""Compact encodings: topology, points, ids, text tables (exact round trips)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, Point, Polygon, box

from geo.errors import DataError, InvalidParameter
from geo.publication import codec


def same(a, b) -> bool:
    return a.normalize().equals_exact(b.normalize(), 1e-9)


LEFT = box(-8.0, 12.6, -7.99, 12.61)
RIGHT = box(-7.99, 12.6, -7.98, 12.61)


def test_shared_edge_is_stored_once_and_both_squares_decode_exactly():
    topo = codec.encode_topology([[LEFT, RIGHT]])
    # left outline, right outline and the shared edge: 3 arcs, the shared one used both ways
    assert len(topo["arcs"]) == 3
    refs = [r for shape in topo["layers"][0] for poly in shape for ring in poly for r in ring]
    assert any(r < 0 for r in refs)
    left, right = codec.decode_topology(topo)[0]
    assert same(left, LEFT) and same(right, RIGHT)


def test_union_layer_reuses_the_cells_arcs():
    union = LEFT.union(RIGHT)
    topo = codec.encode_topology([[LEFT, RIGHT], [union]])
    assert len(topo["arcs"]) == 3  # the union's outline is made of the two outer arcs
    assert same(codec.decode_topology(topo)[1][0], union)


def test_holes_multipolygons_and_empty_shapes_round_trip():
    ring = box(0, 0, 0.003, 0.003).difference(box(0.001, 0.001, 0.002, 0.002))
    multi = MultiPolygon([box(0.01, 0, 0.011, 0.001), box(0.02, 0, 0.021, 0.001)])
    decoded = codec.decode_topology(codec.encode_topology([[ring, multi, Polygon()]]))[0]
    assert same(decoded[0], ring) and len(decoded[0].interiors) == 1
    assert same(decoded[1], multi)
    assert decoded[2] is None


def test_identical_rings_without_junctions_share_one_arc_either_way():
    square = box(0, 0, 0.001, 0.001)
    reversed_square = Polygon(list(square.exterior.coords)[::-1])
    topo = codec.encode_topology([[square], [reversed_square]])
    assert len(topo["arcs"]) == 1
    assert same(codec.decode_topology(topo)[1][0], square)


def test_coordinates_are_lat_lon_integers_and_json_ready():
    topo = codec.encode_topology([[LEFT]], decimals=5)
    first = topo["arcs"][0][:2]
    assert first in ([1260000, -800000], [1261000, -800000], [1260000, -799000], [1261000, -799000])
    json.dumps(topo, allow_nan=False)


def test_non_polygons_and_bad_decimals_are_refused():
    with pytest.raises(DataError, match="expected polygons"):
        codec.encode_topology([[Point(0, 0)]])
    with pytest.raises(InvalidParameter, match="decimals"):
        codec.encode_topology([[LEFT]], decimals=9)


def test_points_round_trip_to_the_decimals_kept():
    pts = [Point(-7.987654321, 12.634567891), Point(-8.0, 12.6), Point(-7.98766, 12.63457)]
    encoded = codec.encode_points(pts)
    decoded = codec.decode_points(encoded)
    assert [(round(p.x, 5), round(p.y, 5)) for p in decoded] == [
        (-7.98765, 12.63457),
        (-8.0, 12.6),
        (-7.98766, 12.63457),
    ]
    assert encoded[:2] == [1263457, -798765]  # (lat, lon) × 10⁵, then deltas from the previous point
    assert encoded[2:] == [-3457, -1235, 3457, 1234]
    assert codec.encode_points([]) == []
    with pytest.raises(DataError, match="missing or empty"):
        codec.encode_points([Point(0, 0), None])


def test_ids_shrink_to_steps_and_decode_back():
    ids = [
        "dnacpn-01",
        "dnacpn-02",
        "educ-0001",
        "educ-0002",
        "educ-0005",
        "educ-1000",
        "lieu-stade",
        "sante-9",
        "sante-10",
    ]
    encoded = codec.encode_ids(ids)
    assert encoded == ["dnacpn-01", 1, "educ-0001", 1, 3, 995, "lieu-stade", "sante-9", "sante-10"]
    assert codec.decode_ids(encoded) == ids


def test_text_tables_and_joined_texts():
    table, codes = codec.code_table(pd.Series(["b", "a", None, "b"]), missing="?")
    assert table == ["b", "a", "?"] and codes == [0, 1, 2, 0]
    assert codec.join_texts(["Faladjè", "two\nlines", None, np.nan, "<b>x</b>"]) == "Faladjè\ntwo lines\n\n\n<b>x</b>"
