"""Whole-file limits and format selection: 20 MB, 50 000 rows, unknown types, empty files."""

from __future__ import annotations

import pytest

from geo.errors import InvalidParameter
from geo.planning.imports import IMPORT_FORMATS, MAX_BYTES, MAX_ROWS, format_for, parse_upload
from geo.planning.imports.parse import check_size
from tests.geo.imports.samples import csv_bytes, geojson_bytes, ll, point_feature

LON, LAT = ll(500, 500)


def test_limits_are_the_issues():
    assert MAX_BYTES == 20 * 1024 * 1024 and MAX_ROWS == 50_000


def test_files_over_20_mb_are_refused_before_reading(quartiers):
    with pytest.raises(InvalidParameter) as info:
        parse_upload(b"x" * (MAX_BYTES + 1), "big.csv", quartiers=quartiers)
    assert info.value.parameter == "file" and info.value.code == "file_too_large"
    assert "big.csv" in info.value.message and "20 MB" in info.value.message
    check_size(MAX_BYTES, "ok.csv")  # exactly at the limit is accepted


def test_more_than_50000_csv_rows_are_refused(quartiers):
    rows = [[f"S{i}", "school", f"{LAT:.5f}", f"{LON:.5f}"] for i in range(MAX_ROWS + 1)]
    with pytest.raises(InvalidParameter) as info:
        parse_upload(csv_bytes(rows), "many.csv", quartiers=quartiers)
    assert info.value.code == "too_many_rows" and "50,000" in info.value.message


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_row_limit_is_a_parameter(quartiers, fmt):
    if fmt == "csv":
        data, name = csv_bytes([["A", "school", LAT, LON]] * 4), "a.csv"
    else:
        data, name = geojson_bytes([point_feature(LON, LAT, name="A", kind="school")] * 4), "a.geojson"
    assert len(parse_upload(data, name, quartiers=quartiers, max_rows=4).rows) == 4
    with pytest.raises(InvalidParameter) as info:
        parse_upload(data, name, quartiers=quartiers, max_rows=3)
    assert info.value.code == "too_many_rows"


@pytest.mark.parametrize(
    ("filename", "key"),
    [
        ("a.csv", "csv"),
        ("A.CSV", "csv"),
        ("a.txt", "csv"),
        ("a.geojson", "geojson"),
        ("a.json", "geojson"),
        ("a.gpkg", "gpkg"),
        ("mali-latest.osm.pbf", "osm"),
        ("a.pbf", "osm"),
        ("a.osm", "osm"),
    ],
)
def test_format_from_the_file_name(filename, key):
    assert format_for(filename).key == key and key in IMPORT_FORMATS


@pytest.mark.parametrize("filename", ["a.xlsx", "a.shp", "noext", "a.csv.zip"])
def test_unknown_types_list_the_accepted_ones(quartiers, filename):
    with pytest.raises(InvalidParameter) as info:
        parse_upload(b"data", filename, quartiers=quartiers)
    assert info.value.code == "unknown_format" and ".csv" in info.value.message and ".osm.pbf" in info.value.message


@pytest.mark.parametrize("filename", ["a.csv", "a.geojson", "a.gpkg", "a.osm", "a.osm.pbf"])
def test_empty_files_are_a_clear_error(quartiers, filename):
    with pytest.raises(InvalidParameter) as info:
        parse_upload(b"", filename, quartiers=quartiers)
    assert info.value.code == "empty_file"


def test_only_the_base_name_of_the_upload_is_kept(quartiers):
    parsed = parse_upload(csv_bytes([["A", "school", LAT, LON]]), "C:\\Users\\awa\\sites;v2.csv", quartiers=quartiers)
    assert parsed.filename == "sites;v2.csv"
    assert parsed.rows[0]["fields"]["source_refs"] == "import:sites,v2.csv:line 2"  # ";" separates references


def test_every_file_problem_code_is_documented():
    import ast
    from pathlib import Path

    from geo.planning.imports import FILE_PROBLEMS

    raised = set()
    for name in ("readers.py", "parse.py"):
        tree = ast.parse((Path(__file__).parents[3] / "geo" / "planning" / "imports" / name).read_text())
        for node in ast.walk(tree):
            is_call = isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("file_error", "_unreadable")
            if is_call:  # the code is the one plain snake_case constant among the arguments
                raised |= {a.value for a in node.args if isinstance(a, ast.Constant) and "_" in str(a.value)}
    assert len(raised) >= 10 and raised <= set(FILE_PROBLEMS)


def test_a_too_large_osm_extract_is_told_how_to_clip_it():
    with pytest.raises(InvalidParameter) as info:
        check_size(MAX_BYTES * 5, "mali-latest.osm.pbf")
    assert "osmium extract --bbox" in info.value.message


def test_the_clip_hint_covers_the_district():
    import re

    from geo.planning.imports.parse import OSM_CLIP_HINT

    west, south, east, north = map(float, re.search(r"--bbox ([-\d.,]+)", OSM_CLIP_HINT).group(1).split(","))
    # District of Bamako (COD-AB outline), lon/lat: -8.0815, 12.5029, -7.9122, 12.7114
    assert west < -8.0815 and south < 12.5029 and east > -7.9122 and north > 12.7114
