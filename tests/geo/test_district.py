"""The District outline: built once into the store from the pinned outline, read from there."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import box

from geo.errors import DataError
from geo.spatial.district import district_layer, district_outline
from geo.store import open_store, write_store
from geo.vocabulary import DISTRICT_COLUMNS, DISTRICT_PCODE, LAYERS, METRIC_CRS, STORE_CRS
from tests.conftest import X0, Y0, tiny_layers


def _outline(*bounds: float) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[box(*bounds)], crs=METRIC_CRS).to_crs(STORE_CRS)


def test_district_layer_is_the_pinned_outline_checked_against_the_communes():
    communes = tiny_layers()["communes"]
    layer = district_layer(_outline(X0, Y0, X0 + 3000, Y0 + 1000), communes)
    assert list(layer.columns) == [*DISTRICT_COLUMNS, "geometry"] and str(layer.crs) == STORE_CRS
    assert layer["pcode"].item() == DISTRICT_PCODE and layer["area_km2"].item() == pytest.approx(3.0, abs=1e-3)


def test_an_outline_that_differs_from_the_communes_is_refused_naming_the_source():
    communes = tiny_layers()["communes"]
    with pytest.raises(DataError, match=r"Bamako_boundary.gpkg: .* differ by 1\.000 km²"):
        district_layer(_outline(X0, Y0, X0 + 4000, Y0 + 1000), communes, source="Bamako_boundary.gpkg")


def test_readers_take_the_stored_outline_and_fall_back_to_the_quartiers():
    layers = tiny_layers()
    stored = gpd.GeoDataFrame(layers["district"], crs=STORE_CRS)
    stored["geometry"] = _outline(X0, Y0, X0 + 2999, Y0 + 1000).geometry.to_numpy()  # tell the two apart
    metric = gpd.GeoSeries([district_outline({**layers, "district": stored})], crs=STORE_CRS).to_crs(METRIC_CRS)
    assert metric.area.item() == pytest.approx(2_999_000, rel=1e-6)
    without = {k: v for k, v in layers.items() if k != "district"}
    fallback = gpd.GeoSeries([district_outline(without)], crs=STORE_CRS).to_crs(METRIC_CRS)
    assert fallback.area.item() == pytest.approx(3_000_000, rel=1e-6)


def test_the_store_keeps_the_district_unpublished_and_opens_stores_without_it(tmp_path):
    meta = {"build_id": "b"}
    atlas = open_store(write_store(tmp_path / "with.gpkg", tiny_layers(), meta))
    assert "district" in atlas.layers and "district" not in LAYERS
    older = {k: v for k, v in tiny_layers().items() if k != "district"}
    assert set(open_store(write_store(tmp_path / "older.gpkg", older, meta)).layers) == set(LAYERS)
