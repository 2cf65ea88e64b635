"""``bamako-atlas data …``: clear one-line errors, status and QA output."""

from __future__ import annotations

import shutil

from click.testing import CliRunner

from geo.pipeline import sources
from tests.backends import cli_env
from webmap.cli import main


def test_tampered_source_gives_one_line_and_writes_nothing(tmp_path):
    mirror = tmp_path / "mirror" / "Vector"
    mirror.mkdir(parents=True)
    (mirror / "admin3_bamako_communes.gpkg").write_bytes(b"tampered")
    home = tmp_path / "home"
    env = {
        "BAMAKO_ATLAS_MIRROR": str(mirror.parent),
        "BAMAKO_ATLAS_HOME": str(home),
        "BAMAKO_ATLAS_CACHE": str(tmp_path / "c"),
    }
    result = CliRunner().invoke(main, ["data", "build"], env=env)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert sources.registry()["communes"].sha256 in result.output and "admin3_bamako_communes.gpkg" in result.output
    assert not (home / "atlas.gpkg").exists()


def test_status_and_qa_on_a_store(tiny_store, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(tiny_store, home / "atlas.gpkg")
    env = cli_env(home / "atlas.gpkg")  # on PostGIS, the store is read from its database
    status = CliRunner().invoke(main, ["data", "status"], env=env)
    assert status.exit_code == 0, status.output
    assert "facilities" in status.output and sources.registry()["quartiers"].sha256 in status.output
    qa = CliRunner().invoke(main, ["data", "qa", "--out", str(tmp_path / "qa")], env=env)
    assert qa.exit_code == 0, qa.output
    assert "duplicate" in qa.output
    assert (tmp_path / "qa" / "qa_findings.csv").is_file() and (tmp_path / "qa" / "qa_findings.geojson").is_file()
    assert "matched" in qa.output and (tmp_path / "qa" / "cscom_reconciliation.csv").is_file()
    assert "Aires SNISI" in qa.output and "ASACODJAN, ASACOMSI" in qa.output  # the per-commune SNISI comparison


def test_missing_store_is_reported_not_crashed(tmp_path):
    result = CliRunner().invoke(main, ["data", "qa"], env={"BAMAKO_ATLAS_HOME": str(tmp_path)})
    assert result.exit_code == 2 and "bamako-atlas data build" in result.output
