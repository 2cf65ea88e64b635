"""The throw-away cluster runs PostGIS."""

import psycopg
import pytest

pytestmark = pytest.mark.postgis


def test_cluster_has_postgis(pg_url):
    with psycopg.connect(pg_url) as con:
        version = con.execute("SELECT postgis_lib_version()").fetchone()[0]
    assert version.split(".")[0] == "3"


def test_the_sqlite_dialect_is_translated(pg_url):
    from contextlib import closing

    from geo.planning.edits.db import connect, transaction
    from geo.planning.edits.pg import translate

    assert translate("SELECT * FROM t WHERE a = ? AND b LIKE 'x%'") == "SELECT * FROM t WHERE a = %s AND b LIKE 'x%%'"
    assert translate("WHERE at >= :since") == "WHERE at >= %(since)s"
    with closing(connect(pg_url)) as conn:
        conn.executescript("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, name TEXT COLLATE NOCASE, x REAL);")
        with transaction(conn):
            first = conn.execute("INSERT INTO t (name, x) VALUES (?, ?)", ("Awa", 1_800_000_000.25)).lastrowid
        assert first == 1
        row = conn.execute("SELECT * FROM t WHERE name = ? AND x::text LIKE '18%'", ("awa",)).fetchone()
        assert (row["id"], row["name"], row["x"]) == (1, "Awa", 1_800_000_000.25)  # NOCASE; x kept to the 1/4 s
        assert conn.execute("SELECT count(*) FROM t WHERE x::text LIKE '18%'").fetchone()[0] == 1  # no parameters
