"""Imports against the real mirror: a raw survey layer leaks nothing, the atlas re-imported is all duplicates."""

from __future__ import annotations

import json

import pytest

from geo.pipeline.ingest.admin import read_quartiers
from geo.planning.imports import parse_upload, preview
from geo.store import open_store

pytestmark = pytest.mark.integration

#: Collector fields of the KoBo survey layers (never to be copied anywhere).
PERSONAL = ("start", "today", "deviceid", "simserial", "subscriberid", "Name of data collector", "_uuid")


def test_a_raw_survey_layer_is_read_through_the_allow_list_only(mirror_dir):
    import pyogrio

    path = mirror_dir / "Vector" / "02_health_facilities_all_v5.gpkg"
    quartiers = read_quartiers(mirror_dir / "Vector" / "admin4_bamako_quartiers.gpkg")
    parsed = parse_upload(path.read_bytes(), path.name, quartiers=quartiers)
    raw = pyogrio.read_dataframe(path)
    present = [c for c in PERSONAL if c in raw.columns]
    assert present and set(present) <= set(parsed.ignored_columns)
    text = json.dumps(parsed.to_dict(), ensure_ascii=False)
    for column in present:
        values = {str(v) for v in raw[column].dropna() if len(str(v)) >= 6}
        assert not [v for v in values if v in text], column


def test_the_atlas_re_imported_is_flagged_as_duplicates(real_store):
    atlas = open_store(real_store)
    facilities, quartiers = atlas["facilities"], atlas["quartiers"]
    named = facilities["name"].fillna("").str.strip() != ""
    sample = facilities[(facilities["join_status"] == "inside") & named & (facilities["name"].str.len() <= 200)]
    features = [
        {
            "type": "Feature",
            "properties": {"name": row.name, "kind": row.kind},
            "geometry": {"type": "Point", "coordinates": [row.geometry.x, row.geometry.y]},
        }
        for row in sample.itertuples()
    ]
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    parsed = parse_upload(data, "atlas.geojson", quartiers=quartiers)
    assert parsed.errors == [] and len(parsed.rows) == len(sample)
    pv = preview(parsed, facilities)
    assert len(pv.duplicates) == len(sample) and pv.to_add == []
    assert all(d["matches"][0]["distance_m"] < 0.1 for d in pv.duplicates)
