"""GeoPackage uploads: layer choice, declared CRS, areas, and truncated or foreign files."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from geo.errors import InvalidParameter
from geo.planning.imports import parse_upload
from tests.conftest import X0, Y0
from tests.geo.imports.samples import gpkg_bytes, ll

UTM = "EPSG:32629"


def parse(data: bytes, quartiers, **kw):
    return parse_upload(data, "sites.gpkg", quartiers=quartiers, **kw)


def utm_points(names, kinds, offsets, **columns) -> gpd.GeoDataFrame:
    geometry = [None if o is None else Point(X0 + o[0], Y0 + o[1]) for o in offsets]
    return gpd.GeoDataFrame({"name": names, "kind": kinds, **columns}, geometry=geometry, crs=UTM)


def test_points_in_a_projected_crs_are_reprojected(tmp_path, quartiers):
    frame = utm_points(["A", "B"], ["school", "Pharmacie"], [(500, 500), (1500, 500)], deviceid=["x", "y"])
    parsed = parse(gpkg_bytes(tmp_path, {"sites": frame}), quartiers)
    assert parsed.format == "gpkg" and parsed.source_crs == "EPSG:32629" and parsed.errors == []
    assert [r["line"] for r in parsed.rows] == ["feature 1", "feature 2"]
    assert parsed.rows[0]["lonlat"] == pytest.approx(list(ll(500, 500)), abs=1e-7)
    assert parsed.rows[1]["fields"]["kind"] == "pharmacy"
    assert parsed.ignored_columns == ["deviceid"]


def test_the_first_point_layer_is_read_unless_one_is_named(tmp_path, quartiers):
    areas = gpd.GeoDataFrame(
        {"name": ["Terrain"], "kind": ["sports_ground"]},
        geometry=[box(X0 + 100, Y0 + 100, X0 + 300, Y0 + 300)],
        crs=UTM,
    )
    points = utm_points(["A"], ["school"], [(500, 500)])
    data = gpkg_bytes(tmp_path, {"terrains": areas, "points": points})
    assert [r["fields"]["name"] for r in parse(data, quartiers).rows] == ["A"]
    named = parse(data, quartiers, layer="terrains")
    assert named.rows[0]["lonlat"] == pytest.approx(list(ll(200, 200)), abs=1e-7)  # the centroid, in metres
    with pytest.raises(InvalidParameter) as info:
        parse(data, quartiers, layer="nope")
    assert info.value.code == "unknown_layer" and "terrains" in info.value.message


def test_errors_name_the_feature_id(tmp_path, quartiers):
    frame = utm_points(["A", "", "C"], ["school", "school", "zzz"], [(500, 500), (600, 600), None])
    parsed = parse(gpkg_bytes(tmp_path, {"sites": frame}), quartiers)
    assert [(e.line, e.problem_code) for e in parsed.errors] == [
        ("feature 2", "missing_name"),
        ("feature 3", "unknown_kind"),
        ("feature 3", "missing_coordinates"),
    ]


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_without_a_declared_crs_projected_coordinates_are_row_errors(tmp_path, quartiers):
    frame = utm_points(["A"], ["school"], [(500, 500)]).set_crs(None, allow_override=True)
    data = gpkg_bytes(tmp_path, {"sites": frame})
    parsed = parse(data, quartiers)
    assert [e.problem_code for e in parsed.errors] == ["projected_without_crs"] and parsed.source_crs is None
    assumed = parse(data, quartiers, crs=UTM)
    assert assumed.errors == [] and assumed.rows[0]["lonlat"] == pytest.approx(list(ll(500, 500)), abs=1e-7)


@pytest.mark.parametrize("fraction", [0.05, 0.3, 0.6, 0.9])
def test_a_truncated_geopackage_is_a_clear_error(tmp_path, quartiers, fraction):
    frame = utm_points([f"S{i}" for i in range(300)], ["school"] * 300, [(i, 500) for i in range(300)])
    data = gpkg_bytes(tmp_path, {"sites": frame})
    try:
        parsed = parse(data[: int(len(data) * fraction)], quartiers)
    except InvalidParameter as exc:
        assert exc.code in ("unreadable_geopackage", "empty_file") and "sites.gpkg" in exc.message
    else:  # SQLite may still read a file cut after its last used page: then nothing is lost
        assert len(parsed.rows) == 300


@pytest.mark.parametrize("data", [b"PK\x03\x04 a zip file", b"SQLite format 3\x00" + b"\x00" * 50, b"\x00" * 4096])
def test_foreign_files_are_refused(quartiers, data):
    with pytest.raises(InvalidParameter) as info:
        parse(data, quartiers)
    assert info.value.code == "unreadable_geopackage"


def test_empty_geopackage_file(quartiers):
    with pytest.raises(InvalidParameter) as info:
        parse(b"", quartiers)
    assert info.value.code == "empty_file"
