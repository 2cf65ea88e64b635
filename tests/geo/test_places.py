"""The project's places table: validation, unlocated rows, merge with the education survey."""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo.errors import DataError
from geo.pipeline.ingest import places as pl
from geo.spatial.joins import place_unlocated
from geo.vocabulary import METRIC_CRS, SOURCE_FACILITY_COLUMNS, STORE_CRS

URL = "https://example.org/source"
# UTM 29N origin near Bamako: two communes of one 1 km quartier each.
X0, Y0 = 600_000.0, 1_400_000.0


def tiny_units() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    squares = [box(X0 + i * 1000, Y0, X0 + (i + 1) * 1000, Y0 + 1000) for i in range(2)]
    quartiers = gpd.GeoDataFrame(
        {
            "pcode": ["ML090102631", "ML090105001"],
            "name": ["Niaréla", "Baco Djicoroni"],
            "alt_name": ["Niarela", "Baco djikoroni"],
            "commune_pcode": ["ML090102", "ML090105"],
        },
        geometry=squares,
        crs=METRIC_CRS,
    ).to_crs(STORE_CRS)
    communes = gpd.GeoDataFrame(
        {"pcode": ["ML090102", "ML090105"], "name": ["Commune II", "Commune V"]}, geometry=squares, crs=METRIC_CRS
    ).to_crs(STORE_CRS)
    return communes, quartiers


def row(**values: str) -> dict[str, str]:
    base = dict.fromkeys(pl.PLACES_COLUMNS, "")
    base.update(
        kind="stadium",
        name="Stade A",
        lat="12.65",
        lon="-8.0",
        precision="cited_point",
        confidence="high",
        source_url=URL,
    )
    base.update(values)
    return base


def write_places(path: Path, rows: list[dict[str, str]], columns=pl.PLACES_COLUMNS) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def read(tmp_path: Path, rows: list[dict[str, str]]) -> gpd.GeoDataFrame:
    return pl.read_places(write_places(tmp_path / "places.csv", rows), tiny_units()[1])


def test_read_places_schema_and_geometry(tmp_path):
    out = read(
        tmp_path,
        [
            row(),
            row(
                kind="claec",
                name="CLAEC Commune II",
                commune="Commune II",
                lat="",
                lon="",
                precision="commune",
                confidence="medium",
            ),
            row(
                kind="plateau_sportif",
                name="Plateau sportif de Niaréla",
                commune="Commune II",
                quartier="Niarela",
                lat="",
                lon="",
                precision="quartier",
                source_url=f"{URL}/a  {URL}/b",
            ),
        ],
    )
    assert list(out.columns) == [*SOURCE_FACILITY_COLUMNS, "geometry"]
    assert str(out.crs) == STORE_CRS
    assert out["id"].tolist() == ["lieu-stade-a", "lieu-claec-commune-ii", "lieu-plateau-sportif-de-niarela"]
    assert out.geometry.iloc[0].equals(Point(-8.0, 12.65))
    assert out.geometry.is_empty.tolist() == [False, True, True]
    assert set(out["sources"]) == {"places"}
    assert out["source_refs"].tolist() == [URL, URL, f"{URL}/a {URL}/b"]
    assert out["commune_declared"].tolist() == ["", "Commune II", "Commune II"]
    assert out["location_precision"].tolist() == ["cited_point", "commune", "quartier"]
    assert out["pupils"].isna().all()


def test_unlocated_places_go_to_their_unit(tmp_path):
    communes, quartiers = tiny_units()
    out = read(
        tmp_path,
        [
            row(name="A", commune="Commune V", quartier="Baco Djicoroni", lat="", lon="", precision="quartier"),
            row(name="B", commune="Commune II", lat="", lon="", precision="commune"),
        ],
    )
    placed = place_unlocated(out, communes, quartiers).to_crs(METRIC_CRS)
    assert placed.geometry.iloc[0].within(quartiers.to_crs(METRIC_CRS).geometry.iloc[1])
    assert placed.geometry.iloc[1].within(communes.to_crs(METRIC_CRS).geometry.iloc[0])
    assert placed["location_precision"].tolist() == ["quartier", "commune"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"kind": "swimming_pool"}, "row 1, kind: 'swimming_pool' is not a kind"),
        ({"name": "  "}, "row 1, name: is empty"),
        ({"precision": "street"}, "row 1, precision: 'street' is not a precision"),
        ({"precision": "commune", "commune": "Commune II"}, "row 1, precision: must be 'cited_point' with coordinates"),
        ({"lat": "", "lon": ""}, "row 1, precision: must be 'cited_point' with coordinates"),
        ({"confidence": "very high"}, "row 1, confidence: 'very high' is not a confidence"),
        ({"lon": ""}, "row 1, lat: lat and lon must be given both or neither"),
        ({"lat": "-8.0", "lon": "12.65"}, "row 1, lat: -8.0 is outside"),
        ({"lon": "west"}, "row 1, lon: 'west' is not a number"),
        ({"commune": "Commune VII"}, "row 1, commune: 'Commune VII' is not a commune"),
        ({"quartier": "Niaréla"}, "row 1, commune: is required"),
        (
            {"commune": "Commune V", "quartier": "Niaréla"},
            "row 1, quartier: 'Niaréla' is not a COD-AB quartier name of Commune V",
        ),
        ({"commune": "Commune II", "lat": "", "lon": "", "precision": "quartier"}, "row 1, quartier: is required"),
        ({"source_url": ""}, "row 1, source_url: is empty"),
        ({"source_url": "www.example.org"}, "row 1, source_url: ['www.example.org'] are not http(s) URLs"),
        ({"note": "Exact site unknown."}, "row 1, note_fr: is empty: every note needs its French translation"),
    ],
)
def test_invalid_values_name_the_row_and_field(tmp_path, values, message):
    with pytest.raises(DataError) as info:
        read(tmp_path, [row(**values)])
    assert message in str(info.value)
    assert "places.csv" in str(info.value)


def test_every_problem_is_reported_at_once(tmp_path):
    with pytest.raises(DataError) as info:
        read(tmp_path, [row(), row(name="B", kind="x"), row(name="C", confidence="sure"), row(name="Stade  A!")])
    text = str(info.value)
    assert "3 invalid value(s)" in text
    assert "row 2, kind" in text and "row 3, confidence" in text
    assert "row 4, name: gives the id 'lieu-stade-a' of an earlier row" in text


def test_wrong_columns_raise(tmp_path):
    path = write_places(tmp_path / "places.csv", [row()], columns=("kind", "name", "lat", "lon"))
    with pytest.raises(DataError, match="columns must be"):
        pl.read_places(path, tiny_units()[1])


# ---------------------------------------------------------------- merge with the survey


def survey(rows: list[tuple[str, str, float, float]]) -> gpd.GeoDataFrame:
    """Return education-survey rows (id, kind, x offset m, y offset m) around (X0, Y0) in the store schema."""
    n = len(rows)
    data = {c: [""] * n for c in SOURCE_FACILITY_COLUMNS}
    data["id"] = [r[0] for r in rows]
    data["kind"] = [r[1] for r in rows]
    data["name"] = [f"Survey {r[0]}" for r in rows]
    data["sources"] = ["survey_education"] * n
    data["location_precision"] = ["gps_survey"] * n
    data["source_refs"] = [f"row {r[0][-4:]}" for r in rows]
    data["operator_type"] = ["public"] * n
    data["opening_hours"] = ["Mo-Fri 08:00-17:00"] * n
    for column in ("beds", "doctors", "nurses", "pupils"):
        data[column] = pd.array([pd.NA] * n, dtype="Int64")
    data["pupils"] = pd.array([250] * n, dtype="Int64")
    points = [Point(X0 + r[2], Y0 + r[3]) for r in rows]
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(points, crs=METRIC_CRS)).to_crs(STORE_CRS)


def claec_places(tmp_path: Path) -> gpd.GeoDataFrame:
    at = gpd.GeoSeries([Point(X0 + 500, Y0 + 500)], crs=METRIC_CRS).to_crs(STORE_CRS).iloc[0]
    return read(
        tmp_path,
        [
            row(
                kind="claec",
                name="CLAEC Commune II",
                commune="Commune II",
                lat=f"{at.y:.9f}",
                lon=f"{at.x:.9f}",
                note="Matched by name.",
                note_fr="Rapproché par le nom.",
            ),
            row(kind="claec", name="CLAEC Commune V", commune="Commune V", lat="", lon="", precision="commune"),
            row(name="Stade B", lat=f"{at.y:.9f}", lon=f"{at.x:.9f}"),
        ],
    )


def test_merge_removes_the_survey_twin(tmp_path):
    places = claec_places(tmp_path)
    education = survey(
        [
            ("educ-0001", "school", 500, 500),  # same point, but a school: not a CLAEC twin
            ("educ-0002", "kindergarten", 502, 500),  # 2 m away: the CLAEC
            ("educ-0003", "kindergarten", 500, 600),  # 100 m away: another kindergarten
        ]
    )
    merged, rest = pl.merge_survey_duplicates(places, education)
    assert rest["id"].tolist() == ["educ-0001", "educ-0003"]
    claec = merged.iloc[0]
    assert claec["sources"] == "places;survey_education"
    assert claec["source_refs"] == f"{URL};row 0002"
    assert claec["pupils"] == 250 and claec["operator_type"] == "public"
    assert claec["name"] == "CLAEC Commune II"
    merged_note = 'same facility as survey row educ-0002 ("Survey educ-0002", 2 m)'
    assert claec["note"] == "Matched by name.; " + merged_note
    assert claec["note_fr"] == "Rapproché par le nom.; " + merged_note  # translated for display (phrases)
    twin = education.set_index("id").loc["educ-0002"]
    assert claec.geometry.equals(twin.geometry)  # the survey's GPS point and its precision class
    assert claec["location_precision"] == twin["location_precision"] == "gps_survey"
    assert merged.iloc[2]["location_precision"] == "cited_point"
    assert merged.iloc[1]["sources"] == "places" and merged.iloc[2]["sources"] == "places"
    assert len(places) == 3 and len(education) == 3  # inputs untouched


def test_merge_without_twin_within_distance_changes_nothing(tmp_path):
    places = claec_places(tmp_path)
    education = survey([("educ-0001", "kindergarten", 520, 500)])
    merged, rest = pl.merge_survey_duplicates(places, education)
    assert rest["id"].tolist() == ["educ-0001"]
    assert merged["sources"].tolist() == ["places"] * 3


def test_merge_checks_crs(tmp_path):
    with pytest.raises(DataError, match="CRS mismatch"):
        pl.merge_survey_duplicates(
            claec_places(tmp_path), survey([("educ-0001", "kindergarten", 0, 0)]).to_crs(METRIC_CRS)
        )


# ---------------------------------------------------------------- the real table


@pytest.mark.integration
def test_real_places_table(mirror_dir):
    from geo.pipeline.ingest.admin import read_quartiers
    from geo.pipeline.ingest.surveys import read_education
    from geo.pipeline.sources import data_dir, registry

    quartiers = read_quartiers(mirror_dir / registry()["quartiers"].path)
    places = pl.read_places(data_dir() / "places.csv", quartiers)
    assert places["kind"].value_counts().to_dict() == {
        "claec": 6,
        "plateau_sportif": 3,
        "stadium": 3,
        "sports_ground": 2,
    }
    assert places["id"].is_unique
    education = read_education(mirror_dir / registry()["survey_education"].path, quartiers=quartiers)
    merged, rest = pl.merge_survey_duplicates(places, education)
    assert len(education) - len(rest) == 4
    assert sorted(set(education["id"]) - set(rest["id"])) == ["educ-0677", "educ-1003", "educ-1331", "educ-1479"]
    claec = merged[merged["kind"] == "claec"].set_index("id")
    assert (claec["sources"] == "places;survey_education").sum() == 4
    assert claec.loc["lieu-claec-commune-vi", "source_refs"].endswith(";row 1479")
