"""The SNISI reference table and the CSCOM register reconciled against it, on tiny hand-made frames."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo.errors import DataError
from geo.pipeline import sources
from geo.pipeline.ingest.snisi import quartier_pcode, read_health_areas
from geo.pipeline.reconcile import (
    SNISI_STATUSES,
    AreaRules,
    comparison_text,
    fix_sheet_points_outside,
    reconcile_health_areas,
)
from geo.pipeline.reconcile.snisi import area_core, area_scores
from geo.vocabulary import FACILITY_COLUMNS, METRIC_CRS, SNISI_COMPARISON_COLUMNS, STORE_CRS

X0, Y0 = 600_000.0, 1_400_000.0  # UTM 29N, near Bamako
VI = "ML090106"
CSV = """commune,health_area_code,health_area_name,locality_code,locality_name
Commune VI,Z9DD4,COMMUNE 6 CSREF,,
Commune VI,ZF827,ASACOMA I,91096298,MAGNAMBOUGOU
Commune VI,Z4ZS0,ASACOMA II,,
Commune VI,ZBZE0,ASACOYIR,91096892,YIRIMADJO
Commune VI,ZS4M3,ASACONIA,91096496,NIAMAKORO
Commune VI,ZZAN8,ASACOSO,91096694,SOGONIKO
"""


@pytest.fixture
def areas(tmp_path) -> pd.DataFrame:
    path = tmp_path / "snisi.csv"
    path.write_text(CSV, encoding="utf-8")
    return read_health_areas(path)


def facilities(rows: list[dict]) -> gpd.GeoDataFrame:
    """Return joined facility rows; each dict gives ``id``, ``name``, ``xy`` (metres from X0, Y0) and columns."""
    data = []
    for row in rows:
        base = {c: None for c in FACILITY_COLUMNS} | {"kind": "cscom", "commune_pcode": VI, "in_analysis": True}
        base |= {"location_precision": "gps_survey", "sources": "survey_health", "source_refs": row["id"], "note": ""}
        data.append(base | {k: v for k, v in row.items() if k != "xy"})
    points = [Point(X0 + r["xy"][0], Y0 + r["xy"][1]) for r in rows]
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(points, crs=METRIC_CRS)).to_crs(STORE_CRS)


COMMUNES = pd.DataFrame({"pcode": [VI], "name": ["Commune VI"]})


def test_read_health_areas_one_row_per_area_with_its_quartiers(areas):
    assert areas["code"].tolist() == ["Z9DD4", "ZF827", "Z4ZS0", "ZBZE0", "ZS4M3", "ZZAN8"]
    assert areas["area_kind"].tolist() == ["csref", "asaco", "asaco", "asaco", "asaco", "asaco"]
    row = areas.set_index("code").loc["ZBZE0"]
    assert row["quartier_pcodes"] == ("ML090106892",) and row["locality_names"] == ("YIRIMADJO",)
    assert areas.set_index("code").loc["Z4ZS0", "quartier_pcodes"] == ()
    assert quartier_pcode("91091112") == "ML090101112"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("commune,health_area_code\nCommune VI,Z1\n", "missing columns"),
        (CSV.splitlines()[0] + "\nCommune VI,Z1,ASACOX,123,X\n", "line 2: locality code '123'"),
        (CSV.splitlines()[0] + "\nKati,Z1,ASACOX,,\n", "line 2: needs a commune of the District"),
    ],
)
def test_bad_snisi_table_names_the_file_and_line(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message) as err:
        read_health_areas(path)
    assert "bad.csv" in str(err.value)


@pytest.fixture
def reference_root(tmp_path, monkeypatch):
    """A shared-data layout: ``data/upstream/OCA`` (the mirror) beside ``data/reference``, with one table."""
    (tmp_path / "data/upstream/OCA").mkdir(parents=True)
    (tmp_path / "data/reference").mkdir()
    table = tmp_path / "data/reference/snisi.csv"
    table.write_text(CSV, encoding="utf-8")
    source = sources.Source("snisi", "snisi.csv", sources.sha256_of(table), "https://example.org", "", "", "", "cite")
    monkeypatch.setattr(sources, "references", lambda: {"snisi": source})
    return tmp_path


def test_reference_table_is_found_beside_the_mirror(reference_root):
    path = sources.fetch_reference("snisi", {"MIRROR": str(reference_root / "data/upstream/OCA")})
    assert path == (reference_root / "data/reference/snisi.csv").resolve()


def test_reference_table_altered_or_missing_is_a_data_error_naming_it(reference_root):
    settings = {"MIRROR": str(reference_root / "data/upstream/OCA")}
    table = reference_root / "data/reference/snisi.csv"
    table.write_text(CSV + "Commune VI,ZX,ASACOX,,\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"snisi\.csv has sha256 .* expected"):
        sources.fetch_reference("snisi", settings)
    table.unlink()
    with pytest.raises(DataError, match=r"reference table .*snisi\.csv not found"):
        sources.fetch_reference("snisi", settings)
    with pytest.raises(DataError, match="BAMAKO_ATLAS_MIRROR"):
        sources.fetch_reference("snisi", {"MIRROR": ""})


def test_the_real_reference_table_is_registered_and_read(mirror_dir):
    path = sources.fetch_reference("snisi_health_areas", {"MIRROR": str(mirror_dir)})
    areas = read_health_areas(path)
    assert (areas["area_kind"] == "csref").sum() == 6
    assert areas.groupby("commune_pcode").size().to_dict() == {
        "ML090101": 13, "ML090102": 11, "ML090103": 10, "ML090104": 12, "ML090105": 13, "ML090106": 15,
    }  # fmt: skip
    assert "yeleman/pnlc_j2me" in sources.references()["snisi_health_areas"].citation


def test_area_names_are_read_with_roman_numerals_and_short_codes(areas):
    assert area_core("ASACOLA II") == area_core("ASACOLA 2") == "la2"
    scores = area_scores("ASACOYirimadjo", areas)  # by the area's quartier YIRIMADJO
    assert scores[areas["code"].tolist().index("ZBZE0")] == 100
    # A long name does not fit a two-letter code by its first letters: "daoudabougou" is not ASACODA.
    da = pd.DataFrame({"name": ["ASACODA"], "locality_names": [()]})
    assert area_scores("ASACO DAOUDABOUGOU", da)[0] < 50
    assert area_scores("ASACOYI", areas.iloc[[3]])[0] == 80  # "yi" abbreviates "yir"


def test_one_facility_per_health_area_and_every_decision_has_a_reason(areas):
    fac = facilities(
        [
            {"id": "dnacpn-58", "name": "ASACOYI", "xy": (0, 0), "location_precision": "sheet_dms",
             "sources": "dnacpn_cscom", "quartier_pcode": "ML090106892"},
            {"id": "sante-0186", "name": "ASACOYirimadjo", "xy": (1_100, 0), "quartier_pcode": "ML090106892",
             "doctors": 5},
            {"id": "dnacpn-61", "name": "ASACOYIR", "xy": (5_000, 0), "location_precision": "commune",
             "sources": "dnacpn_cscom"},
            {"id": "dnacpn-62", "name": "MITUELLE MIPROMA", "xy": (5_000, 0), "location_precision": "commune",
             "sources": "dnacpn_cscom"},
            {"id": "dnacpn-54", "name": "ASACOMA", "xy": (8_000, 0), "location_precision": "sheet_dms",
             "sources": "dnacpn_cscom", "quartier_pcode": "ML090106298"},
            {"id": "sante-0300", "name": "Centre Kanu", "xy": (12_000, 0), "doctors": 12},
            {"id": "sante-0301", "name": "Scom", "xy": (14_000, 0)},
            {"id": "dnacpn-70", "name": "ASACOZZZ", "xy": (16_000, 0), "sources": "dnacpn_cscom;survey_health"},
            {"id": "sante-0400", "name": "Pharmacie Kanu", "kind": "pharmacy", "xy": (20_000, 0)},
        ]
    )  # fmt: skip
    out, report, table = reconcile_health_areas(fac, areas, COMMUNES)
    by_id = out.set_index("id")

    # ASACOYI, ASACOYirimadjo, ASACOYIR: one centre, kept at the survey GPS point, every reference kept.
    assert {"dnacpn-58", "dnacpn-61"}.isdisjoint(by_id.index)
    yir = by_id.loc["sante-0186"]
    assert (yir["health_area_code"], yir["health_area_name"]) == ("ZBZE0", "ASACOYIR")
    assert yir["sources"] == "survey_health;dnacpn_cscom"
    assert sorted(yir["source_refs"].split(";")) == ["dnacpn-58", "dnacpn-61", "sante-0186"]
    assert yir["location_precision"] == "sheet_dms_conflict"  # the merged sheet point is 1.1 km away
    assert "merged with dnacpn-58 (ASACOYI): same SNISI health area ASACOYIR" in yir["note"]
    assert "is 1100 m from the survey GPS point: GPS point used" in yir["note"]
    # ASACOMA is ASACOMA I or II by name; its quartier MAGNAMBOUGOU decides.
    assert by_id.loc["dnacpn-54", "health_area_name"] == "ASACOMA I"
    # Not ASACO-run, or unknown to SNISI without a second source: re-kinded, with the reason.
    assert by_id.loc["dnacpn-62", "kind"] == "health_other" and "a mutuelle" in by_id.loc["dnacpn-62", "note"]
    assert "CSRef-sized (12 doctors)" in by_id.loc["sante-0300", "note"]
    assert by_id.loc["sante-0301", "kind"] == "health_other"
    assert "in one source only" in by_id.loc["sante-0301", "note"]
    # Unknown to SNISI but the sheet and the survey agree: stays a CSCOM and says why.
    assert (
        by_id.loc["dnacpn-70", "kind"] == "cscom" and "the sheet and the survey agree" in by_id.loc["dnacpn-70", "note"]
    )
    assert by_id.loc["sante-0400", "kind"] == "pharmacy" and pd.isna(by_id.loc["sante-0400", "health_area_code"])

    statuses = pd.DataFrame(report).groupby("status")["kept_id"].apply(sorted).to_dict()
    assert set(statuses) <= set(SNISI_STATUSES)
    assert statuses == {
        "snisi_merged": ["sante-0186", "sante-0186"],
        "rekinded": ["dnacpn-62", "sante-0300", "sante-0301"],
        "not_in_snisi": ["dnacpn-70"],
    }
    district = table.iloc[-1]
    assert list(table.columns) == list(SNISI_COMPARISON_COLUMNS)
    assert table.iloc[0][list(SNISI_COMPARISON_COLUMNS[2:])].tolist() == [
        5,
        3,
        2,
        1,
        3,
        "ASACOMA II, ASACONIA, ASACOSO",
    ]
    assert district["snisi_health_areas"] == 5 and district["atlas_cscoms"] == 3
    assert "Aires SNISI" in comparison_text(table) and "ASACONIA" in comparison_text(table)


def test_same_area_far_apart_or_matched_by_quartier_only_is_not_merged(areas):
    fac = facilities(
        [
            {"id": "dnacpn-53", "name": "ASACOSO", "xy": (0, 0), "sources": "dnacpn_cscom;survey_health"},
            {"id": "dnacpn-90", "name": "ASACO SO", "xy": (3_000, 0), "sources": "dnacpn_cscom;survey_health"},
            {"id": "sante-0010", "name": "Centre de santé communautaire", "xy": (500, 0),
             "quartier_pcode": "ML090106694"},
            {"id": "sante-0011", "name": "Centre de santé communautaire", "xy": (9_000, 0),
             "quartier_pcode": "ML090106892"},
            {"id": "sante-0012", "name": "CSCOM", "xy": (9_200, 0), "quartier_pcode": "ML090106892"},
        ]
    )  # fmt: skip
    out, report, _ = reconcile_health_areas(fac, areas, COMMUNES)
    by_id = out.set_index("id")
    assert by_id.loc["dnacpn-53", "health_area_name"] == "ASACOSO"
    assert "held by dnacpn-53 3000 m away: not merged" in by_id.loc["dnacpn-90", "note"]
    assert "held by dnacpn-53 500 m away: not merged" in by_id.loc["sante-0010", "note"]
    # Two generic survey points 200 m apart in the quartier of one area: one centre surveyed twice.
    assert by_id.loc["sante-0011", "health_area_name"] == "ASACOYIR" and "sante-0012" not in by_id.index
    assert {r["status"] for r in report} == {"same_area_apart", "snisi_merged", "rekinded", "not_in_snisi"}


def test_rules_are_thresholds_in_metres():
    assert AreaRules().merge_m == 2000.0 and AreaRules().near_m == 300.0 and AreaRules().outside_m == 2000.0


def test_sheet_point_far_outside_the_district_is_placed_at_its_health_areas_quartier(areas):
    quartiers = gpd.GeoDataFrame(
        {"pcode": ["ML090106496"], "name": ["Niamakoro"], "commune_pcode": [VI]},
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000)],
        crs=METRIC_CRS,
    ).to_crs(STORE_CRS)
    district = quartiers[["geometry"]]
    fac = facilities(
        [
            {"id": "dnacpn-56", "name": "ASACONIA", "xy": (8_600, 0), "location_precision": "sheet_dms",
             "sources": "dnacpn_cscom", "commune_declared": "Commune VI", "quartier_declared": ""},
            {"id": "dnacpn-57", "name": "ASACOSO", "xy": (2_500, 0), "location_precision": "sheet_dms",
             "sources": "dnacpn_cscom", "commune_declared": "Commune VI"},
            {"id": "dnacpn-80", "name": "CSCOM de Siby", "xy": (30_000, 0), "location_precision": "sheet_dms",
             "sources": "dnacpn_cscom", "commune_declared": "Siby"},
        ]
    )  # fmt: skip
    fac["commune_pcode_sheet"] = [VI, VI, ""]
    out, entries = fix_sheet_points_outside(fac, district, areas, quartiers)
    by_id = out.set_index("id")
    niamakoro = by_id.loc["dnacpn-56"]
    assert niamakoro.geometry.is_empty and niamakoro["location_precision"] == "quartier"
    assert niamakoro["quartier_declared"] == "Niamakoro"
    assert (
        "is 7.6 km outside the District under Commune VI: coordinate error, placed at its health area's quartier"
        in (niamakoro["note"])
    )
    assert [e["sheet_id"] for e in entries] == ["dnacpn-56"]
    assert by_id.loc["dnacpn-57", "location_precision"] == "sheet_dms"  # 1.5 km out: within the tolerance
    assert not by_id.loc["dnacpn-80"].geometry.is_empty  # a Kati-cercle CSCOM is not a District row
    assert np.isnan(entries[0]["distance_m"])
