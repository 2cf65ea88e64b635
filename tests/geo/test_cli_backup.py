"""``bamako-atlas data backup`` (consistent copies while the atlas serves) and the conflicts listed after a build."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading

import pandas as pd
import pytest
from click.testing import CliRunner

from geo.planning.edits import EditStore
from geo.store import open_store, write_store
from tests.backends import cli_env, planners_db, rebuild
from tests.conftest import tiny_layers
from webmap.cli import main


@pytest.fixture
def home(tmp_path, tiny_store):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(tiny_store, home / "atlas.gpkg")
    return home


def edit_store(home) -> EditStore:
    layers = tiny_layers()
    return EditStore(planners_db(home / "atlas.gpkg"), base=layers["facilities"], quartiers=layers["quartiers"])


def lonlat() -> tuple[float, float]:
    point = tiny_layers()["quartiers"].set_index("pcode").geometry["ML090101002"].centroid
    return point.x, point.y


def run(home, *args):
    return CliRunner().invoke(main, list(args), env=cli_env(home / "atlas.gpkg"))


def quick_check(path) -> str:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        con.close()


@pytest.mark.gpkg_only("data backup copies atlas.gpkg and edits.sqlite")
def test_backup_copies_the_store_and_the_edits(home, tmp_path):
    edits = edit_store(home)
    made = edits.create(user="awa", fields={"kind": "cscom", "name": "CSCOM sauvegardé"}, lonlat=lonlat())
    edits.update("dnacpn-01", user="awa", version=1, fields={"beds": 3})
    dest = tmp_path / "backups"
    result = run(home, "data", "backup", str(dest))
    assert result.exit_code == 0, result.output
    stores, databases = sorted(dest.glob("atlas-*.gpkg")), sorted(dest.glob("edits-*.sqlite"))
    assert len(stores) == 1 and len(databases) == 1 and str(stores[0]) in result.output
    assert [p.name for p in dest.iterdir() if p.name.startswith(".")] == []  # no partial file left
    assert open_store(stores[0]).meta["build_id"] == "test-build-1"
    copy = EditStore(databases[0])
    assert copy.stamp() == 2 and len(copy.history()) == 2
    assert copy.facility(made["id"])["name"] == "CSCOM sauvegardé"


@pytest.mark.gpkg_only("data backup copies atlas.gpkg and edits.sqlite")
def test_backup_is_consistent_while_the_server_writes_and_the_store_is_rebuilt(home, tmp_path):
    edits = edit_store(home)
    edits.create(user="awa", fields={"kind": "cscom", "name": "premier"}, lonlat=lonlat())
    rebuilt = tmp_path / "rebuilt"
    rebuilt.mkdir()
    atlas = open_store(home / "atlas.gpkg")
    next_store = write_store(rebuilt / "atlas.gpkg", atlas.layers, {**atlas.meta, "build_id": "test-build-2"})
    stop = threading.Event()

    def planner() -> None:  # another process's worker, saving edits all along
        writer = edit_store(home)
        n = 0
        while not stop.is_set():
            writer.create(user="awa", fields={"kind": "school", "name": f"école {n}"}, lonlat=lonlat())
            n += 1
        writer.close()

    def rebuild() -> None:  # `data build` renaming a new store over the old one, again and again
        spare = rebuilt / "spare.gpkg"
        while not stop.is_set():
            shutil.copy(home / "atlas.gpkg" if os.urandom(1)[0] % 2 else next_store, spare)
            os.replace(spare, home / "atlas.gpkg")

    threads = [threading.Thread(target=planner), threading.Thread(target=rebuild)]
    for t in threads:
        t.start()
    try:
        for i in range(5):
            result = run(home, "data", "backup", str(tmp_path / f"b{i}"))
            assert result.exit_code == 0, result.output
    finally:
        stop.set()
        for t in threads:
            t.join()
    for i in range(5):
        (store_copy,) = (tmp_path / f"b{i}").glob("atlas-*.gpkg")
        (edits_copy,) = (tmp_path / f"b{i}").glob("edits-*.sqlite")
        assert quick_check(store_copy) == "ok" and quick_check(edits_copy) == "ok"
        assert open_store(store_copy).meta["build_id"] in ("test-build-1", "test-build-2")
        copy = EditStore(edits_copy)
        changes = copy.history(limit=None)
        assert copy.stamp() == len(changes) >= 1  # one snapshot: every change with its stamp, no partial write
        assert not (tmp_path / f"b{i}" / "edits.sqlite-wal").exists()


def test_backup_of_nothing_is_one_clear_line(tmp_path):
    env = {"BAMAKO_ATLAS_HOME": str(tmp_path / "empty"), "BAMAKO_ATLAS_DATABASE": ""}
    result = CliRunner().invoke(main, ["data", "backup", str(tmp_path / "dest")], env=env)
    assert result.exit_code == 2 and "nothing to back up" in result.output and "Traceback" not in result.output


def test_backup_of_an_atlas_in_postgresql_dumps_the_database_not_the_files_of_home(home, tmp_path):
    # Found running the suite on PostGIS: it copied the stale files of HOME instead (or said "nothing to back up").
    # Now it dumps the database (tests/postgis/test_pg_backup.py); an unreachable one is one clear line.
    env = {"BAMAKO_ATLAS_HOME": str(home), "BAMAKO_ATLAS_DATABASE": "postgresql://atlas:secret@db.example/atlas"}
    result = CliRunner().invoke(main, ["data", "backup", str(tmp_path / "dest")], env=env)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "cannot connect" in result.output and "postgresql://atlas:***@db.example/atlas" in result.output
    assert "secret" not in result.output and not list((tmp_path / "dest").glob("*"))


def test_build_lists_conflicts_between_planners_and_the_rebuilt_sources(home, monkeypatch):
    edits = edit_store(home)
    edits.update("dnacpn-01", user="awa", version=1, fields={"beds": 10})
    edits.update("educ-0001", user="awa", version=1, fields={"name": "École Niaréla A"})
    edits.update("sante-0001", user="awa", version=1, fields={"note": "vérifiée"})
    edits.close()

    def fake_build(*_args, **_kwargs):  # the sources changed: beds of dnacpn-01, and lieu-stade vanished
        from geo.pipeline.build import BuildReport

        layers = tiny_layers()
        fac = layers["facilities"]
        fac.loc[fac["id"] == "dnacpn-01", "beds"] = 4
        layers["facilities"] = fac[fac["id"] != "sante-0001"].reset_index(drop=True)
        meta = {
            "build_id": "test-build-2",
            "built_at": "2026-11-30T00:00:00+00:00",
            "package_version": "test",
            "sources": {},
            "counts": {name: len(frame) for name, frame in layers.items()},
            "cscom_reconciliation": {"matched": 1},
            "population": {"year": 2022, "total": 15000, "method": "dasymetric"},
        }
        path = rebuild(home / "atlas.gpkg", layers, meta)  # and into its database on PostGIS
        return BuildReport(path, meta, pd.DataFrame(), {})

    monkeypatch.setattr("geo.pipeline.build.build", fake_build)
    result = run(home, "data", "build", "--force")
    assert result.exit_code == 0, result.output
    assert "en conflit avec les sources : 2" in result.output
    assert "dnacpn-01 « ASACOFA » — beds : source 4 (était (vide) à la correction), planificateur 10" in result.output
    assert "sante-0001" in result.output and "disparu des sources" in result.output
    assert "educ-0001" not in result.output  # the source did not change the corrected name
    listed = run(home, "data", "conflicts")
    assert listed.exit_code == 0 and "dnacpn-01" in listed.output


def test_build_without_edits_prints_no_conflict_section(home, monkeypatch):
    from geo.pipeline.build import BuildReport

    meta = {
        "counts": {},
        "cscom_reconciliation": {},
        "population": {"year": 2022, "total": 1, "method": "areal"},
    }
    monkeypatch.setattr(
        "geo.pipeline.build.build", lambda *a, **k: BuildReport(home / "atlas.gpkg", meta, pd.DataFrame(), {})
    )
    result = run(home, "data", "build")
    assert result.exit_code == 0 and "conflit" not in result.output
    assert "Aucune base de modifications" in run(home, "data", "conflicts").output
