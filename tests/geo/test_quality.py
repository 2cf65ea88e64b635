"""Tests of geo.pipeline.quality on tiny in-code fixtures with exact geometry (UTM 29N metres)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo.errors import DataError, InvalidParameter
from geo.pipeline import quality
from geo.spatial.joins import assign_units, place_unlocated
from geo.vocabulary import METRIC_CRS, QA_COLUMNS, SOURCE_FACILITY_COLUMNS, STORE_CRS

# A strip of 1 km squares starting near Bamako: x0..x0+5000, y0..y0+1000 (EPSG:32629).
X0, Y0 = 600_000.0, 1_390_000.0
UNITS = (  # pcode, name, alt_name, commune pcode, commune name
    ("ML090101001", "Banconi", "Banconi", "ML090101", "Commune I"),
    ("ML090101223", "Djélibougou", "Dielibougou", "ML090101", "Commune I"),
    ("ML090103111", "Badialan3", "Badialan 3", "ML090103", "Commune III"),
    ("ML090106902", "Niamakoro 1621", "Niamakoro 1621", "ML090106", "Commune VI"),
    ("ML090106397", "Niamakoro", "Niamakoro", "ML090106", "Commune VI"),
)


def _to_store(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.to_crs(STORE_CRS)


@pytest.fixture(scope="module")
def quartiers() -> gpd.GeoDataFrame:
    rows = [dict(zip(("pcode", "name", "alt_name", "commune_pcode", "commune_name"), u, strict=True)) for u in UNITS]
    shapes = [box(X0 + 1000 * k, Y0, X0 + 1000 * (k + 1), Y0 + 1000) for k in range(len(UNITS))]
    return _to_store(gpd.GeoDataFrame(rows, geometry=shapes, crs=METRIC_CRS))


@pytest.fixture(scope="module")
def communes(quartiers) -> gpd.GeoDataFrame:
    units = quartiers.to_crs(METRIC_CRS)[["commune_pcode", "commune_name", "geometry"]]
    merged = units.dissolve(by=["commune_pcode", "commune_name"]).reset_index()
    return _to_store(merged.rename(columns={"commune_pcode": "pcode", "commune_name": "name"}))


def fac(fid, kind, name, x, y=500.0, *, commune="", quartier="", precision="gps_survey") -> dict:
    """Return one source facility row at (X0 + x, Y0 + y) metres; x=None means no coordinates."""
    row = dict.fromkeys(SOURCE_FACILITY_COLUMNS, "")
    row.update(id=fid, kind=kind, name=name, commune_declared=commune, quartier_declared=quartier)
    row.update(location_precision=precision, geometry=None if x is None else Point(X0 + x, Y0 + y))
    return row


def layer(rows, quartiers, communes) -> gpd.GeoDataFrame:
    frame = _to_store(gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS))
    return assign_units(place_unlocated(frame, communes, quartiers), quartiers)


def run(rows, quartiers, communes, check, **kwargs) -> gpd.GeoDataFrame:
    return quality.find_issues(layer(rows, quartiers, communes), quartiers, communes, checks=[check], **kwargs)


# --- duplicate -------------------------------------------------------------------------------


def test_two_close_pharmacies_with_one_name_are_one_duplicate(quartiers, communes):
    rows = [fac("sante-0002", "pharmacy", "Pharmacie Kanu", 500), fac("sante-0001", "pharmacy", "Pharmacie Kanu", 510)]
    found = run(rows, quartiers, communes, "duplicate")
    assert len(found) == 1
    hit = found.iloc[0]
    assert (hit.facility_id, hit.related_id) == ("sante-0001", "sante-0002")
    assert hit.evidence == "à 10 m de « Pharmacie Kanu » (sante-0002), noms similaires à 100 %"
    assert hit.commune_pcode == "ML090101"


@pytest.mark.parametrize(
    ("a", "b", "dx"),
    [
        (("pharmacy", "Pharmacie Kanu"), ("pharmacy", "Pharmacie Kanu"), 60),  # too far
        (("pharmacy", "Pharmacie Kanu"), ("clinic", "Pharmacie Kanu"), 10),  # different kinds
        (("pharmacy", "Pharmacie Koumba"), ("pharmacy", "Pharmacie Saha"), 10),  # different names
        (("school", "École Falaba Issa Traoré A"), ("school", "École Falaba Issa Traoré B"), 5),  # sections
        (("school", "Le Prestige"), ("school", "Le Prestige second cycle"), 3),  # cycles
        (("pharmacy", "Pharmacie"), ("pharmacy", "Pharmacie Kanu"), 20),  # generic name, not within 5 m
        (("waste_site", ""), ("waste_site", ""), 20),  # empty names, not within 5 m
    ],
)
def test_no_duplicate(quartiers, communes, a, b, dx):
    rows = [fac("x-1", *a, 500), fac("x-2", *b, 500 + dx)]
    assert run(rows, quartiers, communes, "duplicate").empty


@pytest.mark.parametrize(
    ("a", "b", "dx", "words"),
    [
        ("Cabinet de soins Makalou", "Cabinet de soins Macalou", 28, "noms similaires à 86 %"),
        ("Asaco Bakon", "ASACOBAKON", 24, "noms similaires à 100 %"),
        ("Pharmacie", "Pharmacie la Vie", 4, "nom peu distinctif"),
        ("", "", 3, "nom peu distinctif"),
    ],
)
def test_duplicate_variants(quartiers, communes, a, b, dx, words):
    rows = [fac("x-1", "clinic", a, 500), fac("x-2", "clinic", b, 500 + dx)]
    found = run(rows, quartiers, communes, "duplicate")
    assert len(found) == 1 and words in found.iloc[0].evidence


def test_each_pair_of_a_cluster_is_reported_once(quartiers, communes):
    rows = [fac(f"x-{k}", "cscom", "Asaco Bakon", 500 + 2 * k) for k in range(3)]
    found = run(rows, quartiers, communes, "duplicate")
    assert sorted(zip(found.facility_id, found.related_id, strict=True)) == [
        ("x-0", "x-1"),
        ("x-0", "x-2"),
        ("x-1", "x-2"),
    ]


def test_placeholder_points_are_not_duplicates(quartiers, communes):
    rows = [fac(f"dnacpn-{k}", "cscom", "ASACO", None, commune="Commune I") for k in range(2)]
    assert run(rows, quartiers, communes, "duplicate").empty


# --- outside / snapped -----------------------------------------------------------------------


def test_outside_and_snapped_points(quartiers, communes):
    rows = [
        fac("far", "school", "École Loin", 500, -1000, commune="Commune I"),
        fac("near", "school", "École Près", 500, -100),
        fac("in", "school", "École Dedans", 500),
        fac("dnacpn-70", "cscom", "CSCOM Kalaban coro", 500, -3000, commune="Kalaban-coro"),  # says it is outside
    ]
    facilities = layer(rows, quartiers, communes)
    found = quality.find_issues(facilities, quartiers, communes, checks=["outside_district", "snapped_to_boundary"])
    assert list(found.check) == ["outside_district", "snapped_to_boundary"]
    outside, snapped = found.iloc[0], found.iloc[1]
    assert outside.facility_id == "far" and outside.commune_pcode is None
    assert outside.evidence.startswith("hors du District, à 1,0 km de la limite (quartier le plus proche « Banconi »")
    assert outside.evidence.endswith("commune déclarée « Commune I »")
    assert snapped.facility_id == "near"
    assert snapped.evidence == "hors du District à 100 m de la limite, rattaché à « Banconi » (Commune I)"
    assert snapped.geometry.equals_exact(facilities.geometry[1], 1e-9)


# --- unit_mismatch ---------------------------------------------------------------------------


def test_commune_mismatch_is_reported_with_distance(quartiers, communes):
    rows = [fac("a", "school", "École A", 500, commune="Commune III")]
    found = run(rows, quartiers, communes, "unit_mismatch")
    assert found.iloc[0].evidence == (
        "commune déclarée « Commune III » mais point en Commune I, à 1,5 km de la commune déclarée"
    )


@pytest.mark.parametrize(
    ("x", "commune", "quartier"),
    [
        (1980, "Commune III", ""),  # 20 m from the declared commune: boundary ambiguity
        (2500, "Commune III", "Badialan III"),  # Roman numeral spelling of Badialan3
        (800, "Commune I", "Dielibougou"),  # 200 m from the declared quartier: within tolerance
        (3500, "Commune VI", "Niamakoro"),  # Niamakoro 1621 is part of Niamakoro
        (500, "Commune I", "Sirakoro-Dounfing"),  # unknown sector name: not a mismatch
        (500, "", ""),  # nothing declared
    ],
)
def test_no_unit_mismatch(quartiers, communes, x, commune, quartier):
    rows = [fac("a", "school", "École A", x, commune=commune, quartier=quartier)]
    assert run(rows, quartiers, communes, "unit_mismatch").empty


def test_quartier_mismatch_names_both_units_and_recurrence(quartiers, communes):
    rows = [
        fac(f"e-{k}", "school", f"École {k}", 100 + k, commune="Commune I", quartier="Dielibougou") for k in range(5)
    ]
    found = run(rows, quartiers, communes, "unit_mismatch")
    assert len(found) == 5
    assert found.iloc[0].evidence == (
        "quartier déclaré « Dielibougou » mais point dans « Banconi », à 900 m du quartier déclaré "
        "(écart récurrent, 5 équipements : limite COD-AB à vérifier)"
    )


def test_unknown_quartier_names_lists_gazetteer_gaps(quartiers):
    declared = pd.DataFrame(
        {
            "commune_declared": ["Commune III", "Commune III", "Commune I", "Commune I"],
            "quartier_declared": ["Sirakoro-Dounfing", "Sirakoro-Dounfing", "Banconi", ""],
        }
    )
    table = quality.unknown_quartier_names(declared, quartiers)
    assert table.to_dict("records") == [
        {"commune_declared": "Commune III", "quartier_declared": "Sirakoro-Dounfing", "count": 2}
    ]


# --- probable_mislabel -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name", "flagged"),
    [
        ("clinic", "Pharmacie Kanu", True),
        ("pharmacy", "Clinique Kanu", True),
        ("kindergarten", "École privée Kanu", True),
        ("school", "Lycée Kanu", True),
        ("cscom", "Cabinet médical Kanu", True),
        ("pharmacy", "Pharmacie Kanu", False),
        ("kindergarten", "École maternelle Kanu", False),
        ("kindergarten", "École et jardin d'enfants Kanu", False),
        ("school", "Complexe scolaire Kanu", False),
    ],
)
def test_name_contradicts_kind(quartiers, communes, kind, name, flagged):
    found = run([fac("x", kind, name, 500)], quartiers, communes, "probable_mislabel")
    assert len(found) == int(flagged)
    if flagged:
        assert found.iloc[0].evidence.startswith(f"le nom « {name} » désigne ")
        assert found.iloc[0].related_id is None


def test_rows_the_build_rekinded_by_their_name_say_so(quartiers, communes):
    from geo.pipeline.reconcile import rekind_by_name

    rows = rekind_by_name(pd.DataFrame([fac("sante-0244", "hospital", "PHARMACIE", 500)]))
    assert rows.at[0, "kind"] == "pharmacy"
    found = run(rows.to_dict(orient="records"), quartiers, communes, "probable_mislabel")
    assert found["evidence"].tolist() == [
        "classé « Hôpital » dans l'enquête, mais le nom « PHARMACIE » désigne une pharmacie : type enregistré changé "
        "en « Pharmacie » à la construction, à vérifier"
    ]


def test_cscom_report_mislabels_become_findings(quartiers, communes):
    rows = [
        fac("sante-0001", "clinic", "Centre Benkadi", 500),
        fac("sante-0002", "pharmacy", "CSCOM Mali", 1500),
        fac("sante-0003", "clinic", "Cabinet Succès", 2500),
    ]
    report = pd.DataFrame(
        {
            "status": ["probable_mislabel", "matched", "probable_mislabel", "probable_mislabel"],
            "sheet_id": ["dnacpn-01", "dnacpn-02", "dnacpn-03", ""],
            "survey_id": ["sante-0001", "sante-0009", "sante-0002", "sante-0003"],
            "sheet_name": ["Benkadi", "ASACOBA", "ASACOMA", ""],
            "survey_name": ["Centre Benkadi", "x", "CSCOM Mali", "Cabinet Succès"],
            "distance_m": [31.7, 5.0, 12.0, float("nan")],
            "name_score": [92.0, 100.0, float("nan"), float("nan")],
        }
    )
    found = run(rows, quartiers, communes, "probable_mislabel", cscom_report=report)
    assert list(found.related_id) == ["dnacpn-01", "dnacpn-03", None]
    assert found.iloc[0].evidence == (
        "correspond à la fiche CSCOM DNACPN « Benkadi » (dnacpn-01) à 32 m, noms similaires à 92 %, "
        "mais le type enregistré est « Clinique / cabinet médical »"
    )
    # Flagged by its name and by the report: one finding carrying both.
    assert found.iloc[1].evidence == (
        "le nom « CSCOM Mali » désigne un CSCOM, mais le type enregistré est « Pharmacie » ; "
        "correspond à la fiche CSCOM DNACPN « ASACOMA » (dnacpn-03) à 12 m"
    )
    # Re-kinded by the reconciliation (no sheet): says so once.
    assert found.iloc[2].evidence.endswith(
        "type enregistré changé en « Clinique / cabinet médical » par le rapprochement CSCOM, à vérifier"
    )


# --- missing_name / missing_coordinates --------------------------------------------------------


def test_missing_names(quartiers, communes):
    rows = [fac("a", "waste_site", "", 500), fac("b", "school", None, 520), fac("c", "school", "  ", 540)]
    found = run(rows, quartiers, communes, "missing_name")
    assert list(found.facility_id) == ["a", "b", "c"]
    assert found.iloc[0].evidence == "aucun nom dans la source (Dépôt de transit des déchets)"
    assert found.iloc[1].facility_name == ""


def test_missing_coordinates_at_placeholder_or_nowhere(quartiers, communes):
    rows = [
        fac("dnacpn-04", "cscom", "ASACO Boul 2", None, commune="Commune I"),
        fac("dnacpn-99", "cscom", "ASACO X", None, commune="Kati"),
        fac("sante-0001", "clinic", "Clinique", 500),
    ]
    facilities = layer(rows, quartiers, communes)
    found = quality.find_issues(facilities, quartiers, communes, checks=["missing_coordinates"])
    assert list(found.facility_id) == ["dnacpn-04", "dnacpn-99"]
    placed, lost = found.iloc[0], found.iloc[1]
    assert placed.evidence == "pas de coordonnées dans la source : placé au point représentatif de la Commune I"
    assert placed.geometry.equals_exact(communes.geometry[0].representative_point(), 1e-9)
    assert "absent de la carte" in lost.evidence and (lost.geometry is None or lost.geometry.is_empty)


# --- find_issues contract -------------------------------------------------------------------


def test_findings_schema_and_order(quartiers, communes):
    rows = [
        fac("b", "clinic", "", 500),
        fac("a", "pharmacy", "Pharmacie Kanu", 2500, commune="Commune I"),
        fac("c", "pharmacy", "Pharmacie Kanu", 2510),
    ]
    found = quality.find_issues(layer(rows, quartiers, communes), quartiers, communes)
    assert list(found.columns) == [*QA_COLUMNS, "geometry"]
    assert found.crs == STORE_CRS
    assert list(found.check) == ["duplicate", "unit_mismatch", "missing_name"]
    assert list(found.facility_id) == ["a", "a", "b"]


def test_bad_inputs_raise(quartiers, communes):
    facilities = layer([fac("a", "clinic", "", 500)], quartiers, communes)
    with pytest.raises(InvalidParameter, match="allowed: duplicate"):
        quality.find_issues(facilities, quartiers, communes, checks=["nope"])
    with pytest.raises(DataError, match=r"missing columns \['join_status'\]"):
        quality.find_issues(facilities.drop(columns="join_status"), quartiers, communes)
    with pytest.raises(DataError, match="CRS mismatch"):
        quality.find_issues(facilities.to_crs(METRIC_CRS), quartiers, communes)
    with pytest.raises(DataError, match="cscom_report: missing columns"):
        quality.find_issues(facilities, quartiers, communes, cscom_report=pd.DataFrame({"status": []}))


# --- summarize ----------------------------------------------------------------------------


def test_summary_counts_per_check_and_commune():
    findings = pd.DataFrame(
        {
            "check": ["duplicate", "duplicate", "missing_name", "outside_district"],
            "commune_pcode": ["ML090101", "ML090102", "ML090101", None],
        }
    )
    table = quality.summarize(findings)
    assert list(table.index) == [*quality.CHECKS, "total"]
    assert list(table.columns) == ["ML090101", "ML090102", quality.NO_COMMUNE, "total"]
    assert table.loc["duplicate"].tolist() == [1, 1, 0, 2]
    assert table.loc["outside_district", quality.NO_COMMUNE] == 1
    assert table.loc["total"].tolist() == [2, 1, 1, 4]
    assert table.loc["missing_coordinates", "total"] == 0


def test_summary_of_no_findings_is_all_zero():
    table = quality.summarize(pd.DataFrame({"check": [], "commune_pcode": []}))
    assert list(table.columns) == ["total"] and table["total"].sum() == 0
    assert table["total"].dtype.kind == "i"


# --- writers ------------------------------------------------------------------------------


def _findings() -> gpd.GeoDataFrame:
    rows = {
        "check": ["missing_name", "duplicate"],
        "facility_id": ["a", "b"],
        "facility_name": ['=HYPERLINK("http://x")', "École « Étoile »"],
        "kind": ["school", "school"],
        "commune_pcode": [None, "ML090101"],
        "evidence": ["-1 point", "@SUM(A1)"],
        "related_id": [None, "+c"],
    }
    return gpd.GeoDataFrame(rows, geometry=[None, Point(-7.987654321, 12.612345678)], crs=STORE_CRS)


def test_csv_is_excel_friendly_and_formula_safe(tmp_path):
    paths = quality.write_findings(_findings(), tmp_path)
    assert [p.name for p in paths] == ["qa_findings.csv", "qa_findings.geojson"]
    raw = (tmp_path / "qa_findings.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(tmp_path / "qa_findings.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(table.columns) == [*QA_COLUMNS, "lon", "lat"]
    assert table.facility_name.tolist() == ['\'=HYPERLINK("http://x")', "École « Étoile »"]
    assert table.evidence.tolist() == ["'-1 point", "'@SUM(A1)"]
    assert table.related_id.tolist() == ["", "'+c"]
    # Coordinates are numbers, not text: a negative longitude is not quoted.
    assert table.lon.tolist() == ["", "-7.987654"] and table.lat.tolist() == ["", "12.612346"]


def test_geojson_follows_rfc7946(tmp_path):
    quality.write_findings(_findings(), tmp_path)
    doc = json.loads((tmp_path / "qa_findings.geojson").read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    first, second = doc["features"]
    assert first["geometry"] is None and first["properties"]["commune_pcode"] is None
    assert second["geometry"] == {"type": "Point", "coordinates": [-7.987654, 12.612346]}
    assert second["properties"]["facility_name"] == "École « Étoile »"
    assert set(second["properties"]) == set(QA_COLUMNS)


def test_failed_write_leaves_previous_files_and_no_temp(tmp_path, monkeypatch):
    quality.write_findings(_findings().iloc[:1], tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def boom(findings: gpd.GeoDataFrame, path: Path) -> None:
        path.write_text('{"type": "FeatureCo', encoding="utf-8")  # half-written
        raise OSError("disk full")

    monkeypatch.setitem(quality.FINDING_WRITERS, "qa_findings.geojson", boom)
    with pytest.raises(OSError, match="disk full"):
        quality.write_findings(_findings(), tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_failed_first_write_creates_nothing(tmp_path, monkeypatch):
    def boom(findings: gpd.GeoDataFrame, path: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setitem(quality.FINDING_WRITERS, "qa_findings.csv", boom)
    with pytest.raises(OSError):
        quality.write_findings(_findings(), tmp_path / "out")
    assert os.listdir(tmp_path / "out") == []


# --- real mirror ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_units():
    mirror = os.environ.get("BAMAKO_ATLAS_MIRROR")
    if not mirror:
        pytest.skip("set BAMAKO_ATLAS_MIRROR to the upstream mirror root to run integration tests")
    from geo.pipeline.ingest.admin import read_communes, read_quartiers

    vector = Path(mirror) / "Vector"
    return read_quartiers(vector / "admin4_bamako_quartiers.gpkg"), read_communes(
        vector / "admin3_bamako_communes.gpkg"
    )


@pytest.mark.integration
def test_survey_spellings_of_real_quartiers_are_known(real_units):
    quartiers, _ = real_units
    spellings = ["Kalaban - Coura", "Badialan III", "Banankabougou - LMK", "Korofina-Sud", "Sokonafing", "TSF",
                 "Zon Aéroportière", "Quartier Fleuve", "N'Tomikorobougou", "Sirakoro-Dounfing", "Sema I"]  # fmt: skip
    declared = pd.DataFrame({"commune_declared": "", "quartier_declared": spellings})
    unknown = quality.unknown_quartier_names(declared, quartiers)
    assert sorted(unknown.quartier_declared) == ["Sema I", "Sirakoro-Dounfing"]


@pytest.mark.integration
def test_points_declared_in_their_own_real_quartier_raise_nothing(real_units):
    quartiers, communes = real_units
    points = quartiers.to_crs(METRIC_CRS).geometry.representative_point()
    rows = [
        fac(f"q-{k}", "school", f"École {name}", p.x - X0, p.y - Y0, commune=commune, quartier=name)
        for k, (p, name, commune) in enumerate(zip(points, quartiers["name"], quartiers["commune_name"], strict=True))
    ]
    frame = _to_store(gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS))
    found = quality.find_issues(assign_units(frame, quartiers), quartiers, communes)
    assert found.empty, found[["check", "facility_id", "evidence"]].to_string()


# --- cscom_close -----------------------------------------------------------------------------


@pytest.mark.parametrize(("dx", "found"), [(0, "au même point"), (45, "à 45 m"), (150, "")])
def test_two_cscoms_within_100_m_are_a_finding_of_their_own(quartiers, communes, dx, found):
    rows = [fac("dnacpn-37", "cscom", "ASACOLABASAD", 400), fac("sante-0160", "cscom", "Asacola B5", 400 + dx)]
    rows.append(fac("sante-0001", "pharmacy", "Pharmacie Kanu", 410))  # other kinds do not count
    findings = run(rows, quartiers, communes, "cscom_close")
    if not found:
        assert findings.empty
        return
    assert findings[["facility_id", "related_id"]].values.tolist() == [["dnacpn-37", "sante-0160"]]
    assert findings["evidence"].iloc[0].startswith(f"{found} du CSCOM « Asacola B5 » (sante-0160)")


def test_cscoms_outside_the_analyses_are_not_compared(quartiers, communes):
    rows = [fac("dnacpn-70", "cscom", "CSCOM A", 30_000), fac("dnacpn-71", "cscom", "CSCOM B", 30_010)]
    assert run(rows, quartiers, communes, "cscom_close").empty
