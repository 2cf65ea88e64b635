"""Landmarks of the atlas's own basemap (data/landmarks.csv): validation, positions by reference, the payload."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import shapely

from geo.errors import DataError
from geo.pipeline.ingest.places import BAMAKO_BOUNDS
from geo.publication import codec
from geo.publication import landmarks as lm
from geo.settings import data_dir


def write(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    """Write a landmarks table beside copies of the real crossings and places tables; return its path."""
    for name in ("crossings.csv", "places.csv"):
        shutil.copy(data_dir() / name, tmp_path / name)
    path = tmp_path / "landmarks.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(lm.LANDMARK_COLUMNS))
        writer.writeheader()
        writer.writerows([{**dict.fromkeys(lm.LANDMARK_COLUMNS, ""), **r} for r in rows])
    return path


CITED = {"name_fr": "Grande Mosquée", "name_en": "Grand Mosque", "kind": "mosque", "lat": "12.646944",
         "lon": "-7.993056", "position": "cited", "min_zoom": "12", "source_url": "https://example.org/mosquee"}  # fmt: skip
BRIDGE = {"name_fr": "Pont des Martyrs", "name_en": "Martyrs Bridge", "kind": "bridge", "position": "crossings.csv",
          "ref": "Pont des Martyrs", "min_zoom": "12"}  # fmt: skip


def test_positions_come_from_the_row_or_the_table_it_names(tmp_path):
    stadium = {**BRIDGE, "name_fr": "Stade", "name_en": "Stadium", "kind": "stadium", "position": "places.csv",
               "ref": "Stade du 26-Mars"}  # fmt: skip
    mosque, bridge, stade = lm.read_landmarks(write(tmp_path, [CITED, BRIDGE, stadium]))
    assert (mosque.lat, mosque.lon, mosque.precision) == (12.646944, -7.993056, "coordinates")
    assert mosque.source_url == "https://example.org/mosquee"
    assert (bridge.lat, bridge.lon) == (12.63, -7.991944) and "Pont_des_Martyrs" in bridge.source_url
    assert (stade.lat, stade.lon, stade.precision) == (12.60444, -7.92167, "cited_point")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"kind": "tower"}, "row 1, kind: 'tower' is not a kind"),
        ({"name_en": ""}, "row 1, name_en: is empty"),
        ({"min_zoom": "25"}, "row 1, min_zoom: '25' is not a zoom"),
        ({"source_url": ""}, "row 1, source_url: a cited position needs"),
        ({"lat": "-7.99", "lon": "12.64"}, "row 1, lat: -7.99 is outside"),
        ({"lon": "west"}, "row 1, lon: 'west' is not a number"),
        ({"position": "guess"}, "row 1, position: 'guess' is not a position"),
        ({"position": "crossings.csv", "ref": "Pont X"}, "row 1, ref: 'Pont X' is not a located row"),
        ({"position": "crossings.csv", "ref": "Pont des Martyrs"}, "row 1, position: a position from data/crossings"),
    ],
)
def test_invalid_rows_name_the_row_and_field(tmp_path, values, message):
    with pytest.raises(DataError) as info:
        lm.read_landmarks(write(tmp_path, [{**CITED, **values}]))
    assert message in str(info.value) and "landmarks.csv" in str(info.value)


def test_wrong_columns_and_missing_files_raise(tmp_path):
    (tmp_path / "landmarks.csv").write_text("name,lat,lon\n", encoding="utf-8")
    with pytest.raises(DataError, match="columns must be"):
        lm.read_landmarks(tmp_path / "landmarks.csv")
    with pytest.raises(DataError, match="cannot read the landmarks"):
        lm.read_landmarks(tmp_path / "nowhere" / "landmarks.csv")


def test_the_payload_decodes_to_the_landmarks(tmp_path):
    landmarks = lm.read_landmarks(write(tmp_path, [CITED, BRIDGE]))
    payload = lm.landmarks_payload(landmarks)
    assert payload["n"].split("\n") == ["Grande Mosquée", "Pont des Martyrs"]
    assert payload["e"].split("\n") == ["Grand Mosque", "Martyrs Bridge"]
    assert [payload["kinds"][k] for k in payload["k"]] == ["mosque", "bridge"] and payload["z"] == [12, 12]
    points = codec.decode_points(payload["pt"])
    assert [(round(p.y, 5), round(p.x, 5)) for p in points] == [(12.64694, -7.99306), (12.63, -7.99194)]


def test_the_real_table_is_cited_and_inside_the_district():
    landmarks = lm.read_landmarks()
    names = {x.name_fr for x in landmarks}
    assert {"Pont des Martyrs", "Pont du Roi-Fahd", "Pont de l'Amitié"} <= names  # the three road bridges
    assert sum(x.kind == "bridge" for x in landmarks) == 3
    for x in landmarks:
        assert x.name_fr and x.name_en, x
        assert BAMAKO_BOUNDS[0] <= x.lon <= BAMAKO_BOUNDS[2] and BAMAKO_BOUNDS[1] <= x.lat <= BAMAKO_BOUNDS[3], x
        assert x.source_url and all(u.startswith(("https://", "http://")) for u in x.source_url.split()), x
    assert len({(x.lat, x.lon) for x in landmarks}) == len(landmarks)  # no two on one point


@pytest.mark.integration
def test_the_real_landmarks_lie_in_the_district(real_store):
    from geo.store import open_store

    outline = open_store(real_store).layers["district"].geometry.iloc[0]
    for x in lm.read_landmarks():
        assert outline.buffer(0.005).contains(shapely.Point(x.lon, x.lat)), x.name_fr
