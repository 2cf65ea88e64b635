"""``bamako-atlas data backup`` on the PostgreSQL backend: one pg_dump file, consistent while planners write."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import uuid

import pytest
from click.testing import CliRunner

from geo.planning import accounts
from geo.planning.edits import EditStore
from geo.store import PostgisStore, open_store, store_backend
from tests.conftest import tiny_layers
from webmap.cli import main

pytestmark = pytest.mark.postgis


@pytest.fixture
def database(pg_url, tiny_store) -> str:
    """Return the URL of a database holding the tiny atlas, an account and one planner's edit."""
    atlas = open_store(tiny_store)
    meta = {k: v for k, v in atlas.meta.items() if k != "schema_version"}
    tables = {"cscom_reconciliation": store_backend(path=tiny_store).read_table("cscom_reconciliation")}
    PostgisStore(pg_url).write(atlas.layers, meta, tables=tables)
    accounts.create_user(pg_url, "awa", "editor", "correct horse battery")
    edits = edit_store(pg_url)
    edits.update("dnacpn-01", user="awa", version=1, fields={"beds": 3})
    edits.close()
    return pg_url


def edit_store(url: str) -> EditStore:
    layers = tiny_layers()
    return EditStore(url, base=layers["facilities"], quartiers=layers["quartiers"])


def lonlat() -> tuple[float, float]:
    point = tiny_layers()["quartiers"].set_index("pcode").geometry["ML090101002"].centroid
    return point.x, point.y


def backup(url: str, home, dest):
    env = {"BAMAKO_ATLAS_HOME": str(home), "BAMAKO_ATLAS_DATABASE": url}
    return CliRunner().invoke(main, ["data", "backup", str(dest)], env=env)


def restore(pg_cluster, dump) -> str:
    """Restore ``dump`` into a fresh, empty database as README says; return its URL."""
    url = pg_cluster.create_database(f"restored_{uuid.uuid4().hex[:10]}")
    done = subprocess.run(
        [shutil.which("pg_restore"), "--no-owner", "--exit-on-error", "--dbname", url, str(dump)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return url


def test_backup_while_a_planner_writes_restores_into_a_fresh_database(database, pg_cluster, tmp_path):
    stop, started = threading.Event(), threading.Event()
    written: list[int] = []

    def planner() -> None:  # another instance's worker, saving edits all along
        writer = edit_store(database)
        while not stop.is_set():
            writer.create(user="awa", fields={"kind": "school", "name": f"école {len(written)}"}, lonlat=lonlat())
            written.append(1)
            started.set()
        writer.close()

    thread = threading.Thread(target=planner)
    thread.start()
    try:
        assert started.wait(30), "the planner saved nothing"
        results = [backup(database, tmp_path / "home", tmp_path / f"b{i}") for i in range(3)]
    finally:
        stop.set()
        thread.join()
    assert len(written) >= 2, "the planner saved nothing during the backups"
    stamps = []
    for i, result in enumerate(results):
        assert result.exit_code == 0, result.output
        (dump,) = (tmp_path / f"b{i}").glob("atlas-*.pgdump")
        assert str(dump) in result.output and "pg_restore" in result.output
        assert [p.name for p in (tmp_path / f"b{i}").iterdir() if p.name.startswith(".")] == []  # no partial file
        assert dump.stat().st_mode & 0o077 == 0  # password hashes and tokens: the owner's only
        url = restore(pg_cluster, dump)
        copy = edit_store(url)
        changes = copy.history(limit=None)
        assert copy.stamp() == len(changes) >= 2  # one snapshot: every change with its stamp, no partial write
        assert copy.facility("dnacpn-01")["beds"] == 3
        copy.close()
        assert PostgisStore(url).read_meta()["build_id"] == "test-build-1"
        assert accounts.get_user(url, "awa").role == "editor"
        stamps.append(len(changes))
    assert stamps == sorted(stamps)


def test_backup_names_an_unreachable_database(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    result = backup(f"postgresql://atlas:secret@127.0.0.1:{port}/atlas", tmp_path / "home", tmp_path / "dest")
    assert result.exit_code == 2, result.output
    assert "cannot connect" in result.output and f"127.0.0.1:{port}/atlas" in result.output
    assert "secret" not in result.output and "Traceback" not in result.output
    assert not (tmp_path / "dest").exists()


def test_backup_without_pg_dump_says_what_to_install(database, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    result = backup(database, tmp_path / "home", tmp_path / "dest")
    assert result.exit_code == 2, result.output
    assert "pg_dump not found" in result.output and "postgresql-client" in result.output
