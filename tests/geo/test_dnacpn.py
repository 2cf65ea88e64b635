"""DNACPN CSCOM sheet: blocks, populations, coordinates from text, duplicates, on a tiny sheet and the mirror."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Point

from geo.errors import DataError
from geo.pipeline.ingest.dnacpn import EXTRA_COLUMNS, read_dnacpn
from geo.pipeline.sources import registry
from geo.vocabulary import METRIC_CRS, SOURCE_FACILITY_COLUMNS, STORE_CRS

# (Communes, Population, Cscom, Latitudes, Longitudes): one block per commune as in the real sheet.
ROWS = [
    ("I", 1000.0, "ASACOKOSA", "12°40'7.212\"N", "7°57'14.123\"W"),
    (None, None, "ASACO Boul 2", None, None),
    (None, None, "ASACOSO", "12°39'9.547\"N", "7° 55' 9.818\" W"),
    ("II", 2000.0, "ABOSAC", "12°38'28.3\"N ", "7°59'24.6\"W"),
    ("III", 3000.0, "ASACODES", "12°39'46.08\"N", "8°1'56.802\"W"),
    ("IV", 4000.0, "ASACOLA 1", "12°37'11.262\"N", "8°2'0.28\"W"),
    ("V", 5000.0, "ASACODA", "12°36'2.898\"N", "7°58'39.263\"W"),
    (None, None, "ASACOBADALA ", "12°36'41.641\"N", "7°58'52.151\"W"),
    ("VI", 6000.0, "ASACOSO", "12°36'7.6\"N", "7°57'28.588\"W"),  # same name as row 3, 7 km away
    (None, None, "ASACODA", "12°36'2.912\"N", "7°58'39.256\"W"),  # row 7 again, under Commune VI
    ("Dialakorodji", 47486.0, "ASACODIA ", "12°42'30.949\"N", "7°58'7.345\"W"),
    (None, None, "extension1", "12°43'05.5\"N ", "7°58'58.1\"W"),
    (None, None, None, None, None),  # totals row
]


def write_sheet(path: Path, rows=ROWS) -> Path:
    """Write a sheet GeoPackage; its point geometry is deliberately wrong (0, 0) to prove the text is used."""
    columns = ["Communes", "Population", "Cscom", "Latitudes", "Longitudes"]
    frame = gpd.GeoDataFrame(
        {c: [r[i] for r in rows] for i, c in enumerate(columns)} | {"Latrines": ["oui"] * len(rows)},
        geometry=[Point(0, 0)] * len(rows),
        crs=STORE_CRS,
    )
    pyogrio.write_dataframe(frame, path, driver="GPKG")
    return path


@pytest.fixture
def sheet(tmp_path):
    return read_dnacpn(write_sheet(tmp_path / "sheet.gpkg"))


def test_schema_ids_and_strings(sheet):
    cscoms = sheet.cscoms
    assert list(cscoms.columns) == [*SOURCE_FACILITY_COLUMNS, *EXTRA_COLUMNS, "geometry"]
    assert str(cscoms.crs) == STORE_CRS
    assert cscoms["id"].tolist() == [f"dnacpn-{n:02d}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12)]
    assert set(cscoms["kind"]) == {"cscom"} and set(cscoms["sources"]) == {"dnacpn_cscom"}
    assert cscoms.loc[cscoms["id"] == "dnacpn-08", "name"].item() == "ASACOBADALA"  # trailing space trimmed
    text = [c for c in cscoms.columns if c not in ("beds", "doctors", "nurses", "pupils", "geometry")]
    assert not cscoms[text].isna().any().any()
    assert cscoms["quartier_declared"].eq("").all() and cscoms["asaco_code"].eq(cscoms["name"]).all()


def test_commune_is_forward_filled(sheet):
    by_id = sheet.cscoms.set_index("id")
    assert by_id.loc["dnacpn-03", "commune_declared"] == "Commune I"
    assert by_id.loc["dnacpn-08", "commune_declared"] == "Commune V"
    assert by_id.loc["dnacpn-08", "commune_pcode_sheet"] == "ML090105"
    # Kati-cercle communes keep their name and no District P-code.
    assert by_id.loc["dnacpn-12", "commune_declared"] == "Dialakorodji"
    assert by_id.loc["dnacpn-12", "commune_pcode_sheet"] == ""
    assert sheet.district_rows == 10


def test_populations(sheet):
    assert sheet.pop_2009 == {f"ML09010{i}": i * 1000 for i in range(1, 7)}
    assert sheet.pop_2009_outside == {"Dialakorodji": 47486}


def test_totals_row_is_dropped_and_counted(sheet):
    assert sheet.dropped_rows == [13]


def test_coordinates_come_from_the_text(sheet):
    by_id = sheet.cscoms.set_index("id")
    point = by_id.loc["dnacpn-01", "geometry"]
    assert point.y == pytest.approx(12 + 40 / 60 + 7.212 / 3600, abs=1e-12)
    assert point.x == pytest.approx(-(7 + 57 / 60 + 14.123 / 3600), abs=1e-12)
    assert by_id.loc["dnacpn-01", "location_precision"] == "sheet_dms"


def test_row_without_coordinates_is_kept_empty(sheet):
    row = sheet.cscoms.set_index("id").loc["dnacpn-02"]
    assert row.geometry.is_empty
    assert row["location_precision"] == "commune"
    assert row["commune_declared"] == "Commune I"


def test_exact_duplicate_rows_are_merged_keeping_both_refs(sheet):
    assert sheet.merged_rows == {7: [10]}
    row = sheet.cscoms.set_index("id").loc["dnacpn-07"]
    assert row["source_refs"] == "row 07;row 10"
    assert "rows 07 and 10" in row["note"] and "Commune V and Commune VI" in row["note"]
    # The same name 7 km apart is two centres.
    assert (sheet.cscoms["name"] == "ASACOSO").sum() == 2


def test_unparseable_coordinate_names_the_row(tmp_path):
    rows = list(ROWS)
    rows[2] = (None, None, "ASACOSO", "12°69'9.547\"N", "7°55'9.818\"W")
    with pytest.raises(DataError, match=r"row 3: .*12°69.*below 60"):
        read_dnacpn(write_sheet(tmp_path / "bad.gpkg", rows))


def test_half_a_coordinate_is_refused(tmp_path):
    rows = list(ROWS)
    rows[2] = (None, None, "ASACOSO", "12°39'9.547\"N", None)
    with pytest.raises(DataError, match="row 3"):
        read_dnacpn(write_sheet(tmp_path / "half.gpkg", rows))


def test_missing_commune_population_is_refused(tmp_path):
    rows = [r for r in ROWS if r[0] != "IV"]
    with pytest.raises(DataError, match="six communes"):
        read_dnacpn(write_sheet(tmp_path / "five.gpkg", rows))


def test_missing_column_is_refused(tmp_path):
    path = tmp_path / "nocol.gpkg"
    frame = gpd.GeoDataFrame({"Cscom": ["A"]}, geometry=[Point(0, 0)], crs=STORE_CRS)
    pyogrio.write_dataframe(frame, path, driver="GPKG")
    with pytest.raises(DataError, match="nocol.gpkg"):
        read_dnacpn(path)


@pytest.mark.integration
def test_real_sheet(mirror_dir):
    path = mirror_dir / registry()["dnacpn_cscom"].path
    sheet = read_dnacpn(path)
    assert sheet.district_rows == 63
    assert sheet.pop_2009 == {
        "ML090101": 334_886,
        "ML090102": 159_360,
        "ML090103": 128_666,
        "ML090104": 304_526,
        "ML090105": 413_266,
        "ML090106": 469_662,
    }
    assert sum(sheet.pop_2009.values()) == 1_810_366
    assert len(sheet.pop_2009_outside) == 15
    assert sheet.dropped_rows == [82]
    assert sheet.merged_rows == {42: [63]}  # ASACODA, under Commune V and again under Commune VI
    cscoms = sheet.cscoms
    assert len(cscoms) == 80
    assert (cscoms["commune_pcode_sheet"] != "").sum() == 62
    assert cscoms.geometry.is_empty.sum() == 10
    assert (cscoms["location_precision"] == "commune").sum() == 10
    # The DMS text agrees with the file's own points to well under a millimetre.
    own = gpd.read_file(path).to_crs(METRIC_CRS)
    own.index = [f"dnacpn-{n:02d}" for n in range(1, len(own) + 1)]
    located = cscoms[~cscoms.geometry.is_empty].set_index("id").to_crs(METRIC_CRS)
    assert located.geometry.distance(own.geometry.loc[located.index]).max() < 0.001
