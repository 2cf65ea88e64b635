"""The French-Excel CSV dialect: separator, decimal comma, French headings, oui/non, BOM."""

from __future__ import annotations

import csv
import io

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from geo.publication import exports
from geo.schema import HEADINGS, SCHEMAS


def test_cells_follow_the_french_dialect():
    table = pd.DataFrame(
        {
            "name": ["Centre; Nord", None],
            "beds": pd.array([12, None], dtype="Int64"),
            "area_km2": [0.6089, 2.0],
            "in_analysis": [True, False],
        }
    )
    data = exports.excel_fr(table)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel detects the encoding
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == "Nom;Lits;Superficie (km²);Dans les analyses"
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1] == ["Centre; Nord", "12", "0,6089", "oui"]
    assert rows[2] == ["", "", "2", "non"]
    assert "\r\n" in text


def test_every_published_column_has_a_french_heading():
    columns = {c for schema in SCHEMAS.values() for c in schema}
    assert columns <= set(HEADINGS), columns - set(HEADINGS)


def test_the_format_is_in_the_registry():
    frame = gpd.GeoDataFrame(
        {"id": ["a"], "kind": ["cscom"], "beds": pd.array([3], dtype="Int64"), "in_analysis": np.array([True])},
        geometry=[Point(-8.0, 12.6)],
        crs="EPSG:4326",
    )
    spec = exports.format_or_raise("fr.csv")
    assert spec.extension == ".fr.csv"
    text = spec.write(frame, exports.ExportContext(layer="facilities", name="x")).decode("utf-8-sig")
    assert text.splitlines() == [
        "Identifiant;Type;Lits;Dans les analyses;Longitude;Latitude",
        "a;Centre de santé communautaire (CSCOM);3;oui;-8;12,6",
    ]


def test_the_french_file_writes_the_french_note_and_the_plain_csv_both():
    frame = gpd.GeoDataFrame(
        {"id": ["lieu-a", "sante-1"], "note": ["Exact site unknown.", "surveyed 2 times"],
         "note_fr": ["Emplacement précis inconnu.", None]},
        geometry=[Point(-8.0, 12.6), Point(-8.0, 12.61)],
        crs="EPSG:4326",
    )  # fmt: skip
    ctx = exports.ExportContext(layer="facilities", name="x")
    prepared = exports.prepare(frame, "facilities")
    assert prepared["note_fr"].tolist() == ["Emplacement précis inconnu.", "relevé 2 fois par l'enquête"]
    french = exports.format_or_raise("fr.csv").write(prepared, ctx).decode("utf-8-sig").splitlines()
    assert french == ["Identifiant;Note;Longitude;Latitude", "lieu-a;Emplacement précis inconnu.;-8;12,6",
                      "sante-1;relevé 2 fois par l'enquête;-8;12,61"]  # fmt: skip
    plain = exports.format_or_raise("csv").write(prepared, ctx).decode("utf-8-sig").splitlines()
    assert plain[0] == "id,note,note_fr,lon,lat" and plain[1].startswith("lieu-a,Exact site unknown.,Emplacement")


def test_notes_references_and_hours_read_in_french():
    frame = gpd.GeoDataFrame(
        {"id": ["a"], "opening_hours": ["Mo-Fri 08:00-17:00; other"], "note": ["survey point 39 m away"],
         "source_refs": ["row 55;row 0201"]},
        geometry=[Point(-8.0, 12.6)], crs="EPSG:4326",
    )  # fmt: skip
    text = exports.format_or_raise("fr.csv").write(frame, exports.ExportContext(layer="facilities", name="x"))
    rows = list(csv.DictReader(io.StringIO(text.decode("utf-8-sig")), delimiter=";"))
    assert rows[0]["Horaires"] == "lun.–ven. 08:00–17:00 ; autres horaires"
    assert rows[0]["Note"] == "point de l'enquête à 39 m"
    assert rows[0]["Références dans les sources"] == "ligne 55 ; ligne 0201"
    plain = exports.format_or_raise("csv").write(frame, exports.ExportContext(layer="facilities", name="x"))
    assert b"survey point 39 m away" in plain and b"Mo-Fri 08:00-17:00; other" in plain  # the standard CSV as written
