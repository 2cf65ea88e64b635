"""OGC API – Features building blocks: collections, query parsing, paging, GeoJSON."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point, Polygon

from geo.errors import FeatureNotFound, InvalidParameter, LayerNotFound
from geo.publication import ogc as features
from geo.publication import ogc_schema
from geo.vocabulary import KINDS
from tests.conftest import tiny_layers


@pytest.fixture(scope="module")
def layers():
    return tiny_layers()


@pytest.fixture(scope="module")
def colls(layers):
    return features.collections(layers)


def test_collections_are_the_layers_then_the_kinds_present_in_vocabulary_order(colls):
    assert list(colls) == [
        "communes",
        "quartiers",
        "facilities",
        "qa_findings",
        "cscom",
        "pharmacy",
        "claec",
        "school",
        "stadium",
    ]
    assert list(colls)[4:] == [k for k in KINDS if k in colls]
    assert not any("." in cid for cid in colls)
    cscom = colls["cscom"]
    assert (cscom.layer, cscom.kind, cscom.id_column) == ("facilities", "cscom", "id")
    assert cscom.title("fr") == KINDS["cscom"].label_fr and cscom.title("en") == KINDS["cscom"].label_en
    assert colls["qa_findings"].id_column is None
    assert colls["communes"].description("en") != colls["communes"].description("fr")


def test_unknown_collection_lists_the_available_ones(colls):
    with pytest.raises(LayerNotFound, match="available: communes, quartiers"):
        features.get_collection(colls, "csref")


def test_collection_frame_keeps_one_kind_and_the_bbox(layers, colls):
    assert features.collection_frame(layers, colls["school"])["id"].tolist() == ["educ-0001"]
    west = features.collection_frame(layers, colls["facilities"], bbox=(-8.08, 12.6, -8.07, 12.7))
    assert sorted(west["id"]) == ["dnacpn-01", "sante-0001"]


def test_spatial_extent_contains_every_feature(layers):
    x0, y0, x1, y1 = features.spatial_extent(layers["quartiers"])
    bx0, by0, bx1, by1 = layers["quartiers"].total_bounds
    assert x0 <= bx0 and y0 <= by0 and x1 >= bx1 and y1 >= by1
    assert x1 - bx1 < 1e-6 and bx0 - x0 < 1e-6
    assert features.spatial_extent(layers["quartiers"].iloc[:0]) is None


def test_queryables_type_every_property(layers):
    types = features.queryables(layers["quartiers"])
    assert types["pcode"] == "string"
    assert types["area_km2"] == "number"
    assert types["pop_estimate"] == "integer"
    assert "geometry" not in types
    assert features.queryables(layers["facilities"])["in_analysis"] == "boolean"


@pytest.mark.parametrize(
    ("text", "expected"), [(None, features.DEFAULT_LIMIT), ("", features.DEFAULT_LIMIT), ("1", 1), ("250", 250)]
)
def test_parse_limit(text, expected):
    assert features.parse_limit(text) == expected


def test_limit_above_the_maximum_is_capped_not_refused():
    assert features.parse_limit("999999") == features.MAX_LIMIT
    assert features.parse_limit("50", maximum=20) == 20


@pytest.mark.parametrize("text", ["0", "-3", "ten", "1.5"])
def test_bad_limit_names_the_parameter_and_the_form(text):
    with pytest.raises(InvalidParameter) as err:
        features.parse_limit(text)
    assert err.value.parameter == "limit"
    assert "limit=100" in err.value.message


@pytest.mark.parametrize("text", ["-1", "x", "2.0"])
def test_bad_offset(text):
    with pytest.raises(InvalidParameter) as err:
        features.parse_offset(text)
    assert err.value.parameter == "offset"


def test_parse_bbox_accepts_4_or_6_numbers():
    assert features.parse_bbox("-8.1,12.6,-7.9,12.7") == (-8.1, 12.6, -7.9, 12.7)
    assert features.parse_bbox("-8.1,12.6,0,-7.9,12.7,100") == (-8.1, 12.6, -7.9, 12.7)
    assert features.parse_bbox(None) is None
    for bad in ("1,2,3", "a,b,c,d", "-7.9,12.6,-8.1,12.7"):
        with pytest.raises(InvalidParameter, match="bbox"):
            features.parse_bbox(bad)


def test_items_query_types_the_property_filters(layers):
    types = features.queryables(layers["facilities"])
    query = features.parse_items_query(
        {
            "kind": "school",
            "in_analysis": "true",
            "limit": "2",
            "offset": "4",
            "f": "json",
            "datetime": "2020-01-01T00:00:00Z",
        },
        types,
    )
    assert query.filters == (("kind", "school"), ("in_analysis", True))
    assert (query.limit, query.offset, query.bbox) == (2, 4, None)
    quartier_types = features.queryables(layers["quartiers"])
    assert features.parse_items_query({"pop_estimate": "6000"}, quartier_types).filters == (("pop_estimate", 6000.0),)


def test_unknown_parameter_lists_the_queryables(layers):
    with pytest.raises(InvalidParameter) as err:
        features.parse_items_query({"colour": "red"}, features.queryables(layers["communes"]))
    assert err.value.parameter == "colour"
    assert "pcode, name, area_km2" in err.value.message and "limit" in err.value.message


@pytest.mark.parametrize(
    ("name", "value", "types"), [("pop_estimate", "many", "quartiers"), ("in_analysis", "yes", "facilities")]
)
def test_badly_typed_filter_value(layers, name, value, types):
    with pytest.raises(InvalidParameter) as err:
        features.parse_items_query({name: value}, features.queryables(layers[types]))
    assert err.value.parameter == name


def test_only_crs84_is_served(layers):
    types = features.queryables(layers["communes"])
    assert features.parse_items_query({"crs": features.CRS84, "bbox-crs": features.CRS84}, types).filters == ()
    with pytest.raises(InvalidParameter, match="CRS84") as err:
        features.parse_items_query({"crs": "http://www.opengis.net/def/crs/EPSG/0/32629"}, types)
    assert err.value.parameter == "crs"


def test_filter_mask_matches_by_type_and_never_matches_missing_values():
    frame = gpd.GeoDataFrame(
        {"name": ["a", None, "b"], "beds": [2.0, np.nan, 3.0], "ok": [True, False, True]},
        geometry=[Point(0, 0)] * 3,
    )
    assert features.filter_mask(frame, (("name", "a"),)).tolist() == [True, False, False]
    assert features.filter_mask(frame, (("beds", 3.0),)).tolist() == [False, False, True]
    assert features.filter_mask(frame, (("ok", True), ("beds", 2.0))).tolist() == [True, False, False]
    assert features.filter_mask(frame, ()).tolist() == [True, True, True]


def test_pages_walk_the_matches_in_layer_order(layers, colls):
    coll = colls["facilities"]
    first = features.select_page(layers, coll, features.ItemsQuery(limit=2))
    assert (first.number_matched, first.number_returned, first.next_offset, first.prev_offset) == (5, 2, 2, None)
    assert first.rows.tolist() == [0, 1]
    last = features.select_page(layers, coll, features.ItemsQuery(limit=2, offset=4))
    assert (last.rows.tolist(), last.next_offset, last.prev_offset) == ([4], None, 2)
    past = features.select_page(layers, coll, features.ItemsQuery(limit=2, offset=9))
    assert (past.number_returned, past.number_matched, past.next_offset) == (0, 5, None)


def test_pages_of_a_kind_collection_give_rows_of_the_layer(layers, colls):
    query = features.ItemsQuery(filters=(("commune_pcode", "ML090102"),))
    page = features.select_page(layers, colls["stadium"], query)
    assert page.rows.tolist() == [4]
    assert features.select_page(layers, colls["school"], query).number_matched == 0


def test_geojson_features_follow_rfc7946(layers, colls):
    fac = features.geojson_features(layers["facilities"], colls["facilities"])
    assert [f["id"] for f in fac] == layers["facilities"]["id"].tolist()
    first = fac[0]
    assert first["type"] == "Feature" and first["geometry"]["type"] == "Point"
    lon, lat = first["geometry"]["coordinates"]
    point = layers["facilities"].geometry.iloc[0]
    assert abs(lon - point.x) <= 5e-7 and abs(lat - point.y) <= 5e-7
    assert round(lon, 6) == lon
    assert first["properties"]["beds"] is None and first["properties"]["in_analysis"] is True
    assert fac[1]["properties"]["name"] == "Pharmacie <b>Kanu</b>"
    json.dumps(fac, allow_nan=False)  # JSON-safe: no NaN, no numpy scalars


def test_polygon_exterior_rings_are_counter_clockwise(layers, colls):
    clockwise = shapely.orient_polygons(layers["quartiers"].geometry.to_numpy(), exterior_cw=True)
    frame = layers["quartiers"].set_geometry(gpd.GeoSeries(clockwise, crs=layers["quartiers"].crs))
    ring = features.geojson_features(frame, colls["quartiers"])[0]["geometry"]["coordinates"][0]
    assert Polygon(ring).exterior.is_ccw
    assert features.geojson_features(frame, colls["quartiers"])[0]["id"] == "ML090101001"


def test_rows_without_id_column_are_numbered_and_missing_geometry_is_null(layers, colls):
    qa = layers["qa_findings"].copy()
    qa.loc[len(qa)] = qa.iloc[0]
    qa.geometry = [qa.geometry.iloc[0], None]
    out = features.geojson_features(qa, colls["qa_findings"])
    assert [f["id"] for f in out] == [1, 2]
    assert out[1]["geometry"] is None


def test_find_row_respects_the_kind_of_the_collection(layers, colls):
    assert features.find_row(layers["facilities"], colls["facilities"], "sante-0001") == 1
    assert features.find_row(layers["facilities"], colls["pharmacy"], "sante-0001") == 1
    with pytest.raises(FeatureNotFound, match="sante-0001"):
        features.find_row(layers["facilities"], colls["cscom"], "sante-0001")
    assert features.find_row(layers["qa_findings"], colls["qa_findings"], "1") == 0
    with pytest.raises(FeatureNotFound):
        features.find_row(layers["qa_findings"], colls["qa_findings"], "2")


def test_schemas(layers):
    types = features.queryables(layers["communes"])
    flat = ogc_schema.queryables_schema(types, layer="communes", schema_id="u", title="t", lang="fr")
    assert flat["type"] == "object" and flat["additionalProperties"] is False
    assert flat["properties"]["area_km2"]["type"] == "number"
    assert flat["properties"]["area_km2"]["title"] == "Superficie (km²)"
    assert "geometry" not in flat["properties"]
    part5 = ogc_schema.feature_schema(
        types, layer="communes", schema_id="u", title="t", description="d", lang="en", id_column="pcode",
        geometry_types=frozenset({"Polygon"}),
    )  # fmt: skip
    assert part5["properties"]["pcode"]["x-ogc-role"] == "id" and part5["properties"]["pcode"]["readOnly"] is True
    assert (
        part5["properties"]["area_km2"]["title"] == "Area (km²)"
        and part5["properties"]["area_km2"]["x-ogc-unit"] == "km2"
    )
    geometry = part5["properties"]["geometry"]
    assert geometry["format"] == "geometry-polygon" and geometry["x-ogc-role"] == "primary-geometry"
    assert "type" not in geometry
    assert [p["x-ogc-propertySeq"] for p in part5["properties"].values()] == list(range(1, len(types) + 2))
    feature = ogc_schema.geojson_feature_schema(types, schema_id="u", title="t")
    assert feature["properties"]["properties"]["properties"]["pop_2009"] == {"type": "integer"}


def test_a_layer_numbered_from_one_declares_its_number_as_the_id(layers):
    types = features.queryables(layers["qa_findings"], "qa_findings")
    schema = ogc_schema.feature_schema(
        types, layer="qa_findings", schema_id="u", title="t", description="d", lang="fr", id_column=None,
        geometry_types=frozenset({"Point"}),
    )  # fmt: skip
    assert next(iter(schema["properties"])) == "id"
    assert schema["properties"]["id"] | {"title": "", "description": ""} == {
        "title": "", "description": "", "type": "integer", "readOnly": True, "x-ogc-role": "id", "x-ogc-propertySeq": 1
    }  # fmt: skip
    with pytest.raises(ValueError, match="'id' column"):
        ogc_schema.feature_schema(
            {"id": "string"}, layer="x", schema_id="u", title="t", description="d", lang="fr", id_column=None,
            geometry_types=frozenset({"Point"}),
        )  # fmt: skip


def test_the_kind_of_a_facility_is_its_feature_type(layers):
    types = features.queryables(layers["facilities"], "facilities")
    schema = ogc_schema.feature_schema(
        types, layer="facilities", schema_id="u", title="t", description="d", lang="fr", id_column="id",
        geometry_types=frozenset({"Point"}),
    )  # fmt: skip
    roles = {name: p["x-ogc-role"] for name, p in schema["properties"].items() if "x-ogc-role" in p}
    assert roles == {"id": "id", "kind": "type", "geometry": "primary-geometry"}
    assert schema["properties"]["geometry"]["format"] == "geometry-point"
