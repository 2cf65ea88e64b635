"""Finding 12: a facility name holding its own row's collector name is replaced, kept out of the store, flagged."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import Point

from geo.pipeline import quality
from geo.pipeline.ingest.surveys import COLLECTOR_COLUMN, PERSONAL_NAME_NOTE, generic_name
from geo.store import open_store
from geo.text import GENERIC_NAME_WORDS, normalize_name
from geo.vocabulary import STORE_CRS
from tests.geo.test_personal_data import FAKE_ALLOWED, SURVEYS, _survey_paths

#: Name column of each survey (the allow-list's source column mapped to "name").
NAME_COLUMNS = {key: next(c for c, v in allow.items() if v == "name") for key, (_, allow) in SURVEYS.items()}


def _person(collector: object) -> list[str]:
    """Return the collector's name as words when the rule takes it for a person's name, else []."""
    words = normalize_name(collector if isinstance(collector, str) else "").split()
    return words if len(words) >= 2 and words[0] not in GENERIC_NAME_WORDS else []


def _holds(name: object, words: list[str]) -> bool:
    return bool(words) and f" {' '.join(words)} " in f" {normalize_name(name or '')} "


@pytest.mark.parametrize(
    ("name", "collector", "kind", "expected"),
    [
        ('Cabinet médical"Awa camara"', "Awa camara", "clinic", "Cabinet médical"),
        ("Pharmacie Awa Camara", "AWA  Camara ", "pharmacy", "Pharmacie"),
        ("Awa Camara", "Awa Camara", "clinic", "Clinique / cabinet médical"),
        ("Clinique Awa Camara Diallo", "Awa Camara", "clinic", "Clinique / cabinet médical"),
        ("Clinique Awa Camarade", "Awa Camara", "clinic", None),  # not the same words
        ("Clinique Camara", "Awa Camara", "clinic", None),  # a surname alone is not the collector's name
        ("École Moussa", "M", "school", None),  # one letter is not a name
        ("Lycée Tieba Traoré", "Lycée Tieba Traoré", "college", None),  # a facility typed as collector
        ("Clinique X", None, "clinic", None),
    ],
)
def test_generic_name_rule(name, collector, kind, expected):
    assert generic_name(name, collector, kind) == expected


def test_reader_replaces_the_name_and_never_keeps_the_collector(tmp_path):
    reader, allow = SURVEYS["survey_health"]
    columns = {c: [FAKE_ALLOWED[c]] * 2 for c in allow}
    columns["Nature of the facility"] = ['Cabinet médical "Sentinelle Kanté"', "Clinique du Fleuve"]
    columns[COLLECTOR_COLUMN] = ["Sentinelle Kanté", "Sentinelle Kanté"]
    frame = gpd.GeoDataFrame(columns, geometry=[Point(-8.0, 12.6), Point(-7.99, 12.61)], crs=STORE_CRS)
    path = tmp_path / "health.gpkg"
    pyogrio.write_dataframe(frame, path, driver="GPKG")
    out = reader(path)
    assert out["name"].tolist() == ["Cabinet médical", "Clinique du Fleuve"]
    assert PERSONAL_NAME_NOTE in out.at[0, "note"] and PERSONAL_NAME_NOTE not in out.at[1, "note"]
    text = out.drop(columns="geometry").astype(str).to_csv().lower()
    assert "sentinelle" not in text and "kant" not in text and COLLECTOR_COLUMN.lower() not in text


def test_qa_flags_the_replaced_name_without_the_personal_value(tiny_store):
    atlas = open_store(tiny_store)
    facilities = atlas["facilities"].copy()
    facilities.loc[1, "note"] = "kind inferred from the name; " + PERSONAL_NAME_NOTE
    found = quality.find_issues(facilities, atlas["quartiers"], atlas["communes"])
    flagged = found[found["check"] == "suspected_personal_data"]
    assert flagged["facility_id"].tolist() == [facilities.at[1, "id"]]
    assert "enquêteur" in flagged["evidence"].iloc[0]


@pytest.mark.integration
@pytest.mark.parametrize("key", list(SURVEYS))
def test_every_real_source_row_is_checked(mirror_dir, key):
    """For every row of the real surveys: no stored name holds its collector's name; exactly those are flagged."""
    path = _survey_paths(mirror_dir)[key]
    out = SURVEYS[key][0](path)
    raw = pyogrio.read_dataframe(path, columns=[NAME_COLUMNS[key], COLLECTOR_COLUMN], read_geometry=False)
    assert len(raw) == len(out)
    flagged = []
    for i, (source_name, collector) in enumerate(zip(raw[NAME_COLUMNS[key]], raw[COLLECTOR_COLUMN], strict=True)):
        person = _person(collector)
        assert not _holds(out.at[i, "name"], person), out.at[i, "id"]
        if _holds(source_name, person):
            flagged.append(out.at[i, "id"])
            assert PERSONAL_NAME_NOTE in out.at[i, "note"]
        else:
            assert PERSONAL_NAME_NOTE not in out.at[i, "note"]
    assert flagged == (["sante-0152"] if key == "survey_health" else [])


@pytest.mark.integration
def test_the_real_store_holds_the_generic_name_and_the_finding(real_store):
    atlas = open_store(real_store)
    facilities = atlas["facilities"].set_index("id")
    assert facilities.at["sante-0152", "name"] == "Cabinet médical"
    qa = atlas["qa_findings"]
    flagged = qa[qa["check"] == "suspected_personal_data"]
    assert flagged["facility_id"].tolist() == ["sante-0152"]
    con = sqlite3.connect(real_store)
    try:
        tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in con.execute(f'SELECT * FROM "{table}"'):
                text = " ".join(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row)
                assert "awa camara" not in normalize_name(text), table
    finally:
        con.close()
