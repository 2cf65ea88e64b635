"""``bamako-atlas import FILE --user NAME``: preview, confirmation, commit, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from geo.planning import accounts
from geo.planning.edits import EditStore
from geo.planning.imports import list_imports
from geo.store import write_store
from tests.backends import cli_env, planners_db
from tests.conftest import tiny_layers
from tests.geo.imports.samples import csv_bytes, ll
from webmap.cli import main

META = {"build_id": "t", "built_at": "2026-11-29T00:00:00+00:00", "package_version": "t", "sources": {}, "counts": {}}


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A data home with the tiny store, an editor 'awa' and a viewer 'vera'."""
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    home = tmp_path / "home"
    write_store(home / "atlas.gpkg", tiny_layers(), META)
    accounts.create_user(db(home), "awa", "editor", "correct horse battery")
    accounts.create_user(db(home), "vera", "viewer", "correct horse battery")
    return home


@pytest.fixture
def sites(tmp_path) -> Path:
    """A CSV: 2 new schools, 1 duplicate of the tiny atlas's ASACOFA, 1 row with two errors."""
    rows = [
        ["École Sira", "school", *reversed(ll(100, 600))],
        ["École Kanu", "school", *reversed(ll(1400, 600))],
        ["CSCOM Asacofa", "cscom", *reversed(ll(505, 500))],
        ["", "école", "abc", "def"],
    ]
    path = tmp_path / "sites.csv"
    path.write_bytes(csv_bytes(rows))
    return path


def db(home: Path) -> Path | str:
    """Return the planners' database of the data home ``home`` on the session's backend."""
    return planners_db(home / "atlas.gpkg")


def run(home: Path, *args: str, input: str | None = None):
    return CliRunner().invoke(main, ["import", *args], env=cli_env(home / "atlas.gpkg"), input=input)


def store(home: Path) -> EditStore:
    layers = tiny_layers()
    return EditStore(db(home), base=layers["facilities"], quartiers=layers["quartiers"])


def new_names(home: Path) -> list[str]:
    current = store(home).current()
    return sorted(current.loc[current["id"].str.startswith("edit-"), "name"])


def test_yes_previews_then_commits(home, sites):
    result = run(home, str(sites), "--user", "awa", "--yes")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "à ajouter" in out and "doublons probables" in out
    assert "line 4: 'CSCOM Asacofa' ≈ dnacpn-01 'ASACOFA'" in out
    assert "line 5, name [missing_name]" in out and "line 5, coordinates [unparseable_coordinates]" in out
    assert "2 établissement(s) ajouté(s) par awa" in out
    assert new_names(home) == ["École Kanu", "École Sira"]
    assert [i["status"] for i in list_imports(db(home))] == ["committed"]


def test_confirmation_no_discards(home, sites):
    result = run(home, str(sites), "--user", "awa", input="n\n")
    assert result.exit_code == 0, result.output
    assert "Importer 2 établissement(s) ?" in result.output and "abandonné" in result.output
    assert new_names(home) == []
    assert [i["status"] for i in list_imports(db(home))] == ["discarded"]


def test_confirmation_yes_commits_with_duplicates_when_asked(home, sites):
    result = run(home, str(sites), "--user", "awa", "--include-duplicates", input="y\n")
    assert result.exit_code == 0, result.output
    assert new_names(home) == ["CSCOM Asacofa", "École Kanu", "École Sira"]


def test_user_is_required(home, sites):
    result = run(home, str(sites))
    assert result.exit_code == 2 and "--user" in result.output


@pytest.mark.parametrize("user", ["nobody", "vera"])
def test_only_active_editors_may_import(home, sites, user):
    result = run(home, str(sites), "--user", user, "--yes")
    assert result.exit_code == 2 and "Erreur" in result.output and "editor" in result.output
    assert new_names(home) == []


def test_a_disabled_editor_may_not_import(home, sites):
    accounts.disable_user(db(home), "awa")
    assert run(home, str(sites), "--user", "awa", "--yes").exit_code == 2


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("bad.geojson", b'{"type": "FeatureCollection", "features": [', "invalid JSON"),
        ("bad.gpkg", b"SQLite format 3\x00" + b"\x01" * 100, "not a readable GeoPackage"),
        ("bad.xlsx", b"PK", "unknown file type"),
        ("empty.csv", b"", "empty"),
    ],
)
def test_malformed_files_give_one_clear_line(home, tmp_path, name, data, expected):
    path = tmp_path / name
    path.write_bytes(data)
    result = run(home, str(path), "--user", "awa", "--yes")
    assert result.exit_code == 2 and expected in result.output and "Traceback" not in result.output


def test_nothing_to_add_keeps_the_preview(home, tmp_path):
    path = tmp_path / "dup.csv"
    path.write_bytes(csv_bytes([["CSCOM Asacofa", "cscom", *reversed(ll(505, 500))]]))
    result = run(home, str(path), "--user", "awa", "--yes")
    assert result.exit_code == 0 and "Rien à importer" in result.output
    assert [i["status"] for i in list_imports(db(home))] == ["previewed"]
