"""Previews: probable duplicates within 50 m with similar names and compatible kinds; JSON round trip."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo.planning.imports import COMPATIBLE_KINDS, Preview, parse_upload, preview
from geo.planning.imports.preview import name_score
from tests.geo.imports.samples import csv_bytes, ll


def parsed_rows(quartiers, rows):
    return parse_upload(csv_bytes(rows), "new.csv", quartiers=quartiers)


def existing(*items) -> gpd.GeoDataFrame:
    """Return facilities (id, kind, name, point) from (id, kind, name, dx, dy) items."""
    return gpd.GeoDataFrame(
        {"id": [i[0] for i in items], "kind": [i[1] for i in items], "name": [i[2] for i in items]},
        geometry=[Point(*ll(i[3], i[4])) for i in items],
        crs="EPSG:4326",
    )


def row(name, kind, dx, dy):
    lon, lat = ll(dx, dy)
    return [f'"{name}"', kind, lat, lon]


def test_a_near_similar_same_kind_row_is_a_probable_duplicate(quartiers):
    base = existing(("dnacpn-01", "cscom", "ASACOFA", 500, 500), ("sante-0001", "pharmacy", "Pharmacie Kanu", 520, 500))
    parsed = parsed_rows(
        quartiers,
        [
            row("CSCOM Asacofa", "cscom", 530, 500),  # 30 m, same place
            row("Pharmacie Kanou", "pharmacy", 500, 540),  # ~45 m, a spelling variant
            row("Pharmacie du Fleuve", "pharmacy", 520, 510),  # 10 m but another name
            row("ASACOFA", "cscom", 500, 560),  # 60 m: too far
            row("Pharmacie Kanu", "school", 520, 500),  # same point, incompatible kind
        ],
    )
    pv = preview(parsed, base)
    assert [d["row"]["line"] for d in pv.duplicates] == ["line 2", "line 3"]
    first = pv.duplicates[0]["matches"][0]
    assert first["facility_id"] == "dnacpn-01" and first["distance_m"] == pytest.approx(30, abs=0.5)
    assert first["name_score"] == 100 and first["name"] == "ASACOFA" and first["kind"] == "cscom"
    assert pv.duplicates[1]["matches"][0]["facility_id"] == "sante-0001"
    assert [r["line"] for r in pv.to_add] == ["line 4", "line 5", "line 6"]


def test_compatible_kinds_count_as_duplicates(quartiers):
    base = existing(("osm-1", "clinic", "Centre Médical Espoir", 500, 500))
    pv = preview(parsed_rows(quartiers, [row("Centre Medical Espoir", "health_other", 505, 500)]), base)
    assert len(pv.duplicates) == 1 and pv.to_add == []
    assert any({"clinic", "health_other"} <= group for group in COMPATIBLE_KINDS)


def test_different_section_markers_are_different_places(quartiers):
    base = existing(
        ("educ-1", "school", "École Niaréla A", 1500, 500), ("educ-2", "school", "Groupe scolaire 2", 1600, 500)
    )
    parsed = parsed_rows(
        quartiers,
        [
            row("École Niaréla B", "school", 1510, 500),
            row("Groupe scolaire 3", "school", 1600, 510),
            row("École Niaréla A", "school", 1490, 500),
        ],
    )
    pv = preview(parsed, base)
    assert [d["row"]["line"] for d in pv.duplicates] == ["line 4"]


def test_matches_are_listed_nearest_first(quartiers):
    base = existing(("a", "school", "Ecole Sira", 540, 500), ("b", "school", "École Sira", 510, 500))
    pv = preview(parsed_rows(quartiers, [row("Ecole Sira", "school", 500, 500)]), base)
    assert [m["facility_id"] for m in pv.duplicates[0]["matches"]] == ["b", "a"]


def test_no_existing_facilities_means_no_duplicates(quartiers):
    parsed = parsed_rows(quartiers, [row("A", "school", 500, 500)])
    for base in (None, existing()):
        pv = preview(parsed, base)
        assert pv.duplicates == [] and len(pv.to_add) == 1


def test_existing_without_position_is_ignored(quartiers):
    base = existing(("a", "school", "A", 500, 500))
    base.loc[0, "geometry"] = None
    assert preview(parsed_rows(quartiers, [row("A", "school", 500, 500)]), base).duplicates == []


def test_existing_in_another_crs_is_reprojected(quartiers):
    base = existing(("dnacpn-01", "cscom", "ASACOFA", 500, 500)).to_crs("EPSG:32629")
    assert len(preview(parsed_rows(quartiers, [row("ASACOFA", "cscom", 500, 510)]), base).duplicates) == 1


def test_preview_carries_errors_and_a_json_summary(quartiers):
    parsed = parsed_rows(quartiers, [row("A", "school", 500, 500), ["", "school", "", ""]])
    pv = preview(parsed, existing(("x", "school", "A", 500, 505)))
    summary = pv.summary()
    assert summary["counts"] == {"read": 2, "to_add": 0, "duplicates": 1, "errors": 2, "rows_with_errors": 1}
    assert summary["format"] == "csv" and summary["filename"] == "new.csv"
    text = json.dumps(pv.to_dict())
    back = Preview.from_dict(json.loads(text))
    assert back.to_dict() == pv.to_dict()


@pytest.mark.parametrize(
    ("a", "b", "similar"),
    [
        ("asacofa", "cscom asacofa", True),
        ("pharmacie kanu", "pharmacie kanou", True),
        ("baco djicoroni", "bacodjicoroni", True),
        ("pharmacie kanu", "pharmacie du fleuve", False),
        ("ecole a", "ecole b", False),
        ("groupe scolaire 1", "groupe scolaire 01", True),
    ],
)
def test_name_score(a, b, similar):
    assert bool(name_score([a], [b])[0] >= 80) is similar
