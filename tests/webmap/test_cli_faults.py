"""Faults at start-up (issue 13, findings 8 and 11): one line, exit status 2, nothing recreated or lost."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from geo import store as store_mod
from geo.errors import StoreError
from geo.planning import accounts
from geo.planning.edits.db import backup, connect
from tests.conftest import tiny_layers
from webmap.cli import main

COMMANDS = [["data", "status"], ["users", "list"], ["data", "conflicts"], ["serve", "--port", "0"],
            ["export", "cscom", "--format", "csv", "-o", "x.csv"]]  # fmt: skip


@pytest.fixture
def home(tiny_store, tmp_path):
    folder = tmp_path / "home"
    folder.mkdir()
    shutil.copy(tiny_store, folder / "atlas.gpkg")
    return folder


def run(home: Path, *args: str):
    return CliRunner().invoke(main, list(args), env={"BAMAKO_ATLAS_HOME": str(home)})


def assert_one_line_exit_2(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Erreur : "), result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0]


def _garble(path: Path, page: int) -> None:
    with open(path, "r+b") as f:
        f.seek(4096 * page)
        f.write(b"\xff" * 4096)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_empty_edits_database_is_refused_not_recreated(home, command):
    db = home / "edits.sqlite"
    db.write_bytes(b"")
    assert_one_line_exit_2(run(home, *command), str(db), "0 bytes", "backup")
    assert db.stat().st_size == 0  # never silently taken for a new, empty database


def test_empty_edits_database_is_refused_by_the_library_too(tmp_path):
    db = tmp_path / "edits.sqlite"
    db.write_bytes(b"")
    with pytest.raises(StoreError, match="0 bytes"):
        accounts.list_users(db)
    assert db.stat().st_size == 0


def test_foreign_and_garbled_edits_databases_are_refused(home, monkeypatch):
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    db = home / "edits.sqlite"
    accounts.create_user(db, "awa", "editor", "a long enough password")
    for name in ("edits.sqlite-wal", "edits.sqlite-shm"):
        (home / name).unlink(missing_ok=True)
    sqlite3.connect(db).execute("PRAGMA wal_checkpoint(TRUNCATE)").connection.close()
    _garble(db, 1)
    assert_one_line_exit_2(run(home, "users", "list"), str(db), "corrupt")
    db.write_text("not a database at all\n")
    assert_one_line_exit_2(run(home, "users", "list"), "not an SQLite database")


def test_garbled_store_is_refused_but_can_be_rebuilt(home, monkeypatch):
    _garble(home / "atlas.gpkg", 3)
    assert_one_line_exit_2(run(home, "data", "status"), "atlas.gpkg", "corrupt", "data build --force")
    calls = []
    monkeypatch.setattr("geo.pipeline.build.build", lambda settings=None, force=False: calls.append(force) or {})
    run(home, "data", "build", "--force")
    assert calls == [True]  # the store check does not stand in the way of the rebuild


def test_full_disk_while_writing_the_store_keeps_the_old_one(home, monkeypatch):
    old = (home / "atlas.gpkg").read_bytes()
    real_write = store_mod.pyogrio.write_dataframe

    def write_then_fill(frame, path, **kw):
        real_write(frame, path, **kw)
        raise RuntimeError("Failed to commit transaction")  # what GDAL says when the disk fills

    monkeypatch.setattr(store_mod.pyogrio, "write_dataframe", write_then_fill)
    monkeypatch.setattr(store_mod.shutil, "disk_usage", lambda _p: shutil._ntuple_diskusage(10**9, 10**9, 0))
    with pytest.raises(StoreError, match="disk full"):
        store_mod.write_store(home / "atlas.gpkg", tiny_layers(), {"build_id": "x"})
    assert (home / "atlas.gpkg").read_bytes() == old
    assert sorted(p.name for p in home.iterdir()) == ["atlas.gpkg"]


def test_cli_turns_os_and_unexpected_errors_into_one_line(home, monkeypatch):
    def no_space(settings=None, force=False):
        raise OSError(errno.ENOSPC, "No space left on device", str(home / ".atlas-x.gpkg"))

    monkeypatch.setattr("geo.pipeline.build.build", no_space)
    assert_one_line_exit_2(run(home, "data", "build"), "disque plein", ".atlas-x.gpkg")

    def boom(settings=None, force=False):
        raise KeyError("layer")

    monkeypatch.setattr("geo.pipeline.build.build", boom)
    assert_one_line_exit_2(run(home, "data", "build"), "KeyError", "-v")


def test_help_still_works_with_a_damaged_database(home):
    (home / "edits.sqlite").write_bytes(b"")
    result = run(home, "users", "--help")
    assert result.exit_code == 0 and "Usage" in result.output


def test_edits_database_and_backups_are_owner_only(tmp_path):
    db = tmp_path / "edits.sqlite"
    connect(db).close()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    copy = backup(db, tmp_path / "backups")
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600


def test_a_new_database_that_cannot_be_written_leaves_no_empty_file(tmp_path, monkeypatch):
    def full(*_a, **_k):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr("geo.planning.edits.db.sqlite3.connect", full)
    with pytest.raises(sqlite3.OperationalError):
        connect(tmp_path / "edits.sqlite")
    assert list(tmp_path.iterdir()) == []  # the next start creates it afresh instead of refusing an empty file


@pytest.mark.integration
def test_real_full_disk_during_build(tmp_path, mirror_dir):
    """A real full file system (a 1.6 MB tmpfs: room for the old store, not for a second one)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small tmpfs")
    folder = tmp_path / "small"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1600k", "tmpfs", str(folder)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        env = {"BAMAKO_ATLAS_HOME": str(folder), "BAMAKO_ATLAS_MIRROR": str(mirror_dir)}
        assert CliRunner().invoke(main, ["data", "build"], env=env).exit_code == 0
        built = (folder / "atlas.gpkg").read_bytes()
        result = CliRunner().invoke(main, ["data", "build", "--force"], env=env)
        assert_one_line_exit_2(result, "disk full")
        assert (folder / "atlas.gpkg").read_bytes() == built
        assert sorted(p.name for p in folder.iterdir()) == ["atlas.gpkg"]
    finally:
        subprocess.run(["umount", str(folder)], check=True)
