"""`data build` into PostGIS from the real sources: the same layers as the GeoPackage build, read by GDAL."""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest
from click.testing import CliRunner

from geo.store import PostgisStore, open_store
from webmap.cli import main

pytestmark = [pytest.mark.postgis, pytest.mark.integration]


def test_data_build_writes_the_real_layers_to_postgis(pg_url, real_store, mirror_dir, tmp_path):
    env = {
        "BAMAKO_ATLAS_DATABASE": pg_url,
        "BAMAKO_ATLAS_HOME": str(tmp_path),
        "BAMAKO_ATLAS_MIRROR": str(mirror_dir),
        "BAMAKO_ATLAS_CACHE": str(tmp_path / "cache"),
    }
    result = CliRunner().invoke(main, ["data", "build"], env=env)
    assert result.exit_code == 0, result.output
    assert "Magasin construit : postgresql://" in result.output
    assert not (tmp_path / "atlas.gpkg").exists()
    assert "Magasin à jour" in CliRunner().invoke(main, ["data", "build"], env=env).output  # up to date: no rebuild

    pg, gpkg = PostgisStore(pg_url).open(), open_store(real_store)
    assert list(pg.layers) == list(gpkg.layers)
    for name, frame in gpkg.layers.items():
        pd.testing.assert_frame_equal(pg[name].drop(columns="geometry"), frame.drop(columns="geometry"))
        assert pg[name].geometry.geom_equals_exact(frame.geometry, tolerance=1e-9).all(), name

    dsn = "PG:" + pg_url.replace("postgresql://postgres@127.0.0.1:", "host=127.0.0.1 user=postgres port=").replace(
        "/", " dbname=", 1
    )
    listing = subprocess.run(
        ["ogrinfo", "-ro", "-q", dsn + " schemas=atlas"], check=True, capture_output=True, text=True
    ).stdout
    for name in gpkg.layers:
        assert f": {name} (" in listing, listing
    status = CliRunner().invoke(main, ["data", "status"], env=env)
    assert status.exit_code == 0 and "postgresql://" in status.output
    out = tmp_path / "cscom.csv"
    exported = CliRunner().invoke(main, ["export", "cscom", "--format", "csv", "-o", str(out)], env=env)
    assert exported.exit_code == 0, exported.output
    fac = gpkg["facilities"]
    in_district = int(((fac["kind"] == "cscom") & fac["in_analysis"].fillna(False).astype(bool)).sum())
    assert len(pd.read_csv(out, encoding="utf-8-sig")) == in_district  # read from PostGIS, in the District
