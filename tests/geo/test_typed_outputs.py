"""Every layer in every output reads back with real nulls and the schema's types (geo.schema).

Run over the tiny store and, as an integration test, over the real build from the mirror.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import subprocess
import zipfile
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pyogrio
import pytest
from pyproj import Transformer

from geo.analysis.coverage import formats as cf
from geo.analysis.coverage.service import CoverageState
from geo.publication import exports, package
from geo.publication.ogc import collections, geojson_features
from geo.schema import NULL_TEXTS, SCHEMAS, conform, heading, missing_texts
from geo.store import open_store, read_table, write_store
from geo.vocabulary import LAYERS, METRIC_CRS, STORE_CRS
from tests.conftest import X0, Y0

#: pyogrio dtype names each schema type must read back as (integers with nulls read as float in pandas,
#: so the file's declared field type is checked instead).
FIELD_TYPES = {"int": {"int32", "int64"}, "float": {"float64"}, "bool": {"bool"}, "str": {"object", "str"}}
_INTEGER = re.compile(r"^-?\d+$")


def _artefacts(values: dict) -> dict:
    return {k: v for k, v in values.items() if isinstance(v, str) and v.strip() in NULL_TEXTS}


def check_json_properties(layer: str, properties: list[dict]) -> None:
    """Fail on an artefact text or a value whose JSON type is not the schema's."""
    schema = SCHEMAS[layer]
    for props in properties:
        assert not _artefacts(props), (layer, _artefacts(props))
        for name, column in schema.items():
            value = props.get(name)
            if value is None:
                assert column.nullable, (layer, name, "null in a non-nullable column")
            elif column.type == "int":
                assert type(value) is int, (layer, name, value)
            elif column.type == "bool":
                assert type(value) is bool, (layer, name, value)
            elif column.type == "float":
                assert isinstance(value, int | float) and not isinstance(value, bool), (layer, name, value)
            else:
                assert isinstance(value, str), (layer, name, value)


def check_ogr_file(layer: str, path, *, layer_name: str | None = None, renamed: dict | None = None) -> None:
    """Fail when a GDAL-readable file holds artefact texts or declares a field with another type."""
    info = pyogrio.read_info(path, layer=layer_name)
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    for name, column in SCHEMAS[layer].items():
        field = (renamed or {}).get(name, name)
        assert types[field] in FIELD_TYPES[column.type], (layer, name, types[field])
    frame = pyogrio.read_dataframe(path, layer=layer_name)
    assert not missing_texts(frame.drop(columns="geometry")), (layer, missing_texts(frame))


#: ``PRAGMA application_id`` of a GeoPackage ("GPKG") and the newest ``user_version`` QGIS 3.22 / GDAL 3.6 read
#: without a warning (GeoPackage 1.3.x; GDAL ≥ 3.9 writes 1.4 = 10400 unless told otherwise).
GPKG_APPLICATION_ID = 0x47504B47
NEWEST_GPKG_READ_BY_GDAL_3_6 = 10399


def check_gpkg_version(path) -> None:
    """Fail unless ``path`` is a GeoPackage of version 1.3 or older."""
    with sqlite3.connect(path) as con:
        application_id = con.execute("PRAGMA application_id").fetchone()[0]
        user_version = con.execute("PRAGMA user_version").fetchone()[0]
    con.close()
    assert application_id == GPKG_APPLICATION_ID, (path, hex(application_id))
    assert 10200 <= user_version <= NEWEST_GPKG_READ_BY_GDAL_3_6, (path, user_version)


def check_csv(layer: str, data: bytes) -> None:
    """Fail on artefact texts and on counts written as reals (``12.0``)."""
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    for row in rows:
        bad = {k: v for k, v in row.items() if v.strip() in NULL_TEXTS - {""}}
        assert not bad, (layer, bad)
        for name, column in SCHEMAS[layer].items():
            if column.type == "int" and row[name] != "":
                assert _INTEGER.match(row[name]), (layer, name, row[name])
            if column.type == "bool":
                assert row[name] in ("True", "False"), (layer, name, row[name])


def check_excel_fr_csv(layer: str, data: bytes) -> None:
    """Fail on artefact texts, English booleans, decimal points and counts written as reals (``12,0``)."""
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    for row in rows:
        bad = {k: v for k, v in row.items() if v.strip() in NULL_TEXTS - {""}}
        assert not bad, (layer, bad)
        for name, column in SCHEMAS[layer].items():
            if name == "note_fr":  # the French note is written under « Note »; no second column
                assert heading(name) not in row, (layer, name)
                continue
            value = row[heading(name)]
            if column.type == "int" and value != "":
                assert _INTEGER.match(value), (layer, name, value)
            if column.type == "bool":
                assert value in ("oui", "non"), (layer, name, value)
            if column.type == "float" and value != "":
                assert "." not in value, (layer, name, value)


def check_kml(layer: str, data: bytes) -> None:
    """Fail on artefact texts in ExtendedData and on count fields not declared as integers."""
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    root = ElementTree.fromstring(data)
    declared = {f.get("name"): f.get("type") for f in root.iter("{http://www.opengis.net/kml/2.2}SimpleField")}
    for name, column in SCHEMAS[layer].items():
        if column.type in ("int", "bool") and name in declared:
            assert declared[name] == column.type, (layer, name, declared[name])
    for item in root.iterfind(".//k:SimpleData", ns):
        text = item.text or ""
        assert text.strip() not in NULL_TEXTS, (layer, item.get("name"), text)
        column = SCHEMAS[layer].get(item.get("name"))
        if column is not None and column.type == "int":
            assert _INTEGER.match(text), (layer, item.get("name"), text)
        if column is not None and column.type == "bool":
            assert text in ("0", "1"), (layer, item.get("name"), text)


def check_every_format(atlas, tmp_path) -> None:
    units = exports.unit_pcodes(atlas.layers)
    for layer in LAYERS:
        request = exports.parse_request(layer, units=units)
        for fmt in exports.EXPORT_FORMATS:
            data = exports.export_layer(atlas, request, fmt, column_docs=package.column_docs(layer)).data
            if fmt == "geojson":
                check_json_properties(layer, [f["properties"] for f in json.loads(data)["features"]])
            elif fmt == "csv":
                check_csv(layer, data)
            elif fmt == "fr.csv":
                check_excel_fr_csv(layer, data)
            elif fmt == "kml":
                check_kml(layer, data)
            elif fmt == "gpkg":
                path = tmp_path / f"{layer}.gpkg"
                path.write_bytes(data)
                check_gpkg_version(path)
                check_ogr_file(layer, path)
            else:
                folder = tmp_path / f"{layer}-shp"
                zipfile.ZipFile(io.BytesIO(data)).extractall(folder)
                names = exports.shapefile_field_names(list(SCHEMAS[layer]))
                check_ogr_file(layer, next(folder.glob("*.shp")), renamed=names)


def check_package(atlas, tmp_path) -> None:
    archive = zipfile.ZipFile(io.BytesIO(package.build_package(atlas).data))
    members = {name.split("/", 1)[1]: name for name in archive.namelist()}
    gpkg = tmp_path / "package.gpkg"
    gpkg.write_bytes(archive.read(next(v for k, v in members.items() if k.endswith(".gpkg"))))
    check_gpkg_version(gpkg)
    for layer in LAYERS:
        check_ogr_file(layer, gpkg, layer_name=layer)
        doc = json.loads(archive.read(members[f"geojson/{layer}.geojson"]))
        check_json_properties(layer, [f["properties"] for f in doc["features"]])
        check_csv(layer, archive.read(members[f"csv/{layer}.csv"]))


def check_ogc_items(atlas) -> None:
    for collection in collections(atlas.layers).values():
        features = geojson_features(atlas.layers[collection.layer], collection)
        check_json_properties(collection.layer, [f["properties"] for f in features])


#: Coverage and suggestion fields that count people, facilities or ranks: whole numbers where known.
COVERAGE_COUNTS = re.compile(r"^(pop(_.*)?|facilities(_missing)?(_before|_change)?|rank|gain|cumulative_gain|k|"
                             r"n_candidates|uncovered_before)$")  # fmt: skip


def _check_coverage_record(where: str, record: dict) -> None:
    assert not _artefacts(record), (where, _artefacts(record))
    for name, value in record.items():
        if COVERAGE_COUNTS.match(name) and value is not None:
            assert type(value) is int, (where, name, value)
        if name.startswith("share") and value is not None:
            assert isinstance(value, float | int) and not isinstance(value, bool), (where, name, value)


def _check_coverage_csv(where: str, data: bytes, *, rows_expected: bool = True) -> None:
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows or not rows_expected, where
    for row in rows:
        bad = {k: v for k, v in row.items() if v.strip() in NULL_TEXTS - {""}}
        assert not bad, (where, bad)
        for name, value in row.items():
            if COVERAGE_COUNTS.match(name) and value != "":
                assert _INTEGER.match(value), (where, name, value)


def check_coverage_outputs(atlas, scenarios: list[dict]) -> None:
    """Fail on artefact texts or counts as reals in the coverage and suggestion tables (JSON, CSV, GeoJSON)."""
    state = CoverageState(atlas)
    for args in scenarios:
        for unit in ("quartier", "commune", "district"):
            query = state.parse({**args, "unit": unit})
            table = state.table(query)
            where = f"coverage {args} {unit}"
            for record in json.loads(cf.to_json({"units": cf.records(table)}))["units"]:
                _check_coverage_record(where, record)
            _check_coverage_csv(where, cf.to_csv(table))
            geo = json.loads(cf.to_geojson(table, state.unit_geometry[unit], {}))
            for feature in geo["features"]:
                _check_coverage_record(where, feature["properties"])
        query = state.parse(args)
        frame = cf.suggestions_frame(state.suggest(query, 3))
        for record in cf.records(frame):
            _check_coverage_record(f"suggest {args}", record)
        _check_coverage_csv(f"suggest {args}", cf.to_csv(frame), rows_expected=False)  # everyone may be covered
        info = state.scenario_info(query)
        for entry in info["add"] + info["remove"]:
            _check_coverage_record(f"scenario {args}", entry)


def check_store(atlas) -> None:
    for layer in LAYERS:
        frame = atlas.layers[layer]
        assert not missing_texts(frame.drop(columns="geometry")), (layer, missing_texts(frame))
        for name, column in SCHEMAS[layer].items():
            dtype = frame[name].dtype
            if column.type == "int":
                assert str(dtype) == "Int64", (layer, name, dtype)
            elif column.type == "bool":
                assert dtype is np.dtype(bool), (layer, name, dtype)


def test_tiny_store_outputs_are_clean_and_typed(tiny_store, tmp_path):
    check_gpkg_version(tiny_store)
    atlas = open_store(tiny_store)
    check_store(atlas)
    check_every_format(atlas, tmp_path)
    check_package(atlas, tmp_path)
    check_ogc_items(atlas)
    lon, lat = Transformer.from_crs(METRIC_CRS, STORE_CRS, always_xy=True).transform(X0 + 1500, Y0 + 500)
    scenarios = [{"kind": "cscom"}, {"kind": "cscom", "remove": "dnacpn-01", "add": f"{lon:.6f},{lat:.6f}"},
                 {"kind": "sports", "threshold_m": "500"}]  # fmt: skip
    check_coverage_outputs(atlas, scenarios)


def test_tiny_store_counts_read_back_as_integers(tiny_store, tmp_path):
    atlas = open_store(tiny_store)
    request = exports.parse_request("facilities", units=exports.unit_pcodes(atlas.layers))
    doc = json.loads(exports.export_layer(atlas, request, "geojson").data)
    props = {f["id"]: f["properties"] for f in doc["features"]}
    assert props["dnacpn-01"]["quartier_pcode"] == "ML090101001"
    assert props["lieu-claec-commune-ii"]["quartier_pcode"] is None
    assert props["dnacpn-01"]["note"] is None and props["dnacpn-01"]["in_analysis"] is True


@pytest.mark.integration
def test_real_build_outputs_are_clean_and_typed(real_store, tmp_path):
    check_gpkg_version(real_store)
    atlas = open_store(real_store)
    check_store(atlas)
    fac = atlas.layers["facilities"]
    assert fac["beds"].notna().any() and fac["pupils"].notna().any()  # the counts are there, as integers
    check_every_format(atlas, tmp_path)
    check_package(atlas, tmp_path)
    check_ogc_items(atlas)
    check_coverage_outputs(atlas, [{"kind": "cscom"}, {"kind": "claec"}, {"kind": "health", "add": "-7.95,12.60"}])


def test_conform_turns_artefacts_into_nulls_and_counts_into_integers():
    frame = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "name": ["", "<NA>", "Centre"],
            "beds": [12.0, None, 3.0],
            "pupils": ["<NA>", "", "250"],
            "in_analysis": ["true", "False", True],
        }
    )
    out = conform(frame, "facilities")
    assert out["name"].tolist() == [None, None, "Centre"]
    assert str(out["beds"].dtype) == "Int64" and out["beds"].tolist() == [12, pd.NA, 3]
    assert out["pupils"].tolist() == [pd.NA, pd.NA, 250]
    assert out["in_analysis"].tolist() == [True, False, True] and out["in_analysis"].dtype == bool


def test_conform_refuses_a_fractional_count():
    with pytest.raises(ValueError, match="beds"):
        conform(pd.DataFrame({"beds": [1.5]}), "facilities")


def test_plain_tables_of_the_store_hold_real_nulls(tiny_store):
    report = pd.DataFrame({"status": ["sheet_only"], "sheet_id": ["dnacpn-02"], "survey_id": [""], "note": ["<NA>"]})
    path = tiny_store.parent / "tables.gpkg"
    meta = {"build_id": "t", "built_at": "2026-11-29T00:00:00+00:00"}
    write_store(path, {"communes": open_store(tiny_store)["communes"]}, meta, tables={"cscom_reconciliation": report})
    back = read_table(path, "cscom_reconciliation")
    assert back.loc[0, "survey_id"] is None and back.loc[0, "note"] is None and back.loc[0, "status"] == "sheet_only"


def test_gdal_3_6_opens_every_exported_geopackage_without_a_warning(tiny_store, tmp_path):
    """QGIS 3.22 / GDAL 3.6 (Debian 12's ``gdal-bin``, installed by scripts/setup) open the files silently."""
    ogrinfo = shutil.which("ogrinfo")
    if ogrinfo is None:
        pytest.skip("GDAL's ogrinfo is not installed (Debian: apt-get install gdal-bin)")
    atlas = open_store(tiny_store)
    files = {"store": tiny_store}
    request = exports.parse_request("facilities", units=exports.unit_pcodes(atlas.layers))
    (tmp_path / "facilities.gpkg").write_bytes(exports.export_layer(atlas, request, "gpkg").data)
    files["export"] = tmp_path / "facilities.gpkg"
    archive = zipfile.ZipFile(io.BytesIO(package.build_package(atlas).data))
    (tmp_path / "package.gpkg").write_bytes(archive.read(next(n for n in archive.namelist() if n.endswith(".gpkg"))))
    files["package"] = tmp_path / "package.gpkg"
    for what, path in files.items():
        run = subprocess.run([ogrinfo, "-ro", "-so", str(path)], capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, (what, run.stderr)
        assert "Warning" not in run.stdout + run.stderr, (what, run.stdout + run.stderr)
        assert "facilities" in run.stdout, (what, run.stdout)
