"""CSCOM reconciliation: names, mislabels, repeat visits, the matcher's rules, and the real sheet and survey."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.errors import DataError
from geo.pipeline.reconcile import (
    REPORT_COLUMNS,
    SHEET_COLUMNS,
    STATUSES,
    name_core,
    name_score,
    probable_mislabel_kinds,
    reconcile_cscoms,
)
from geo.pipeline.sources import registry
from geo.vocabulary import METRIC_CRS, SOURCE_FACILITY_COLUMNS, STORE_CRS

X0, Y0 = 600_000.0, 1_400_000.0  # UTM 29N, near Bamako


def frame(rows: list[dict]) -> gpd.GeoDataFrame:
    """Return store-schema rows; each dict gives ``id``, optional ``xy`` (metres from X0, Y0) and columns."""
    data = []
    for row in rows:
        base = {c: "" for c in SOURCE_FACILITY_COLUMNS} | {c: np.nan for c in ("beds", "doctors", "nurses", "pupils")}
        base |= {"kind": "cscom", "location_precision": "gps_survey"}
        data.append(base | {k: v for k, v in row.items() if k != "xy"})
    points = [Point(X0 + r["xy"][0], Y0 + r["xy"][1]) if r.get("xy") else Point() for r in rows]
    metric = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(points, crs=METRIC_CRS))
    out = metric.to_crs(STORE_CRS)
    out.loc[metric.geometry.is_empty.to_numpy(), "geometry"] = Point()
    return out


def sheet_row(n: int, name: str, xy=None, commune: str = "ML090101") -> dict:
    numeral = {"ML090101": "I", "ML090102": "II", "ML090105": "V", "ML090106": "VI"}[commune]
    return {
        "id": f"dnacpn-{n:02d}",
        "name": name,
        "xy": xy,
        "commune_declared": f"Commune {numeral}",
        "location_precision": "sheet_dms" if xy else "commune",
        "sources": "dnacpn_cscom",
        "source_refs": f"row {n:02d}",
        "operator_type": "community",
        "asaco_code": name,
        "commune_pcode_sheet": commune,
    }


def survey_row(n: int, name: str, xy, kind: str = "cscom", operator: str = "community", **extra) -> dict:
    return {
        "id": f"sante-{n:04d}",
        "name": name,
        "xy": xy,
        "kind": kind,
        "operator_type": operator,
        "sources": "survey_health",
        "source_refs": f"row {n:04d}",
        "commune_declared": "Commune I",
    } | extra


def statuses(report: pd.DataFrame) -> set[tuple[str, str, str]]:
    return set(zip(report["status"], report["sheet_id"], report["survey_id"], strict=True))


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("ASACOKOSA", "kosa"),
        ("Asacokossa", "kossa"),
        ("Assacoba", "ba"),
        ("Cscom ASACOMI", "mi"),
        ("Cscom missira", "missira"),
        ("Scom de Bozola", "bozola"),
        ("CSCOM CSCODA", "da"),
        ("CSCOM DE ASACOKALKO", "kalko"),
        ("Bâtiment ASCOMISSABOUGOU", "missabougou"),
        ("ASACO Boul 2", "boul2"),
        ("Asaco koulou- point", "kouloupoint"),
        ("Centre de santé communautaire", ""),
        ("Centre de soin communautaire", ""),
        ("SCOM", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_name_core(name, core):
    assert name_core(name) == core


@pytest.mark.parametrize(
    ("a", "b", "score"),
    [
        ("kosa", "kossa", 88.9),
        ("kal", "kalko", 90.0),  # a core that begins the other
        ("mi", "missira", 80.0),  # two letters: compatible, not strong
        ("ba", "kossa", 28.6),
        ("", "kossa", None),
    ],
)
def test_name_score(a, b, score):
    result = name_score(a, b)
    assert result == (pytest.approx(score, abs=0.1) if score is not None else None)


def test_probable_mislabel_kinds():
    rows = frame(
        [
            survey_row(1, "Cabinet médical Succès", (0, 0), operator="private"),
            survey_row(2, "Bâtiment pharmacie Privé", (0, 0), operator="private"),
            survey_row(3, "Centre de Santé ESPOIR", (0, 0), operator="private"),
            survey_row(4, "Scom", (0, 0), operator="private"),  # private, but named a CSCOM
            survey_row(5, "Clinique Kanu", (0, 0), operator=""),
            survey_row(6, "Cabinet", (0, 0), operator="community"),
            survey_row(7, "Cabinet Kanu", (0, 0), kind="clinic", operator="private"),  # not labelled CSCOM
        ]
    )
    assert probable_mislabel_kinds(rows).tolist() == ["clinic", "pharmacy", "clinic", "", "clinic", "", ""]


def test_tiny_fixture_exact_statuses():
    sheet = frame([sheet_row(1, "ASACOKOSA", (0, 0)), sheet_row(2, "ASACOBA", (3000, 0))])
    survey = frame(
        [
            survey_row(1, "Asacokossa", (20, 0), beds=8.0, quartier_declared="Korofina-Sud"),
            survey_row(2, "Cscom Asacokossa", (30, 10)),  # a repeat visit of the same centre
            survey_row(3, "Cabinet médical", (3000, 5), operator="private"),
            survey_row(4, "Pharmacie Kanu", (100, 0), kind="pharmacy", operator="private"),
        ]
    )
    facilities, report = reconcile_cscoms(sheet, survey)

    assert list(report.columns[: len(REPORT_COLUMNS)]) == list(REPORT_COLUMNS)
    assert set(report["status"]) <= set(STATUSES)
    assert statuses(report) == {
        ("matched", "dnacpn-01", "sante-0001"),
        ("survey_duplicate", "", "sante-0002"),
        ("probable_mislabel", "", "sante-0003"),
        ("sheet_only", "dnacpn-02", ""),
    }
    matched = report.set_index("status").loc["matched"]
    assert matched["distance_m"] == pytest.approx(20.0, abs=0.1)
    assert matched["name_score"] == pytest.approx(88.9, abs=0.1)
    assert report.set_index("survey_id").loc["sante-0002", "kept_id"] == "dnacpn-01"

    assert facilities["id"].tolist() == ["dnacpn-01", "dnacpn-02", "sante-0003", "sante-0004"]
    merged = facilities.set_index("id").loc["dnacpn-01"]
    assert merged["name"] == "ASACOKOSA"  # the register's spelling
    assert merged["sources"] == "dnacpn_cscom;survey_health"
    assert merged["source_refs"] == "row 01;row 0001;row 0002"
    assert merged["beds"] == 8 and merged["quartier_declared"] == "Korofina-Sud"
    assert merged["asaco_code"] == "ASACOKOSA" and merged["commune_pcode_sheet"] == "ML090101"
    # The survey GPS point: the sheet point, 20 m away, agrees with it.
    assert merged.geometry.equals_exact(survey.geometry.iloc[0], 1e-12)
    assert merged["location_precision"] == "gps_survey"
    assert "sheet point 20 m from the survey GPS point" in merged["note"]
    assert "survey name: Asacokossa" in merged["note"]
    by_id = facilities.set_index("id")
    assert by_id.loc["sante-0003", "kind"] == "clinic"
    assert by_id.loc["dnacpn-02", "sources"] == "dnacpn_cscom"
    # Rows of other kinds pass through unchanged.
    columns = [c for c in SOURCE_FACILITY_COLUMNS if c != "id"] + ["geometry"]
    pd.testing.assert_series_equal(
        by_id.loc["sante-0004", columns], survey.set_index("id").loc["sante-0004", columns], check_names=False
    )
    assert list(facilities.columns) == [*survey.columns.drop("geometry"), *SHEET_COLUMNS, "geometry"]


def test_conflicting_names_near_each_other_are_not_merged():
    # ASACOBA's sheet point is 291 m from the survey's "Asacokossa" on the real data.
    sheet = frame([sheet_row(1, "ASACOBA", (0, 0))])
    survey = frame([survey_row(1, "Asacokossa", (290, 0))])
    _, report = reconcile_cscoms(sheet, survey)
    assert statuses(report) == {("sheet_only", "dnacpn-01", ""), ("survey_only", "", "sante-0001")}


def test_co_located_points_match_whatever_the_names():
    sheet = frame([sheet_row(1, "ABOSAC", (0, 0))])
    survey = frame([survey_row(1, "Scom de Bozola", (6, 0))])
    _, report = reconcile_cscoms(sheet, survey)
    assert statuses(report) == {("matched", "dnacpn-01", "sante-0001")}


def test_generic_survey_name_matches_when_near_only():
    sheet = frame([sheet_row(1, "ASCOFA", (0, 0)), sheet_row(2, "ASACOMA", (5000, 0))])
    survey = frame([survey_row(1, "Centre de santé communautaire", (200, 0)), survey_row(2, "CSCOM", (5400, 0))])
    _, report = reconcile_cscoms(sheet, survey)
    assert statuses(report) == {
        ("matched", "dnacpn-01", "sante-0001"),
        ("sheet_only", "dnacpn-02", ""),
        ("survey_only", "", "sante-0002"),
    }


@pytest.mark.parametrize(("distance", "matched"), [(1_700.0, True), (2_500.0, False)])
def test_names_agreeing_fetch_a_point_up_to_far_m(distance, matched):
    sheet = frame([sheet_row(1, "ASACOBAKON", (0, 0))])
    survey = frame([survey_row(1, "Asaco bakon", (distance, 0))])
    _, report = reconcile_cscoms(sheet, survey)
    assert (("matched", "dnacpn-01", "sante-0001") in statuses(report)) is matched


def test_two_letter_acronym_does_not_fetch_a_far_point():
    sheet = frame([sheet_row(1, "ASACOSO", (0, 0))])
    survey = frame([survey_row(1, "ASACOSODIA", (1_800, 0))])
    _, report = reconcile_cscoms(sheet, survey)
    assert "matched" not in set(report["status"])


def test_sheet_row_without_point_takes_the_survey_point_in_its_commune():
    sheet = frame([sheet_row(1, "ASACO KALABAN COURA 1", None, commune="ML090105")])
    survey = frame(
        [
            survey_row(1, "Centre de Santé communautaire de kalaban coura", (0, 0), commune_declared="Commune V"),
            survey_row(2, "CSCOM de Kalaban Coura", (9_000, 0), commune_declared="Commune VI"),
        ]
    )
    facilities, report = reconcile_cscoms(sheet, survey)
    assert ("matched", "dnacpn-01", "sante-0001") in statuses(report)
    row = facilities.set_index("id").loc["dnacpn-01"]
    assert row["location_precision"] == "gps_survey"
    assert row.geometry.equals_exact(survey.geometry.iloc[0], 1e-12)
    assert "sante-0002" in set(facilities["id"])


def test_equal_name_fits_are_left_apart():
    # "ASACOYirimadjo" fits ASACOYIR (no point) and ASACOYI (1.1 km) about equally.
    sheet = frame(
        [sheet_row(1, "ASACOYI", (0, 0), commune="ML090106"), sheet_row(2, "ASACOYIR", None, commune="ML090106")]
    )
    survey = frame([survey_row(1, "ASACOYirimadjo", (1_100, 0), commune_declared="Commune VI")])
    _, report = reconcile_cscoms(sheet, survey)
    assert "matched" not in set(report["status"])
    assert report.set_index("survey_id").loc["sante-0001", "note"].startswith("ambiguous")


def test_a_survey_point_named_after_one_centre_and_sitting_on_another_is_left_apart():
    sheet = frame([sheet_row(1, "ASACOLA B5", (0, 0)), sheet_row(2, "ASACOLABASAD", (400, 1_450))])
    survey = frame([survey_row(1, "Asacola B5", (390, 1_490))])
    _, report = reconcile_cscoms(sheet, survey)
    assert "matched" not in set(report["status"])


def test_cscom_named_row_of_another_kind_is_reported_not_changed():
    sheet = frame([sheet_row(1, "Benkadi", (0, 0))])
    survey = frame([survey_row(1, "CsCom", (9, 0)), survey_row(2, "Cscom benkadi", (20, 0), kind="pharmacy")])
    facilities, report = reconcile_cscoms(sheet, survey)
    assert statuses(report) == {
        ("matched", "dnacpn-01", "sante-0001"),
        ("probable_mislabel", "dnacpn-01", "sante-0002"),
    }
    assert facilities.set_index("id").loc["sante-0002", "kind"] == "pharmacy"


def test_repeat_visits_of_a_survey_only_centre_collapse():
    survey = frame([survey_row(1, "", (0, 0)), survey_row(2, "Centre de santé", (37, 0), beds=18.0)])
    facilities, report = reconcile_cscoms(frame([sheet_row(1, "ASACOSEK", (9_000, 0))]), survey)
    assert statuses(report) >= {("survey_only", "", "sante-0002"), ("survey_duplicate", "", "sante-0001")}
    kept = facilities.set_index("id").loc["sante-0002"]
    assert kept["source_refs"] == "row 0001;row 0002" and "surveyed 2 times" in kept["note"]
    assert "sante-0001" not in set(facilities["id"])


def test_inputs_are_checked():
    sheet = frame([sheet_row(1, "ASACOBA", (0, 0))])
    survey = frame([survey_row(1, "Asacoba", (0, 0))])
    with pytest.raises(DataError, match="CRS mismatch"):
        reconcile_cscoms(sheet, survey.to_crs(METRIC_CRS))
    with pytest.raises(DataError, match="lacks columns"):
        reconcile_cscoms(sheet.drop(columns="note"), survey)
    with pytest.raises(DataError, match="duplicate ids"):
        reconcile_cscoms(pd.concat([sheet, sheet]), survey)


#: The 19 pairs on the real data, each checked by hand (names, quartiers, distances).
REAL_MATCHES = {
    ("dnacpn-01", "sante-0187"),  # ASACOKOSA / Asacokossa, 1.10 km
    ("dnacpn-10", "sante-0163"),  # ASACOBA / Assacoba, 1.12 km
    ("dnacpn-12", "sante-0202"),  # ABOSAC / Scom de Bozola (+ sante-0203), 6 m
    ("dnacpn-16", "sante-0171"),  # ASACOMI / Cscom ASACOMI (+ Cscom missira), 144 m
    ("dnacpn-17", "sante-0185"),  # Benkadi / CsCom, 9 m
    ("dnacpn-20", "sante-0166"),  # ASACODES / ASACODES, 1.07 km
    ("dnacpn-21", "sante-0176"),  # ASACOKOULPOINT / Asaco koulou- point, 1.74 km
    ("dnacpn-24", "sante-0168"),  # ASACOBAKON / Asaco bakon (×4), 1.09 km
    ("dnacpn-42", "sante-0197"),  # ASACODA / CSCOM CSCODA, 359 m
    ("dnacpn-43", "sante-0174"),  # ASACOKAL / CSCOM DE ASACOKALKO, 449 m
    ("dnacpn-44", "sante-0189"),  # ASACOSABALY / ASACOMSAB I, 39 m
    ("dnacpn-45", "sante-0200"),  # ASACO KALABAN COURA 1 (no point) / CSCOM de kalaban coura
    ("dnacpn-47", "sante-0198"),  # ASACO DAOUDABOUGOU (no point) / CSCOM de DAOUDABOUGOU 3ème AIRE
    ("dnacpn-48", "sante-0184"),  # ASACO SAB III (no point) / ASACOSAB
    ("dnacpn-51", "sante-0195"),  # ASACOFBAFA / Centre de santé communautaire, 20 m
    ("dnacpn-52", "sante-0167"),  # ASCOSE / Centre de santé publique, 15 m
    ("dnacpn-55", "sante-0201"),  # ASCOFA / Centre de santé communautaire, 39 m
    ("dnacpn-57", "sante-0409"),  # ANIASCO / CSCOM de ANIASCo, 32 m
    ("dnacpn-59", "sante-0178"),  # ASACOMI (VI) / Bâtiment ASCOMISSABOUGOU, 34 m
}


@pytest.mark.integration
def test_real_reconciliation(mirror_dir):
    from geo.pipeline.ingest.admin import read_quartiers
    from geo.pipeline.ingest.dnacpn import read_dnacpn
    from geo.pipeline.ingest.surveys import read_health
    from geo.spatial.joins import assign_units

    sheet = read_dnacpn(mirror_dir / registry()["dnacpn_cscom"].path).cscoms
    survey = read_health(mirror_dir / registry()["survey_health"].path)
    facilities, report = reconcile_cscoms(sheet, survey)

    assert report["status"].value_counts().to_dict() == {
        "sheet_only": 61,  # 43 in the District, 18 in Kati cercle (incl. ASACONIA, filed under Commune VI)
        "matched": 19,
        "survey_only": 16,
        "probable_mislabel": 10,  # 9 private practices re-kinded + "Cscom benkadi" typed pharmacy
        "survey_duplicate": 7,
    }
    matched = report[report["status"] == "matched"]
    assert set(zip(matched["sheet_id"], matched["survey_id"], strict=True)) == REAL_MATCHES
    assert len(facilities) == len(survey) - 7 + 61
    assert (facilities["kind"] == "cscom").sum() == 19 + 61 + 16
    assert facilities["id"].is_unique

    quartiers = read_quartiers(mirror_dir / registry()["quartiers"].path)
    placed = assign_units(facilities[~facilities.geometry.is_empty], quartiers)
    per_commune = placed[placed["kind"] == "cscom"].groupby("commune_pcode").size()
    assert set(per_commune.index) == {f"ML09010{i}" for i in range(1, 7)}
    assert per_commune.min() >= 1


@pytest.mark.parametrize(
    ("gap_m", "precision"), [(250, "gps_survey"), (290, "gps_survey"), (1_100, "sheet_dms_conflict")]
)
def test_a_pair_is_placed_at_the_survey_gps_point_and_flags_a_distant_sheet_point(gap_m, precision):
    sheet = frame([sheet_row(1, "ASACOKOSA", (0, 0))])
    survey = frame([survey_row(1, "Asacokossa", (gap_m, 0))])
    facilities, _ = reconcile_cscoms(sheet, survey)
    row = facilities.set_index("id").loc["dnacpn-01"]
    assert row["location_precision"] == precision
    assert row.geometry.equals_exact(survey.geometry.iloc[0], 1e-12)
    if precision == "sheet_dms_conflict":  # the sheet point is kept as evidence, with the distance
        point = sheet.geometry.iloc[0]
        assert (
            f"sheet point {point.y:.5f}, {point.x:.5f} is {gap_m} m from the survey GPS point: GPS point used"
            in (row["note"])
        )
