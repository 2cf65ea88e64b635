"""The throw-away cluster runs PostGIS."""

import psycopg
import pytest

pytestmark = pytest.mark.postgis


def test_cluster_has_postgis(pg_url):
    with psycopg.connect(pg_url) as con:
        version = con.execute("SELECT postgis_lib_version()").fetchone()[0]
    assert version.split(".")[0] == "3"
