"""Exports: every format read back and compared with the store; filters, names, safety; the package."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import Point

from geo import files
from geo.analysis import population
from geo.errors import FormatNotFound, InvalidParameter, LayerNotFound, UnitNotFound
from geo.pipeline import quality, sources
from geo.publication import exports, package
from geo.schema import conform, heading
from geo.store import Atlas, open_store
from geo.vocabulary import (
    ATTRIBUTION,
    COMMUNE_COLUMNS,
    CONFIDENCES,
    FACILITY_COLUMNS,
    JOIN_STATUSES,
    KINDS,
    LAYERS,
    PRECISIONS,
    QA_COLUMNS,
    QUARTIER_COLUMNS,
    STORE_LAYERS,
)

TOL = 1e-6
NASTY = ['=HYPERLINK("http://x")', "+33 1", "-2+3", "@SUM(A1)", "\tTab", "\rCR", "<script>alert(1)</script> & ]]>"]


@pytest.fixture
def atlas(tiny_store) -> Atlas:
    return open_store(tiny_store)


def run(atlas: Atlas, name: str, fmt: str, **filters) -> exports.Export:
    request = exports.parse_request(name, units=exports.unit_pcodes(atlas.layers), **filters)
    return exports.export_layer(atlas, request, fmt, title="Titre", column_docs=package.column_docs(request.layer))


def read_back(export: exports.Export, tmp_path: Path):
    """Return the export read with pyogrio (CSV with the csv module, as a spreadsheet would)."""
    if export.filename.endswith(".csv"):
        text = export.data.decode("utf-8-sig")
        delimiter = ";" if export.filename.endswith(".fr.csv") else ","
        return pd.DataFrame(list(csv.DictReader(io.StringIO(text), delimiter=delimiter)))
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / export.filename
    path.write_bytes(export.data)
    if export.filename.endswith(".shp.zip"):
        with zipfile.ZipFile(path) as archive:
            archive.extractall(tmp_path / "shp")
        (path,) = (tmp_path / "shp").glob("*.shp")
    return pyogrio.read_dataframe(path)


def xy(frame) -> np.ndarray:
    return np.column_stack([shapely.get_x(frame.geometry.to_numpy()), shapely.get_y(frame.geometry.to_numpy())])


# --------------------------------------------------------------------------- formats read back


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "kml", "shp.zip"])
def test_facilities_read_back_match_the_store(atlas, tmp_path, fmt):
    store = atlas["facilities"]
    back = read_back(run(atlas, "facilities", fmt), tmp_path)
    assert len(back) == len(store)
    names = back["Name"] if fmt == "kml" else back["name"]  # KML carries the name as <name>
    assert list(names) == list(store["name"])
    np.testing.assert_allclose(xy(back), xy(store), atol=TOL)
    assert list(back["kind"]) == list(store["kind"])
    if fmt != "kml":  # LIBKML renames an "id" attribute (it clashes with Placemark@id)
        assert list(back["id"]) == list(store["id"])


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp.zip"])
def test_polygon_layers_read_back_match_the_store(atlas, tmp_path, fmt):
    for layer in ("communes", "quartiers"):
        store = atlas[layer]
        back = read_back(run(atlas, layer, fmt), tmp_path / layer / fmt)
        if fmt == "shp.zip":  # 10-character dBase names, as listed in fields.csv
            back = back.rename(columns={v: k for k, v in exports.shapefile_field_names(store.columns).items()})
        assert list(back["pcode"]) == list(store["pcode"])
        assert list(back["pop_estimate"].astype(int)) == list(store["pop_estimate"])
        # Same shapes to the rounding of the coordinates (1e-6° ≈ 0.1 m).
        assert all(shapely.hausdorff_distance(back.geometry.to_numpy(), store.geometry.to_numpy()) < TOL)


def test_qa_findings_in_every_format(atlas, tmp_path):
    for fmt in exports.EXPORT_FORMATS:
        back = read_back(run(atlas, "qa_findings", fmt), tmp_path / fmt)
        assert len(back) == len(atlas["qa_findings"]) == 1
        assert "duplicate" in back.astype(str).to_numpy()


def test_geojson_is_rfc7946(atlas):
    data = run(atlas, "quartiers", "geojson").data
    doc = json.loads(data)
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert [f["id"] for f in doc["features"]] == list(atlas["quartiers"]["pcode"])
    for feature in doc["features"]:
        ring = feature["geometry"]["coordinates"][0]
        assert shapely.LinearRing(ring).is_ccw  # exterior rings counter-clockwise
        for lon, lat in ring:
            assert -180 <= lon <= 180 and -90 <= lat <= 90  # lon first
            assert len(repr(lon).split(".")[-1]) <= 6 and len(repr(lat).split(".")[-1]) <= 6
    first = doc["features"][0]["properties"]
    assert first == {**first, "pcode": "ML090101001", "name": "Faladjè", "pop_estimate": 6000, "area_km2": 1.0}


def test_geojson_properties_are_json_safe():
    table = {"id": ["a", "b"], "beds": [np.nan, 3.0], "in_analysis": np.array([True, False]),
             "pupils": [np.inf, 2], "n": np.array([1, 2], dtype=np.int64)}  # fmt: skip
    frame = exports.prepare(gpd.GeoDataFrame(table, geometry=[Point(-8, 12.6), None], crs="EPSG:4326"))
    text = exports.to_geojson(frame, exports.ExportContext(layer="facilities", name="x")).decode()
    assert "NaN" not in text and "Infinity" not in text
    features = json.loads(text)["features"]
    assert features[0]["properties"] == {"id": "a", "beds": None, "in_analysis": True, "pupils": None, "n": 1}
    assert features[1]["properties"]["in_analysis"] is False and features[1]["geometry"] is None


def test_csv_has_bom_lonlat_and_wkt_for_polygons(atlas):
    points = run(atlas, "facilities", "csv").data
    assert points.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(points.decode("utf-8-sig"))))
    assert [r["id"] for r in rows] == list(atlas["facilities"]["id"])
    np.testing.assert_allclose([[float(r["lon"]), float(r["lat"])] for r in rows], xy(atlas["facilities"]), atol=TOL)
    assert "wkt" not in rows[0]
    polygons = list(csv.DictReader(io.StringIO(run(atlas, "quartiers", "csv").data.decode("utf-8-sig"))))
    for row, geom in zip(polygons, atlas["quartiers"].geometry, strict=True):
        assert shapely.hausdorff_distance(shapely.from_wkt(row["wkt"]), geom) < TOL
        assert geom.contains(Point(float(row["lon"]), float(row["lat"])))
    assert polygons[0]["name"] == "Faladjè"


def with_names(atlas: Atlas, names: list[str]) -> Atlas:
    facilities = atlas["facilities"].copy()
    facilities["name"] = (names * len(facilities))[: len(facilities)]
    return Atlas(layers={**atlas.layers, "facilities": facilities}, meta=atlas.meta)


def test_csv_cells_cannot_run_as_formulas(atlas):
    nasty = with_names(atlas, NASTY[:5])
    rows = list(csv.DictReader(io.StringIO(run(nasty, "facilities", "csv").data.decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == ["'" + n for n in NASTY[:5]]
    assert all(float(r["lon"]) < 0 for r in rows)  # negative numbers stay numbers
    assert exports.defuse_formula(pd.Series(["\rx", "ok", None, 5], dtype=object)).tolist() == ["'\rx", "ok", None, 5]


def test_kml_names_with_markup_stay_text(atlas):
    names = [NASTY[-1], "Pharmacie <b>Kanu</b>", 'Stade "26 Mars" & co']
    data = run(with_names(atlas, names), "facilities", "kml").data
    assert b"<script>" not in data and b"<b>" not in data
    root = ElementTree.fromstring(data)
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    placemarks = root.findall(".//k:Placemark", ns)
    assert [p.find("k:name", ns).text for p in placemarks] == (names * 2)[:5]
    assert not root.findall(".//k:b", ns) and not root.findall(".//k:script", ns)
    document = root.find("k:Document", ns)
    assert document.find("k:description", ns).text == exports.ATTRIBUTION
    assert document.find("k:name", ns).text == "Titre"


def test_shapefile_zip_documents_its_field_names(atlas, tmp_path):
    data = run(atlas, "facilities", "shp.zip").data
    archive = zipfile.ZipFile(io.BytesIO(data))
    stem = "bamako-facilities-2026-11-29"
    assert {f"{stem}.{ext}" for ext in ("shp", "shx", "dbf", "prj", "cpg")} <= set(archive.namelist())
    assert archive.read(f"{stem}.cpg").decode().strip().upper() in ("UTF-8", "UTF8")
    fields = list(csv.DictReader(io.StringIO(archive.read("fields.csv").decode("utf-8-sig"))))
    assert [f["column"] for f in fields] == list(FACILITY_COLUMNS)
    assert all(len(f["field"]) <= 10 for f in fields)
    assert {f["column"]: f["field"] for f in fields}["location_precision"] == "location_p"
    assert all(f["definition_fr"] and f["definition_en"] for f in fields)
    assert "fields.csv" in archive.read("README.txt").decode()
    back = read_back(run(atlas, "facilities", "shp.zip"), tmp_path)
    assert list(back.columns[:-1]) == [f["field"] for f in fields]
    assert "École Niaréla" in set(back["name"])


def test_shapefile_cuts_long_texts_visibly_and_keeps_utf8(atlas, tmp_path, recwarn):
    facilities = atlas["facilities"].copy()
    facilities["note"] = ["é" * 300, "x" * 254, "", "court", "ü" * 127]
    export = run(Atlas(layers={**atlas.layers, "facilities": facilities}, meta=atlas.meta), "facilities", "shp.zip")
    notes = list(read_back(export, tmp_path)["note"].fillna(""))
    assert notes[0] == "é" * 125 + "…" and len(notes[0].encode()) <= 254
    assert notes[1:] == ["x" * 254, "", "court", "ü" * 127]
    assert not [w for w in recwarn if "truncated" in str(w.message)]


def test_shapefile_field_names_are_unique_and_short():
    names = exports.shapefile_field_names(["commune_pcode_a", "commune_pcode_b", "Commune_pc", "id"])
    assert names == {
        "commune_pcode_a": "commune_pc",
        "commune_pcode_b": "commune__1",
        "Commune_pc": "Commune__2",
        "id": "id",
    }


@pytest.mark.parametrize("fmt", list(exports.EXPORT_FORMATS))
def test_an_empty_selection_is_a_valid_file(atlas, tmp_path, fmt):
    export = run(atlas, "facilities", fmt, kind="cscom", quartier="ML090102001")
    assert export.count == 0
    assert len(read_back(export, tmp_path)) == 0


# --------------------------------------------------------------------------- requests, filters, names


def test_filters_select_the_right_features(atlas):
    def ids(name, **filters):
        return [f["id"] for f in json.loads(run(atlas, name, "geojson", **filters).data)["features"]]

    assert ids("cscom") == ids("facilities", kind="cscom") == ["dnacpn-01"]
    assert ids("facilities", kind="pharmacy,cscom") == ["dnacpn-01", "sante-0001"]
    assert ids("facilities", kind=["pharmacy", "school"]) == ["sante-0001", "educ-0001"]
    assert ids("facilities", commune="ml090102") == ["lieu-claec-commune-ii", "lieu-stade"]
    assert ids("facilities", quartier="ML090101002") == ["educ-0001"]
    assert ids("quartiers", commune="ML090101") == ["ML090101001", "ML090101002"]
    lon, lat = xy(atlas["facilities"])[2]
    assert ids("facilities", bbox=f"{lon - 1e-4},{lat - 1e-4},{lon + 1e-4},{lat + 1e-4}") == ["educ-0001"]


def test_kind_order_and_case_do_not_change_the_selection(atlas):
    units = exports.unit_pcodes(atlas.layers)
    a = exports.parse_request("facilities", units=units, kind="school,cscom", commune="ml090101")
    b = exports.parse_request("facilities", units=units, kind=" cscom , school", commune="ML090101")
    assert a == b and a.key() == b.key() and a.kinds == ("cscom", "school")


@pytest.mark.parametrize(
    ("name", "filters", "error", "words"),
    [
        ("nope", {}, LayerNotFound, ["'nope'", "communes", "cscom"]),
        ("facilities", {"kind": "cscom,spa"}, LayerNotFound, ["'spa'", "claec"]),
        ("facilities", {"commune": "ML090199"}, UnitNotFound, ["'ML090199'", "ML090101, ML090102"]),
        ("quartiers", {"quartier": "ML0901"}, UnitNotFound, ["'ML0901'", "ML090101001"]),
        ("facilities", {"bbox": "1,2,3"}, InvalidParameter, ["bbox", "minlon,minlat,maxlon,maxlat"]),
        ("facilities", {"bbox": "a,b,c,d"}, InvalidParameter, ["bbox"]),
        ("communes", {"kind": "cscom"}, InvalidParameter, ["kind", "communes"]),
        ("qa_findings", {"quartier": "ML090101001"}, InvalidParameter, ["quartier"]),
        ("cscom", {"kind": "school"}, InvalidParameter, ["kind", "cscom"]),
    ],
)
def test_bad_requests_name_the_value_and_the_allowed_ones(atlas, name, filters, error, words):
    with pytest.raises(error) as info:
        exports.parse_request(name, units=exports.unit_pcodes(atlas.layers), **filters)
    for word in words:
        assert word in str(info.value)


def test_unknown_format_lists_the_formats():
    with pytest.raises(FormatNotFound, match="'xls'.*geojson, gpkg, csv, fr.csv, kml, shp.zip"):
        exports.format_or_raise("xls")


@pytest.mark.parametrize(
    ("name", "filters", "fmt", "filename"),
    [
        ("cscom", {}, "geojson", "bamako-cscom-2026-11-29.geojson"),
        ("facilities", {"kind": "cscom"}, "csv", "bamako-cscom-2026-11-29.csv"),
        ("facilities", {"kind": "claec,cscom"}, "kml", "bamako-facilities-cscom-claec-2026-11-29.kml"),
        ("quartiers", {"commune": "ML090101"}, "gpkg", "bamako-quartiers-commune-ml090101-2026-11-29.gpkg"),
        ("qa_findings", {}, "shp.zip", "bamako-qa-findings-2026-11-29.shp.zip"),
        ("plateau_sportif", {"bbox": "-9,12,-7,13"}, "geojson", "bamako-plateau-sportif-bbox-2026-11-29.geojson"),
    ],
)
def test_file_names_carry_the_selection_and_the_build_date(atlas, name, filters, fmt, filename):
    assert run(atlas, name, fmt, **filters).filename == filename


def test_gpkg_layer_is_named_after_the_selection(atlas, tmp_path):
    path = tmp_path / "x.gpkg"
    path.write_bytes(run(atlas, "cscom", "gpkg").data)
    assert [name for name, _ in pyogrio.list_layers(path)] == ["cscom"]


def test_write_atomic_never_leaves_a_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "out.geojson"
    target.write_bytes(b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError):
        exports.write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.geojson"]
    monkeypatch.undo()
    assert exports.write_atomic(target, b"new").read_bytes() == b"new"
    with pytest.raises(InvalidParameter, match="output"):
        exports.write_atomic(tmp_path / "missing" / "x.csv", b"")


# --------------------------------------------------------------------------- the partner package


def test_package_contents(atlas, tmp_path):
    result = package.build_package(atlas, lang="fr")
    assert result.filename == "bamako-atlas-fr-2026-11-29.zip"
    archive = zipfile.ZipFile(io.BytesIO(result.data))
    root = "bamako-atlas-2026-11-29/"
    expected = {root + "README.md", root + "bamako-atlas-2026-11-29.gpkg", root + "metadata.json"}
    expected |= {f"{root}geojson/{layer}.geojson" for layer in LAYERS} | {f"{root}csv/{layer}.csv" for layer in LAYERS}
    assert set(archive.namelist()) == expected
    gpkg = tmp_path / "atlas.gpkg"
    gpkg.write_bytes(archive.read(root + "bamako-atlas-2026-11-29.gpkg"))
    assert {name for name, _ in pyogrio.list_layers(gpkg)} == set(LAYERS)
    for layer in LAYERS:
        assert len(pyogrio.read_dataframe(gpkg, layer=layer)) == len(atlas[layer])
        assert len(json.loads(archive.read(f"{root}geojson/{layer}.geojson"))["features"]) == len(atlas[layer])
        text = archive.read(f"{root}csv/{layer}.csv").decode("utf-8-sig")
        assert len(list(csv.DictReader(io.StringIO(text)))) == len(atlas[layer])
    meta = json.loads(archive.read(root + "metadata.json"))
    assert meta["build"]["build_id"] == "test-build-1" and meta["attribution"] == exports.ATTRIBUTION


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_readme_documents_sources_columns_and_assumptions(atlas, lang):
    text = package.readme(atlas, lang=lang)
    for source in sources.registry().values():
        assert source.sha256 in text and source.url in text and source.licence in text and source.attribution in text
        assert "/467ba2b7e774ef7b63a1f81446c64ebdedc4bb00/" in source.url
    for layer in LAYERS:
        for column in package.COLUMNS[layer]:
            assert f"`{column}`" in text
    for kind in KINDS:
        assert f"`{kind}`" in text
    assert "4 227 569" in text and "2026-11-29" in text and "2009" in text
    assert "pop_estimate / area_km2" in text and "10 000" in text
    assert ("habitants par km²" if lang == "fr" else "inhabitants per km²") in text
    assert ATTRIBUTION(lang) in text


def test_readme_names_the_commune_projection_and_both_scores(atlas):
    atlas.meta["population"] = {
        "year": 2022,
        "total": 4227569,
        "method": "dasymetric",
        "commune_method": "growth",
        "holdout_mape": {"areal": 123.4, "dasymetric": 96.9},
        "loo_mape": {"areal": 123.4, "dasymetric": 103.3},
    }
    text = package.readme(atlas, lang="en")
    assert "own 1998–2009 growth" in text
    assert "In-sample validation error" in text and "areal 123.4, dasymetric 96.9" in text
    assert "Out-of-sample error (leave-one-out" in text and "dasymetric 103.3" in text
    assert "hors échantillon" in package.readme(atlas, lang="fr")


def test_readme_languages_differ_and_others_are_refused(atlas):
    assert package.readme(atlas, lang="fr").startswith("# Atlas de Bamako")
    assert package.readme(atlas, lang="en").startswith("# Bamako Atlas")
    with pytest.raises(InvalidParameter, match="lang"):
        package.readme(atlas, lang="de")


def test_every_column_and_coded_value_is_documented():
    model = {"communes": COMMUNE_COLUMNS, "quartiers": QUARTIER_COLUMNS, "facilities": FACILITY_COLUMNS,
             "qa_findings": QA_COLUMNS}  # fmt: skip
    assert {layer: tuple(package.COLUMNS[layer]) for layer in LAYERS} == model
    for layer in LAYERS:
        assert STORE_LAYERS[layer].title.en and STORE_LAYERS[layer].description.fr
    vocab = package.VOCABULARIES
    assert tuple(vocab["location_precision"]) == PRECISIONS
    assert tuple(vocab["join_status"]) == JOIN_STATUSES
    assert tuple(vocab["confidence"]) == CONFIDENCES
    assert set(vocab["check"]) == set(quality.CHECKS)
    assert set(vocab["pop_method"]) == set(population.QUARTIER_METHODS)


@pytest.mark.parametrize("layer", LAYERS)
def test_gpkg_and_geojson_attributes_equal_the_store(atlas, tmp_path, layer):
    store = pd.DataFrame(atlas[layer].drop(columns="geometry"))
    for fmt in ("gpkg", "geojson"):
        back = pd.DataFrame(read_back(run(atlas, layer, fmt), tmp_path / fmt).drop(columns="geometry"))
        # GDAL reads a null text as NaN and an integer column with nulls as reals: type it as the store is.
        pd.testing.assert_frame_equal(conform(back[store.columns], layer), store, check_dtype=False)


@pytest.mark.integration
def test_real_store_round_trips_in_every_format(real_store, tmp_path):
    atlas = open_store(real_store)
    for layer in LAYERS:
        store = atlas[layer]
        for fmt in exports.EXPORT_FORMATS:
            scope = {"scope": "all"} if layer == "facilities" else {}  # the whole layer, outside points too
            back = read_back(run(atlas, layer, fmt, **scope), tmp_path / layer / fmt)
            assert len(back) == len(store), (layer, fmt)
            if fmt == "shp.zip":
                back = back.rename(columns={v: k for k, v in exports.shapefile_field_names(store.columns).items()})
            if fmt == "fr.csv":  # French headings
                back = back.rename(columns={heading(c): c for c in [*store.columns, "lon", "lat", "wkt"]})
            columns = set(back.columns) - {"geometry", "lon", "lat", "wkt", "Name", "Name2", "id2", "description", "timestamp",
                                           "begin", "end", "altitudeMode", "tessellate", "extrude", "visibility",
                                           "drawOrder", "icon"}  # fmt: skip
            if fmt in ("geojson", "kml"):
                columns -= {"id"}  # GDAL reads the feature / Placemark id as a field
            assert columns <= set(store.columns), (layer, fmt, columns - set(store.columns))  # nothing else leaks
            if layer == "facilities" and fmt in ("geojson", "gpkg", "shp.zip"):
                assert list(back["id"]) == list(store["id"])
                np.testing.assert_allclose(xy(back), xy(store), atol=TOL)
    assert package.build_package(atlas, lang="en").count == sum(len(atlas[layer]) for layer in LAYERS)
