"""The shared database connection: WAL, foreign keys, busy timeout, explicit transactions."""

from __future__ import annotations

import sqlite3

import pytest

from geo.planning.edits import db


def test_connect_configures_wal_foreign_keys_timeout_and_rows(tmp_path):
    conn = db.connect(tmp_path / "e.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == db.BUSY_TIMEOUT_MS
    assert conn.row_factory is sqlite3.Row
    assert conn.isolation_level is None


def test_transaction_commits_or_rolls_back_as_one(tmp_path):
    conn = db.connect(tmp_path / "e.sqlite")
    conn.execute("CREATE TABLE t (x INTEGER)")
    with db.transaction(conn):
        conn.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(RuntimeError), db.transaction(conn):
        conn.execute("INSERT INTO t VALUES (2)")
        raise RuntimeError("boom")
    assert [r[0] for r in conn.execute("SELECT x FROM t")] == [1]
    assert not conn.in_transaction


def test_edits_path_is_in_the_home(tmp_path):
    assert db.edits_path({"HOME": str(tmp_path)}) == tmp_path / "edits.sqlite"
