"""GeoJSON uploads: RFC 7946 points and shapes, the legacy ``crs`` member, malformed documents."""

from __future__ import annotations

import json

import pytest

from geo.errors import InvalidParameter
from geo.planning.imports import parse_upload
from tests.conftest import X0, Y0
from tests.geo.imports.samples import geojson_bytes, ll, point_feature

LON, LAT = ll(500, 500)


def parse(data: bytes, quartiers, **kw):
    return parse_upload(data, "sites.geojson", quartiers=quartiers, **kw)


def codes(parsed) -> list[tuple[str, str, str]]:
    return [(e.line, e.field, e.problem_code) for e in parsed.errors]


def test_points_and_properties(quartiers):
    data = geojson_bytes([point_feature(LON, LAT, name="CSCOM A", kind="cscom", beds=4, deviceid="356938035643809")])
    parsed = parse(data, quartiers)
    assert parsed.format == "geojson" and parsed.errors == [] and parsed.source_crs is None
    row = parsed.rows[0]
    assert row["line"] == "feature 1" and row["lonlat"] == pytest.approx([LON, LAT], abs=1e-7)
    assert row["fields"]["beds"] == 4 and row["fields"]["source_refs"] == "import:sites.geojson:feature 1"
    assert parsed.ignored_columns == ["deviceid"] and "356938035643809" not in json.dumps(parsed.to_dict())


def test_a_single_feature_document_is_accepted(quartiers):
    data = json.dumps(point_feature(LON, LAT, name="A", kind="school")).encode()
    assert len(parse(data, quartiers).rows) == 1


def test_polygons_are_imported_at_their_centroid(quartiers):
    corners = [ll(100, 100), ll(300, 100), ll(300, 300), ll(100, 300), ll(100, 100)]
    feature = {
        "type": "Feature",
        "properties": {"name": "Terrain", "kind": "sports_ground"},
        "geometry": {"type": "Polygon", "coordinates": [[list(c) for c in corners]]},
    }
    parsed = parse(geojson_bytes([feature]), quartiers)
    assert parsed.rows[0]["lonlat"] == pytest.approx(list(ll(200, 200)), abs=1e-6)


@pytest.mark.parametrize(
    "crs",
    [
        {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32629"}},
        {"type": "name", "properties": {"name": "EPSG:32629"}},
        {"type": "EPSG", "properties": {"code": 32629}},
    ],
)
def test_a_declared_projected_crs_is_reprojected(quartiers, crs):
    data = geojson_bytes([point_feature(X0 + 500, Y0 + 500, name="A", kind="school")], crs=crs)
    parsed = parse(data, quartiers)
    assert parsed.errors == [] and parsed.source_crs == "EPSG:32629"
    assert parsed.rows[0]["lonlat"] == pytest.approx([LON, LAT], abs=1e-7)


def test_a_declared_crs84_changes_nothing(quartiers):
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    parsed = parse(geojson_bytes([point_feature(LON, LAT, name="A", kind="school")], crs=crs), quartiers)
    assert parsed.rows[0]["lonlat"] == pytest.approx([LON, LAT], abs=1e-7)  # stored to 7 decimals (1 cm)


def test_projected_coordinates_without_declaration_are_a_row_error(quartiers):
    parsed = parse(geojson_bytes([point_feature(X0 + 500, Y0 + 500, name="A", kind="school")]), quartiers)
    assert codes(parsed) == [("feature 1", "coordinates", "projected_without_crs")]
    assert "declares no CRS" in parsed.errors[0].message


def test_row_errors_name_the_feature(quartiers):
    features = [
        point_feature(LON, LAT, name="ok", kind="school"),
        point_feature(LAT, LON, name="swapped", kind="school"),
        point_feature(-8.0, 14.0, name="far", kind="school"),
        point_feature(LON, LAT, name="", kind="school"),
        point_feature(LON, LAT, name="A", kind="boulangerie"),
        {"type": "Feature", "properties": {"name": "A", "kind": "school"}, "geometry": None},
        {"type": "Feature", "properties": {"name": "Q", "kind": "school", "quartier": "Dar Salam"}, "geometry": None},
        {"type": "Feature", "properties": {"name": "B", "kind": "school"}, "geometry": {"type": "Point"}},
        {
            "type": "Feature",
            "properties": {"name": "C", "kind": "school"},
            "geometry": {"type": "Point", "coordinates": ["a", "b"]},
        },
        ["not", "a", "feature"],
        {"type": "Feature", "properties": None, "geometry": None},
    ]
    parsed = parse(geojson_bytes(features), quartiers)
    assert codes(parsed) == [
        ("feature 2", "coordinates", "swapped_coordinates"),
        ("feature 3", "coordinates", "outside_district"),
        ("feature 4", "name", "missing_name"),
        ("feature 5", "kind", "unknown_kind"),
        ("feature 6", "coordinates", "missing_coordinates"),
        ("feature 8", "coordinates", "unparseable_coordinates"),
        ("feature 9", "coordinates", "unparseable_coordinates"),
        ("feature 10", "feature", "invalid_feature"),
        ("feature 11", "name", "missing_name"),
        ("feature 11", "kind", "unknown_kind"),
        ("feature 11", "coordinates", "missing_coordinates"),
    ]
    assert [r["line"] for r in parsed.rows] == ["feature 1", "feature 7"]
    assert parsed.rows[1]["quartier_pcode"] == "ML090102001"


def test_without_geometries_lat_lon_properties_are_used(quartiers):
    feature = {
        "type": "Feature",
        "properties": {"name": "A", "kind": "school", "lat": LAT, "lon": LON},
        "geometry": None,
    }
    parsed = parse(geojson_bytes([feature]), quartiers)
    assert parsed.rows[0]["lonlat"] == pytest.approx([LON, LAT], abs=1e-7)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b'{"type": "FeatureCollection", "features": [', "invalid_json"),
        (b"not json at all", "invalid_json"),
        (b"[1, 2, 3]", "invalid_geojson"),
        (b'{"type": "Point", "coordinates": [1, 2]}', "invalid_geojson"),
        (b'{"type": "FeatureCollection", "features": {}}', "invalid_geojson"),
        ('{"type": "FeatureCollection", "name": "é", "features": []}'.encode("latin-1"), "bad_encoding"),
        (
            b'{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:0"}}, "features": []}',
            "unknown_crs",
        ),
        (b'{"type": "FeatureCollection", "crs": "EPSG:32629", "features": []}', "unknown_crs"),
    ],
)
def test_malformed_documents_are_clear_errors(quartiers, data, code):
    with pytest.raises(InvalidParameter) as info:
        parse(data, quartiers)
    assert info.value.parameter == "file" and info.value.code == code and "sites.geojson" in info.value.message


def test_invalid_json_names_line_and_column(quartiers):
    with pytest.raises(InvalidParameter) as info:
        parse(b'{"type": "FeatureCollection",\n "features": [}', quartiers)
    assert "line 2" in info.value.message and "column" in info.value.message


def test_empty_collection(quartiers):
    parsed = parse(geojson_bytes([]), quartiers)
    assert parsed.rows == [] and parsed.errors == [] and parsed.total == 0
