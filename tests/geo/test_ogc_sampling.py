"""Item order of the OGC API for clients that type fields from a first page of 10 (QGIS 3.22, GDAL < 3.9)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geo.publication import ogc
from geo.schema import conform


def facilities(n: int, *, beds_at: tuple[int, ...] = (), pupils_at: tuple[int, ...] = ()) -> gpd.GeoDataFrame:
    """Return ``n`` CSCOMs, with beds and pupils only on the given rows."""
    beds = [10 + i if i in beds_at else None for i in range(n)]
    pupils = [200 + i if i in pupils_at else None for i in range(n)]
    frame = gpd.GeoDataFrame(
        {"id": [f"f-{i:02d}" for i in range(n)], "kind": "cscom", "beds": beds, "pupils": pupils, "in_analysis": True},
        geometry=[shapely.Point(-8.0 + i / 1000, 12.6) for i in range(n)],
        crs=4326,
    )
    return conform(frame, "facilities")


def order_of(frame: gpd.GeoDataFrame) -> list[str]:
    collection = ogc.collections({"facilities": frame})["facilities"]
    types = ogc.queryables(frame, "facilities")
    return frame["id"].to_numpy()[ogc.serving_order({"facilities": frame}, collection, types)].tolist()


def test_a_count_known_only_far_down_comes_into_the_first_page():
    frame = facilities(30, beds_at=(3,), pupils_at=(25, 27))
    order = order_of(frame)
    assert sorted(order) == frame["id"].tolist()  # every feature once
    first = frame.set_index("id").loc[order[: ogc.SAMPLE_SIZE]]
    assert first["beds"].notna().any() and first["pupils"].notna().any()
    assert order[0] == "f-25"  # the first row with pupils, then layer order
    assert order[1:] == [i for i in frame["id"] if i != "f-25"]


def test_layer_order_is_kept_when_the_first_page_already_has_every_type():
    frame = facilities(30, beds_at=(0, 20), pupils_at=(9,))
    assert order_of(frame) == frame["id"].tolist()


def test_all_null_counts_are_typed_from_the_schema():
    frame = facilities(12)
    types = ogc.queryables(frame, "facilities")
    assert types["beds"] == "integer" and types["in_analysis"] == "boolean" and types["id"] == "string"
    assert order_of(frame) == frame["id"].tolist()


def test_the_page_follows_the_serving_order_within_a_filter():
    frame = facilities(30, beds_at=(3,), pupils_at=(25,))
    layers = {"facilities": frame}
    collection = ogc.collections(layers)["facilities"]
    order = ogc.serving_order(layers, collection, ogc.queryables(frame, "facilities"))
    query = ogc.parse_items_query({"limit": "3"}, ogc.queryables(frame, "facilities"))
    page = ogc.select_page(layers, collection, query, order=order)
    assert frame["id"].to_numpy()[page.rows].tolist() == ["f-25", "f-00", "f-01"] and page.number_matched == 30
    assert np.array_equal(ogc.select_page(layers, collection, query).rows, [0, 1, 2])  # without order: layer order
