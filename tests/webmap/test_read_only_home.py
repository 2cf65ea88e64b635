"""A read-only data folder serves read-only (issue 13, finding 11): reads work, writes get one clear 503."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from geo.planning import accounts
from tests.backends import app_config
from webmap import create_app
from webmap.cli import main

PASSWORD = "a long enough password"


def _lock(folder: Path, on: bool) -> None:
    """Make ``folder`` and its files unwritable (chattr +i as root, who ignores permission bits)."""
    paths = [*folder.iterdir(), folder] if on else [folder, *folder.iterdir()]
    if os.geteuid() == 0:
        flag = "+i" if on else "-i"
        if shutil.which("chattr") is None or subprocess.run(["chattr", flag, *map(str, paths)]).returncode:
            pytest.skip("chattr cannot make files immutable here")
    else:
        for p in paths:
            p.chmod((0o555 if p.is_dir() else 0o444) if on else (0o755 if p.is_dir() else 0o644))


@pytest.fixture
def locked_home(tiny_store, tmp_path, monkeypatch):
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    folder = tmp_path / "home"
    folder.mkdir()
    shutil.copy(tiny_store, folder / "atlas.gpkg")
    accounts.create_user(folder / "edits.sqlite", "awa", "editor", PASSWORD)
    _lock(folder, True)
    yield folder
    _lock(folder, False)


@pytest.mark.gpkg_only("a home folder nobody may write to, holding atlas.gpkg and edits.sqlite")
def test_app_over_a_read_only_home_serves_reads_and_refuses_writes(locked_home):
    app = create_app({"ATLAS_STORE": str(locked_home / "atlas.gpkg")})
    assert app.config["ATLAS_READ_ONLY"] is True
    client = app.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/layers/cscom.geojson").status_code == 200
    assert client.get("/login").status_code == 200
    refused = client.post("/login", data={"name": "awa", "password": PASSWORD})
    assert refused.status_code == 503 and "lecture seule" in refused.get_data(as_text=True)
    api = client.post("/api/v1/facilities", json={}, headers={"Authorization": "Bearer x"})
    assert api.status_code == 503 and "lecture seule" in api.get_json()["error"]["message"]
    assert sorted(p.name for p in locked_home.iterdir()) == ["atlas.gpkg", "edits.sqlite"]  # nothing written


@pytest.mark.gpkg_only("a home folder nobody may write to, holding atlas.gpkg and edits.sqlite")
def test_cli_reads_a_read_only_home_and_refuses_writes_in_one_line(locked_home):
    env = {"BAMAKO_ATLAS_HOME": str(locked_home)}
    listing = CliRunner().invoke(main, ["users", "list"], env=env)
    assert listing.exit_code == 0 and "awa" in listing.output
    added = CliRunner().invoke(main, ["users", "add", "bob", "--password-stdin"], env=env, input=PASSWORD + "\n")
    assert added.exit_code == 2 and len(added.output.strip().splitlines()) == 1
    assert "Traceback" not in added.output


def test_read_only_mode_can_be_forced(tiny_store):
    app = create_app(app_config(tiny_store, ATLAS_READ_ONLY=True))
    assert app.test_client().post("/login", data={"name": "a", "password": "b"}).status_code == 503
    assert create_app(app_config(tiny_store)).config["ATLAS_READ_ONLY"] is False
