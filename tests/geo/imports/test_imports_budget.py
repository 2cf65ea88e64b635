"""Every import is read and previewed in a child process under a time and a memory budget (issue 13, finding 2)."""

from __future__ import annotations

import logging
import os
import re
import signal
import tempfile

import geopandas as gpd
import pytest

from geo.errors import InvalidParameter
from geo.planning.imports import Budget, ImportReaderError, parse_and_preview, parse_upload, preview
from geo.planning.imports.budget import _outcome
from tests.geo.imports.samples import csv_bytes, geojson_bytes, gpkg_bytes, ll, osm_xml, point_feature

LON, LAT = ll(500, 500)
ROWS = 50_000
#: Budgets as generous as the defaults, except the one under test.
ROOMY = Budget(seconds=120.0, memory_mb=1536)


def big_file(fmt: str) -> tuple[bytes, str]:
    """Return a file of 50 000 schools at one point (the most rows accepted) in format ``fmt``."""
    if fmt == "csv":
        return csv_bytes([[f"S{i}", "school", f"{LAT:.6f}", f"{LON:.6f}"] for i in range(ROWS)]), "big.csv"
    if fmt == "geojson":
        return geojson_bytes([point_feature(LON, LAT, name=f"S{i}", kind="school") for i in range(ROWS)]), "big.geojson"
    return osm_xml([(i + 1, LON, LAT, {"amenity": "school", "name": f"S{i}"}) for i in range(ROWS)]), "big.osm"


def big_pbf(path) -> tuple[bytes, str]:
    """Return the 50 000 schools as an .osm.pbf (about 60 times smaller than the XML)."""
    osmium = pytest.importorskip("osmium", reason="pyosmium (PyPI 'osmium') writes the .osm.pbf fixture")
    writer = osmium.SimpleWriter(str(path))
    try:
        for i in range(ROWS):
            tags = {"amenity": "school", "name": f"S{i}"}
            writer.add_node(osmium.osm.mutable.Node(id=i + 1, version=1, location=(LON, LAT), tags=tags))
    finally:
        writer.close()
    return path.read_bytes(), "big.osm.pbf"


@pytest.fixture(scope="module")
def big_files(tmp_path_factory) -> dict[str, tuple[bytes, str]]:
    files = {fmt: big_file(fmt) for fmt in ("csv", "geojson", "osm")}
    files["pbf"] = big_pbf(tmp_path_factory.mktemp("pbf") / "big.osm.pbf")
    schools = gpd.GeoDataFrame(
        {"name": [f"S{i}" for i in range(ROWS)], "kind": "school"},
        geometry=gpd.points_from_xy([LON] * ROWS, [LAT] * ROWS),
        crs="EPSG:4326",
    )
    files["gpkg"] = gpkg_bytes(tmp_path_factory.mktemp("gpkg"), {"schools": schools}), "big.gpkg"
    return files


def budgeted(data: bytes, filename: str, layers, budget: Budget):
    return parse_and_preview(
        data, filename, quartiers=layers["quartiers"], existing=layers["facilities"], budget=budget
    )


def test_the_child_gives_what_the_in_process_call_gives(layers):
    data = csv_bytes([["École A", "school", LAT, LON], ["", "school", LAT, LON], ["CSCOM B", "cscom", LAT, LON]])
    here = preview(parse_upload(data, "a.csv", quartiers=layers["quartiers"]), layers["facilities"])
    there = budgeted(data, "a.csv", layers, ROOMY)
    assert there.to_dict() == here.to_dict()
    assert there.counts()["read"] == 3 and len(there.errors) == 1


def test_the_readers_own_refusals_come_back_unchanged(layers):
    with pytest.raises(InvalidParameter) as info:
        budgeted(b"name;kind\nA;school\n", "a.csv", layers, ROOMY)
    assert (info.value.parameter, info.value.code) == ("file", "missing_columns")
    assert "a.csv" in info.value.message


@pytest.mark.parametrize("fmt", ["csv", "geojson", "osm", "pbf", "gpkg"])
def test_a_file_over_the_time_budget_is_refused(big_files, layers, fmt):
    data, name = big_files[fmt]
    with pytest.raises(InvalidParameter) as info:
        budgeted(data, name, layers, Budget(seconds=0.3, memory_mb=1536))
    assert (info.value.parameter, info.value.code) == ("file", "import_too_slow")
    assert name in info.value.message and "0.3 s" in info.value.message and "IMPORT_SECONDS" in info.value.message


@pytest.mark.parametrize("fmt", ["csv", "geojson", "osm", "pbf", "gpkg"])
def test_a_file_over_the_memory_budget_is_refused(big_files, layers, fmt):
    data, name = big_files[fmt]
    with pytest.raises(InvalidParameter) as info:
        budgeted(data, name, layers, Budget(seconds=120.0, memory_mb=40))
    assert (info.value.parameter, info.value.code) == ("file", "import_too_large_in_memory")
    assert name in info.value.message and "40 MB" in info.value.message and "IMPORT_MEMORY_MB" in info.value.message


def test_the_same_big_file_passes_within_the_default_budgets(big_files, layers):
    for fmt in ("osm", "pbf"):
        data, name = big_files[fmt]
        assert budgeted(data, name, layers, Budget.from_settings()).counts()["read"] == ROWS


def test_after_a_timeout_the_child_is_gone_and_no_temporary_file_is_left(
    big_files, layers, tmp_path, monkeypatch, caplog
):
    budgeted(csv_bytes([["A", "school", LAT, LON]]), "a.csv", layers, ROOMY)  # the fork server runs already
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    data, name = big_files["osm"]  # the OSM reader writes the upload and GDAL's files to disk
    with caplog.at_level(logging.WARNING, logger="geo.planning.imports.budget"), pytest.raises(InvalidParameter):
        budgeted(data, name, layers, Budget(seconds=1.0, memory_mb=1536))
    pids = [int(m.group(1)) for r in caplog.records if (m := re.search(r"import child (\d+) killed", r.getMessage()))]
    assert len(pids) == 1
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)
    assert list(tmp_path.iterdir()) == []


def test_budgets_must_be_positive():
    with pytest.raises(InvalidParameter) as info:
        Budget.from_settings({"IMPORT_SECONDS": 0})
    assert info.value.parameter == "IMPORT_SECONDS"
    with pytest.raises(InvalidParameter) as info:
        Budget.from_settings({"IMPORT_MEMORY_MB": -1})
    assert info.value.parameter == "IMPORT_MEMORY_MB"


@pytest.mark.parametrize(
    ("exitcode", "code"),
    [
        (-signal.SIGXCPU, "import_too_slow"),  # past RLIMIT_CPU
        (-signal.SIGKILL, "import_too_large_in_memory"),  # the kernel's out-of-memory killer
        (-signal.SIGSEGV, "import_reader_crashed"),
        (1, "import_reader_crashed"),
    ],
)
def test_a_child_dead_without_a_word_is_a_refusal_naming_why(exitcode, code):
    with pytest.raises(InvalidParameter) as info:
        _outcome(None, exitcode, "x.osm.pbf", ROOMY)
    assert (info.value.parameter, info.value.code) == ("file", code) and "x.osm.pbf" in info.value.message


def test_a_bug_in_the_child_is_logged_and_raised_as_a_server_error(caplog):
    with caplog.at_level(logging.ERROR, logger="geo.planning.imports.budget"), pytest.raises(ImportReaderError):
        _outcome(("error", "Traceback …\nKeyError: 'kind'"), 0, "a.csv", ROOMY)
    assert "KeyError: 'kind'" in caplog.text
