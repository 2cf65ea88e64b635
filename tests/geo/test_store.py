"""The store: atomic writes, metadata, clear errors on missing or foreign files."""

from __future__ import annotations

import pyogrio
import pytest

from geo.errors import StoreError
from geo.store import open_store, read_meta, write_store
from tests.conftest import tiny_layers


def test_write_then_open_round_trips_layers_and_meta(tmp_path):
    path = write_store(tmp_path / "atlas.gpkg", tiny_layers(), {"build_id": "b1", "counts": {"x": 1}})
    atlas = open_store(path)
    assert atlas.version == "b1"
    assert atlas.meta["counts"] == {"x": 1}
    assert len(atlas["quartiers"]) == 3 and len(atlas["facilities"]) == 5
    assert atlas["facilities"]["in_analysis"].dtype == bool
    assert atlas["facilities"].crs.to_epsg() == 4326


def test_failed_build_leaves_previous_store_intact(tmp_path, monkeypatch):
    path = write_store(tmp_path / "atlas.gpkg", tiny_layers(), {"build_id": "old"})
    before = path.read_bytes()
    real_write = pyogrio.write_dataframe

    def crash_on_third_layer(frame, target, layer, **kw):
        if layer == "facilities":
            raise OSError("disk full (simulated)")
        return real_write(frame, target, layer=layer, **kw)

    monkeypatch.setattr(pyogrio, "write_dataframe", crash_on_third_layer)
    with pytest.raises(OSError, match="simulated"):
        write_store(path, tiny_layers(), {"build_id": "new"})
    assert path.read_bytes() == before
    assert open_store(path).version == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["atlas.gpkg"]


def test_missing_store_says_how_to_build_it(tmp_path):
    with pytest.raises(StoreError, match="bamako-atlas data build"):
        read_meta(tmp_path / "nope.gpkg")


def test_foreign_file_is_reported_not_crashed(tmp_path):
    path = tmp_path / "atlas.gpkg"
    path.write_bytes(b"not a geopackage at all" * 100)
    with pytest.raises(StoreError, match="not a readable atlas store"):
        read_meta(path)


def test_plain_tables_round_trip(tmp_path):
    import pandas as pd

    from geo.store import read_table

    report = pd.DataFrame({"status": ["matched", "sheet_only"], "sheet_id": ["dnacpn-01", "dnacpn-02"]})
    path = write_store(
        tmp_path / "atlas.gpkg", tiny_layers(), {"build_id": "b"}, tables={"cscom_reconciliation": report}
    )
    assert read_table(path, "cscom_reconciliation").to_dict("list") == report.to_dict("list")
    with pytest.raises(StoreError, match="no table"):
        read_table(path, "nope")


def test_gdal_config_is_restored_after_the_block_even_on_error():
    from geo.store import gdal_config

    key = "OGR_SQLITE_CACHE"
    before = pyogrio.get_gdal_config_option(key)
    with gdal_config(**{key: "7"}):
        assert pyogrio.get_gdal_config_option(key) == 7
    assert pyogrio.get_gdal_config_option(key) == before
    with pytest.raises(RuntimeError), gdal_config(**{key: "9"}):
        raise RuntimeError("inside")
    assert pyogrio.get_gdal_config_option(key) == before


def test_write_store_leaves_sqlite_synchronous_as_it_was(tmp_path):
    write_store(tmp_path / "atlas.gpkg", tiny_layers(), {"build_id": "b"})
    assert pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS") is None
