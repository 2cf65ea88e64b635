"""Survey import: allow-list, kinds, names, lost letters, counts, on tiny GeoPackages and the mirror."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point, box

from geo.errors import DataError
from geo.pipeline.ingest import survey_text, surveys
from geo.vocabulary import KINDS, SOURCE_FACILITY_COLUMNS, STORE_CRS

LOST = "\ufffd"


def write_survey(path: Path, columns: dict[str, list], *, lon: float = -8.0, lat: float = 12.6) -> Path:
    """Write a one-layer point GeoPackage with ``columns``; point i is 0.001° east of point i-1."""
    n = len(next(iter(columns.values())))
    points = [Point(lon + i * 0.001, lat) for i in range(n)]
    pyogrio.write_dataframe(gpd.GeoDataFrame(columns, geometry=points, crs=STORE_CRS), path, driver="GPKG")
    return path


def health_columns(n: int, **overrides: list) -> dict[str, list]:
    """Return every allow-listed health column (plain values) plus a collector column, for n rows."""
    columns = {
        "start": ["2021-02-08T10:00:00"] * n,
        "deviceid": ["collect:SENTINEL"] * n,
        "Commune": ["Commune V"] * n,
        "Name of quartier": ["Daoudabougou"] * n,
        "Nature of the facility": [f"Clinique {i}" for i in range(n)],
        "Type of the facility": ["Clinic"] * n,
        "What type of operator is this?": ["Private"] * n,
        "Number of beds in the health facility": [4.0] * n,
        "What is the number of doctors?": [1.0] * n,
        "What is the number of nurses?": [2.0] * n,
        "Opening days and times": ["24/7"] * n,
        "What is the name of the operator?": ["Dr Personne"] * n,
    }
    columns.update(overrides)
    return columns


def read_health(tmp_path: Path, **columns: list) -> gpd.GeoDataFrame:
    n = len(next(iter(columns.values()))) if columns else 1
    return surveys.read_health(write_survey(tmp_path / "health.gpkg", health_columns(n, **columns)))


def tiny_quartiers() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "pcode": ["Q1", "Q2"],
            "name": ["Sénou", "Sébéninkoro"],
            "alt_name": ["Senou", "Sebeninkoro"],
            "commune_pcode": ["ML090106", "ML090104"],
        },
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs=STORE_CRS,
    )


# ---------------------------------------------------------------- schema and ids


def test_schema_ids_and_precision(tmp_path):
    out = read_health(tmp_path, **{"Nature of the facility": ["A", "B", "C"]})
    assert list(out.columns) == [*SOURCE_FACILITY_COLUMNS, "geometry"]
    assert str(out.crs) == STORE_CRS
    assert out["id"].tolist() == ["sante-0001", "sante-0002", "sante-0003"]
    assert out["source_refs"].tolist() == ["row 0001", "row 0002", "row 0003"]
    assert set(out["sources"]) == {"survey_health"}
    assert set(out["location_precision"]) == {"gps_survey"}
    assert out.geometry.x.round(3).tolist() == [-8.0, -7.999, -7.998]
    assert set(out["confidence"]) == {""}


def test_collector_and_operator_name_columns_are_not_read(tmp_path):
    out = read_health(tmp_path)
    cells = " ".join(map(str, out.drop(columns="geometry").to_numpy().ravel()))
    assert "SENTINEL" not in cells and "Personne" not in cells


def test_missing_allow_listed_column_raises(tmp_path):
    columns = health_columns(1)
    del columns["Type of the facility"]
    path = write_survey(tmp_path / "health.gpkg", columns)
    with pytest.raises(DataError, match="Type of the facility"):
        surveys.read_health(path)


# ---------------------------------------------------------------- kinds


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("Community health center", "cscom"),
        ("Reference health center", "csref"),
        ("Hospital", "hospital"),
        ("Clinic", "clinic"),
        ("Dental", "clinic"),
        ("Pharmacy", "pharmacy"),
        ("Traditional", "health_other"),
    ],
)
def test_health_kind_registry(tmp_path, answer, kind):
    out = read_health(tmp_path, **{"Type of the facility": [answer]})
    assert out["kind"].tolist() == [kind]
    assert out["note"].tolist() == [""]


def test_missing_health_type_is_inferred_from_the_name(tmp_path):
    names = [
        "PHARMACIE djema",
        "Cabinet medical",
        "CSCOM de ANIASCo",
        "Clinique médical",
        "Centre de soins d'obstétrique",
    ]
    out = read_health(tmp_path, **{"Nature of the facility": names, "Type of the facility": [None] * 5})
    assert out["kind"].tolist() == ["pharmacy", "clinic", "cscom", "clinic", "health_other"]
    assert out["note"].str.contains("kind inferred from the name").all()


def test_unknown_health_type_raises_with_the_row(tmp_path):
    with pytest.raises(DataError, match=r"rows \['0002'\].*'Veterinary'.*allowed: Community health center"):
        read_health(tmp_path, **{"Type of the facility": ["Clinic", "Veterinary"]})


def test_education_kinds_and_inference(tmp_path):
    columns = {
        "Commune": ["Commune VI"] * 5,
        "Name of quartier": ["Sénou"] * 5,
        "Name of Facility": ["École A", "Jardin d'enfants B", "Lycée C", "Institut D", "Medersa E"],
        "Amenity": ["School", "Kindergarten", None, None, None],
        "Type of the organization/institution that runs the facility": [
            "Government",
            "NGO",
            "Religious",
            None,
            "Public",
        ],
        "Number of Students": [300.0, 8000.0, None, 120.0, -5.0],
        "Opening Hours": ["Mo-Fri 08:00-17:00", "Other", "Other Mo-Sa 07:30-15:00", None, "24/7"],
        "You said other, please specify": [None, "7h45 à\n17h", None, None, None],
        "Name of data collector": ["Collecteur Sentinelle"] * 5,
    }
    out = surveys.read_education(write_survey(tmp_path / "educ.gpkg", columns))
    assert out["id"].tolist()[0] == "educ-0001"
    assert out["kind"].tolist() == ["school", "kindergarten", "college", "university", "school"]
    assert out["operator_type"].tolist() == ["public", "ngo", "religious", "", "public"]
    assert out["opening_hours"].tolist() == ["Mo-Fri 08:00-17:00", "7h45 à 17h", "other; Mo-Sa 07:30-15:00", "", "24/7"]
    assert out["pupils"].tolist() == [300, 8000, pd.NA, 120, pd.NA]
    assert "pupils: 8000 kept but implausible (above 1000)" in out["note"].iloc[1]
    assert "pupils: value discarded" in out["note"].iloc[4]
    assert out[["beds", "doctors", "nurses"]].isna().all().all()


# ---------------------------------------------------------------- names


def test_names_are_cleaned_and_remarks_dropped(tmp_path):
    names = [
        "Pharmacie \nOfficine N Mandela",
        "Cabinet dentaire\nLe docteur n'a pas voulu donner les renseignements sur sa structure",
        "Hôpital Mali Gavardo,",
        "Dépotoir d'ordure \U0001f360",
        None,
    ]
    out = read_health(tmp_path, **{"Nature of the facility": names})
    assert out["name"].tolist() == [
        "Pharmacie Officine N Mandela",
        "Cabinet dentaire",
        "Hôpital Mali Gavardo",
        "Dépotoir d'ordure",
        "",
    ]
    assert out["note"].iloc[1] == "a collector's remark after the name was dropped"
    assert out["note"].iloc[0] == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"D{LOST}p{LOST}t d{LOST}chet", "Dépôt déchet"),
        (f"D{LOST}POTOIR", "DÉPOTOIR"),
        (f"Une petite D{LOST}charge", "Une petite Décharge"),
        (f"S{LOST}nou", "Sénou"),
        (f"S{LOST}b{LOST}ninkoro", "Sébéninkoro"),
        (f"Zon A{LOST}roportière", "Zon Aéroportière"),
        (f"Lyc{LOST}e", f"Lyc{LOST}e"),  # no vocabulary word fits: left as is
        ("Dépôt", "Dépôt"),
    ],
)
def test_repair_lost_letters(text, expected):
    assert survey_text.repair_lost_letters(text, survey_text.repair_vocabulary(tiny_quartiers())) == expected


def test_repair_needs_a_single_fit():
    vocabulary = {"côté": "côté", "cóté": "cóté"}
    assert survey_text.repair_lost_letters(f"c{LOST}t{LOST}", vocabulary) == f"c{LOST}t{LOST}"


def test_waste_layer_repairs_names_and_quartiers(tmp_path):
    columns = {
        "Commune": ["Commune VI", "Commune IV", "Commune VI"],
        "Name of quartier": [f"S{LOST}nou", f"S{LOST}b{LOST}ninkoro", "Sénou"],
        "Name of facility": [f"D{LOST}p{LOST}t de d{LOST}chets", None, f"Lyc{LOST}e"],
        "Amenity": ["Waste transfer station"] * 3,
        "Type of operator": ["Community", "Government", None],
        "phonenumber": [76000000] * 3,
    }
    out = surveys.read_waste(write_survey(tmp_path / "waste.gpkg", columns), quartiers=tiny_quartiers())
    assert out["id"].tolist() == ["dechets-0001", "dechets-0002", "dechets-0003"]
    assert set(out["kind"]) == {"waste_site"}
    assert out["name"].tolist() == ["Dépôt de déchets", "", f"Lyc{LOST}e"]
    assert out["quartier_declared"].tolist() == ["Sénou", "Sébéninkoro", "Sénou"]
    assert out["operator_type"].tolist() == ["community", "public", ""]
    assert out["note"].iloc[0] == (
        "name: accented letters lost in the source were restored; "
        "quartier: accented letters lost in the source were restored"
    )
    assert "could not be restored" in out["note"].iloc[2]


# ---------------------------------------------------------------- counts


def test_counts_out_of_range_are_discarded_and_large_ones_noted(tmp_path):
    out = read_health(
        tmp_path,
        **{
            "What is the number of doctors?": [66770058.0, 412.0, 3.0],
            "What is the number of nurses?": [-1.0, 5.0, None],
            "What type of operator is this?": ["Governement", "Public", "Religious"],
        },
    )
    assert out["doctors"].tolist() == [pd.NA, 412, 3]
    assert out["nurses"].tolist() == [pd.NA, 5, pd.NA]
    assert out["note"].iloc[0] == (
        "doctors: value discarded (not a count between 0 and 5000); nurses: value discarded (not a count between 0 and 5000)"
    )
    assert "66770058" not in out["note"].iloc[0]
    assert out["note"].iloc[1] == "doctors: 412 kept but implausible (above 150)"
    assert out["operator_type"].tolist() == ["public", "public", "religious"]


# ---------------------------------------------------------------- real mirror


@pytest.fixture(scope="module")
def real_surveys(mirror_dir):
    from geo.pipeline.ingest.admin import read_quartiers
    from geo.pipeline.sources import registry

    quartiers = read_quartiers(mirror_dir / registry()["quartiers"].path)
    return {
        "health": surveys.read_health(mirror_dir / registry()["survey_health"].path, quartiers=quartiers),
        "education": surveys.read_education(mirror_dir / registry()["survey_education"].path, quartiers=quartiers),
        "waste": surveys.read_waste(mirror_dir / registry()["survey_waste"].path, quartiers=quartiers),
    }


@pytest.mark.integration
def test_real_counts(real_surveys):
    health, education, waste = real_surveys["health"], real_surveys["education"], real_surveys["waste"]
    assert health["kind"].value_counts().to_dict() == {
        "clinic": 198,
        "pharmacy": 139,
        "cscom": 51,
        "health_other": 10,
        "csref": 8,
        "hospital": 6,
    }
    assert education["kind"].value_counts().to_dict() == {
        "school": 1095,
        "kindergarten": 181,
        "college": 181,
        "university": 69,
    }
    assert len(waste) == 135 and set(waste["kind"]) == {"waste_site"}
    assert [int((f["name"] == "").sum()) for f in (health, education, waste)] == [12, 6, 62]
    for frame in real_surveys.values():
        assert frame["id"].is_unique
        assert set(frame["kind"]) <= set(KINDS)
        assert list(frame.columns) == [*SOURCE_FACILITY_COLUMNS, "geometry"]


@pytest.mark.integration
def test_real_lost_letters_are_all_restored(real_surveys):
    waste = real_surveys["waste"]
    assert not waste["name"].str.contains(LOST).any()
    assert not waste["quartier_declared"].str.contains(LOST).any()
    assert int(waste["note"].str.contains("name: accented letters lost").sum()) == 65
    assert int(waste["note"].str.contains("quartier: accented letters lost").sum()) == 12


@pytest.mark.integration
def test_real_phone_number_in_doctors_is_discarded(real_surveys):
    health = real_surveys["health"]
    assert health["doctors"].max() == 412
    assert int(health["note"].str.contains("doctors: value discarded").sum()) == 1
