"""The PostGIS store backend: typed layers in one schema, swapped in atomically, read back as the GeoPackage."""

from __future__ import annotations

import json
import subprocess
import threading
import time

import pandas as pd
import psycopg
import pytest

from geo import postgis
from geo.errors import StoreError
from geo.store import PostgisStore, open_store, store_backend
from webmap.catalog import Catalog

pytestmark = pytest.mark.postgis


def _copy_to(url, gpkg) -> PostgisStore:
    """Write the layers, tables and metadata of the GeoPackage ``gpkg`` to ``url`` and return the store."""
    atlas = open_store(gpkg)
    store = PostgisStore(url)
    meta = {k: v for k, v in atlas.meta.items() if k != "schema_version"}
    tables = {name: store_backend(path=gpkg).read_table(name) for name in ("cscom_reconciliation", "snisi_comparison")}
    store.write(atlas.layers, meta, tables=tables)
    return store


def test_layers_read_back_as_from_the_geopackage(pg_url, tiny_store):
    store = _copy_to(pg_url, tiny_store)
    gpkg, pg = open_store(tiny_store), store.open()
    assert pg.meta == gpkg.meta
    assert list(pg.layers) == list(gpkg.layers)
    for name, frame in gpkg.layers.items():
        got = pg.layers[name]
        assert got.crs == frame.crs, name
        pd.testing.assert_frame_equal(got.drop(columns="geometry"), frame.drop(columns="geometry"), check_dtype=True)
        assert got.geometry.geom_equals_exact(frame.geometry, tolerance=1e-12).all(), name
    pd.testing.assert_frame_equal(
        store.read_table("cscom_reconciliation"), store_backend(path=tiny_store).read_table("cscom_reconciliation")
    )


def test_columns_are_typed_with_geometry_in_4326_and_gist_indexes(pg_url, tiny_store):
    _copy_to(pg_url, tiny_store)
    with psycopg.connect(pg_url) as con:
        types = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'atlas' AND table_name = 'facilities'"
            ).fetchall()
        )
        geometry = con.execute(
            "SELECT f_table_name, type, srid FROM geometry_columns WHERE f_table_schema = 'atlas' ORDER BY 1"
        ).fetchall()
        indexed = {
            t
            for (t,) in con.execute(
                "SELECT tablename FROM pg_indexes WHERE schemaname = 'atlas' AND indexdef LIKE '%USING gist%'"
            )
        }
        schemas = {n for (n,) in con.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'atlas%'")}
    assert types["beds"] == types["pupils"] == "integer"
    assert types["in_analysis"] == "boolean"
    assert types["name"] == "text"
    assert types["geom"] == "USER-DEFINED"
    assert ("facilities", "POINT", 4326) in geometry
    assert ("quartiers", "POLYGON", 4326) in geometry
    assert indexed == {t for t, _, _ in geometry}
    assert schemas == {"atlas"}  # no staging schema left behind


def test_metadata_keeps_the_order_of_its_keys(pg_url, tiny_store):
    # Found running the suite on PostGIS: jsonb sorted the keys, so README's reconciliation table came out reordered.
    counts = {"sheet_only": 61, "matched": 19, "rekinded": 16, "not_in_snisi": 3}
    store = _copy_to(pg_url, tiny_store)
    atlas = store.open()
    meta = {"build_id": "ordered", "cscom_reconciliation": counts, "zeta": 1, "alpha": 2}
    store.write(atlas.layers, meta, tables={})
    read = store.read_meta()
    assert list(read) == [*meta, "schema_version"]
    assert list(read["cscom_reconciliation"].items()) == list(counts.items())


def test_a_failed_build_leaves_the_previous_one_whole(pg_url, tiny_store):
    store = _copy_to(pg_url, tiny_store)
    atlas = store.open()
    # The last layer cannot be written (a dict is no column value): the layers before it were written already.
    unwritable = atlas["district"].assign(extra=[{"a": 1}] * len(atlas["district"]))
    with pytest.raises(psycopg.Error):
        store.write({**atlas.layers, "zz_unwritable": unwritable}, {"build_id": "broken"}, tables={})
    assert store.open().meta["build_id"] == atlas.meta["build_id"]
    with psycopg.connect(pg_url) as con:
        assert con.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'atlas_build%'").fetchone()[0] == 0


def test_a_reader_sees_the_old_build_or_the_new_one_never_half(pg_url, tiny_store):
    store = _copy_to(pg_url, tiny_store)
    atlas = store.open()
    old = atlas.meta["build_id"]
    new_layers = {**atlas.layers, "facilities": atlas["facilities"].iloc[:2]}
    done = threading.Event()
    with postgis._read(pg_url, postgis.SCHEMA) as cur:
        assert postgis._meta(cur, postgis.SCHEMA)["build_id"] == old

        def rebuild():
            store.write(new_layers, {**atlas.meta, "build_id": "build-2"}, tables={})
            done.set()

        writer = threading.Thread(target=rebuild)
        writer.start()
        time.sleep(1.0)
        assert not done.is_set()  # the swap waits for the reader
        assert len(postgis._read_frame(cur, postgis.SCHEMA, "facilities")) == len(atlas["facilities"])
    writer.join(30)
    assert done.is_set()
    fresh = store.open()
    assert fresh.meta["build_id"] == "build-2"
    assert len(fresh["facilities"]) == 2


def test_a_reader_waiting_for_the_swap_reads_the_new_build_whole(pg_url, tiny_store):
    store = _copy_to(pg_url, tiny_store)
    atlas = store.open()
    with psycopg.connect(pg_url) as con:  # hold the swap's lock as a build about to commit does
        con.execute("LOCK TABLE atlas.atlas_meta IN ACCESS EXCLUSIVE MODE")
        result = {}
        reader = threading.Thread(target=lambda: result.update(atlas=store.open()))
        reader.start()
        time.sleep(0.5)
        con.execute("UPDATE atlas.atlas_meta SET value = %s WHERE key = 'build_id'", (json.dumps("build-3"),))
        con.commit()
    reader.join(30)
    assert result["atlas"].meta["build_id"] == "build-3"
    assert len(result["atlas"]["facilities"]) == len(atlas["facilities"])


def test_the_catalog_reloads_when_another_host_builds(pg_url, tiny_store):
    store = _copy_to(pg_url, tiny_store)
    catalog = Catalog(store, check_every_s=0)
    atlas = catalog.atlas
    assert catalog.version == atlas.meta["build_id"]
    store.write(
        {**atlas.layers, "facilities": atlas["facilities"].iloc[:1]}, {**atlas.meta, "build_id": "b2"}, tables={}
    )
    assert catalog.version == "b2"
    assert len(catalog.atlas["facilities"]) == 1


def test_no_store_and_unreachable_database_are_clear_errors(pg_url):
    with pytest.raises(StoreError, match="no atlas store in .*data build"):
        PostgisStore(pg_url).open()
    assert not PostgisStore(pg_url).exists()
    with pytest.raises(StoreError, match=r"cannot connect to the atlas database postgresql://u:\*\*\*@127.0.0.1:1/x"):
        PostgisStore("postgresql://u:secret@127.0.0.1:1/x").open()


def test_ogrinfo_lists_the_layers_with_their_types(pg_url, tiny_store):
    _copy_to(pg_url, tiny_store)
    dsn = pg_url.replace("postgresql://postgres@127.0.0.1:", "PG:host=127.0.0.1 user=postgres port=").replace(
        "/", " dbname=", 1
    )
    dsn += " schemas=atlas"
    listing = subprocess.run(["ogrinfo", "-ro", "-q", dsn], check=True, capture_output=True, text=True).stdout
    for layer, kind in (("facilities", "Point"), ("quartiers", "Polygon"), ("communes", "Polygon")):
        assert f"{layer} ({kind})" in listing, listing
    info = subprocess.run(
        ["ogrinfo", "-ro", "-so", dsn, "facilities"], check=True, capture_output=True, text=True
    ).stdout
    assert 'EPSG",4326' in info.replace(" ", "") or 'ID["EPSG",4326]' in info
    assert "beds: Integer (0.0)" in info
    assert "in_analysis: Integer(Boolean) (1.0)" in info
    assert "name: String (0.0)" in info
    assert "Feature Count: 5" in info
