"""``bamako-atlas export …``: files written atomically with meaningful names; one-line errors."""

from __future__ import annotations

import io
import json
import shutil
import zipfile

import pyogrio
import pytest
from click.testing import CliRunner

from geo import files
from geo.store import open_store, write_store
from tests.backends import cli_env
from webmap.cli import main


@pytest.fixture
def env(tiny_store, tmp_path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(tiny_store, home / "atlas.gpkg")
    return cli_env(home / "atlas.gpkg")  # on PostGIS, the store is read from its database


def test_default_is_geojson_named_after_the_selection(env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["export", "cscom"], env=env)
    assert result.exit_code == 0, result.output
    written = tmp_path / "bamako-cscom-2026-11-29.geojson"
    assert str(written) in result.output
    assert [f["id"] for f in json.loads(written.read_text())["features"]] == ["dnacpn-01"]


def test_filters_and_output_path(env, tmp_path):
    out = tmp_path / "out" / "q.gpkg"
    out.parent.mkdir()
    args = ["export", "quartiers", "--format", "gpkg", "--commune", "ML090101", "-o", str(out)]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    assert list(pyogrio.read_dataframe(out)["pcode"]) == ["ML090101001", "ML090101002"]
    kinds = CliRunner().invoke(
        main, ["export", "facilities", "--kind", "cscom", "--kind", "school,pharmacy", "--format", "csv",
               "-o", str(tmp_path / "f.csv")], env=env,
    )  # fmt: skip
    assert kinds.exit_code == 0, kinds.output
    lines = (tmp_path / "f.csv").read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["dnacpn-01", "sante-0001", "educ-0001"]
    shp = CliRunner().invoke(main, ["export", "facilities", "--format", "shp.zip", "--bbox", "-180,-90,180,90",
                                    "-o", str(tmp_path / "f.shp.zip")], env=env)  # fmt: skip
    assert shp.exit_code == 0 and "fields.csv" in zipfile.ZipFile(tmp_path / "f.shp.zip").namelist()


def test_package(env, tmp_path):
    out = tmp_path / "pkg.zip"
    result = CliRunner().invoke(main, ["export", "package", "-o", str(out), "--lang", "en"], env=env)
    assert result.exit_code == 0, result.output
    archive = zipfile.ZipFile(io.BytesIO(out.read_bytes()))
    assert archive.read("bamako-atlas-2026-11-29/README.md").decode().startswith("# Bamako Atlas")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["export", "nope"], ["'nope'", "cscom"]),
        (["export", "communes", "--format", "xls"], ["'xls'", "shp.zip"]),
        (["export", "facilities", "--kind", "spa"], ["'spa'"]),
        (["export", "facilities", "--commune", "ML099999"], ["'ML099999'", "ML090101"]),
        (["export", "facilities", "--bbox", "1,2"], ["bbox", "minlon,minlat,maxlon,maxlat"]),
        (["export", "package", "--lang", "de"], ["lang"]),
        (["export", "cscom", "-o", "/nonexistent-folder/x.geojson"], ["output", "nonexistent-folder"]),
    ],
)
def test_errors_are_one_line_and_write_nothing(env, tmp_path, monkeypatch, args, words):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Erreur")
    for word in words:
        assert word in lines[0]
    assert list(work.iterdir()) == []


def test_a_failed_write_leaves_no_file(env, tmp_path, monkeypatch):
    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    work = tmp_path / "work"
    work.mkdir()
    result = CliRunner().invoke(main, ["export", "facilities", "--format", "kml", "-o", str(work / "x.kml")], env=env)
    assert result.exit_code != 0
    assert list(work.iterdir()) == []


def test_missing_store_is_one_line(tmp_path):
    result = CliRunner().invoke(main, ["export", "cscom"], env={"BAMAKO_ATLAS_HOME": str(tmp_path)})
    assert result.exit_code == 2 and "bamako-atlas data build" in result.output


def test_scope_and_pcode_lists(tiny_store, tmp_path):
    atlas = open_store(tiny_store)
    fac = atlas["facilities"].copy()
    fac.loc[fac["id"] == "educ-0001", ["join_status", "in_analysis"]] = ["outside", False]
    home = tmp_path / "scoped"
    write_store(home / "atlas.gpkg", {**atlas.layers, "facilities": fac}, atlas.meta)
    env = {"BAMAKO_ATLAS_HOME": str(home)}

    def ids(*args: str) -> list[str]:
        out = tmp_path / "f.geojson"
        result = CliRunner().invoke(main, ["export", "facilities", *args, "-o", str(out)], env=env)
        assert result.exit_code == 0, result.output
        return [f["id"] for f in json.loads(out.read_text())["features"]]

    assert ids("--commune", "ML090101") == ["dnacpn-01", "sante-0001"]  # educ-0001 is outside: left out
    assert ids("--commune", "ML090101", "--scope", "all") == ["dnacpn-01", "sante-0001", "educ-0001"]
    assert ids("--quartier", "ML090101001,ml090102001") == ["dnacpn-01", "sante-0001", "lieu-stade"]
