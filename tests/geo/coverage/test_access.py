"""Facility points, nearest-facility distances and walking times."""

from __future__ import annotations

import numpy as np
import pytest

from geo.analysis.coverage import (
    FacilityPoints,
    data_complete,
    facility_points,
    minutes_to_metres,
    nearest,
    population_grid,
    resolve_kinds,
    walk_minutes,
)
from geo.errors import InvalidParameter
from geo.vocabulary import DATA_LEVELS, KIND_GROUPS, KINDS
from tests.conftest import tiny_layers
from tests.geo.coverage.synthetic import X0, Y0, facilities, no_facilities, strips

ROWS = [
    ("c1", "cscom", 500, 500, "exact", "ML090101001", "ML090101"),
    ("c2", "cscom", 2500, 1500, "commune", None, "ML090101"),
    ("c3", "cscom", 9000, 9000, "exact", None, None, False),  # outside the District
    ("r1", "csref", 1500, 1500, "exact", "ML090101002", "ML090101"),
    ("s1", "stadium", 1500, 2500, "quartier", "ML090101002", "ML090101"),
]


def test_resolve_kinds_accepts_groups_kinds_and_lists():
    assert resolve_kinds("sports") == ("plateau_sportif", "sports_ground", "stadium")
    assert resolve_kinds("cscom") == ("cscom",)
    assert resolve_kinds("pharmacy") == ("pharmacy",)
    assert resolve_kinds(["cscom", "health_primary"]) == ("cscom", "csref")
    for bad in ("hammam", [], [3]):
        with pytest.raises(InvalidParameter) as exc:
            resolve_kinds(bad)
        assert exc.value.parameter == "kind"


def test_every_grouped_kind_exists_and_has_a_data_extent():
    assert {k for group in KIND_GROUPS.values() for k in group.kinds} <= set(KINDS)
    assert {kind.data for kind in KINDS.values()} <= set(DATA_LEVELS)
    assert data_complete(["cscom", "csref"]) and data_complete(["claec"])
    assert not data_complete(resolve_kinds("sports"))


def test_facility_points_keep_analysed_facilities_of_the_kinds_in_metres():
    points = facility_points(facilities(ROWS), "cscom")
    assert points.ids.tolist() == ["c1", "c2"]
    np.testing.assert_allclose(points.x - X0, [500, 2500], atol=1e-6)
    np.testing.assert_allclose(points.y - Y0, [500, 1500], atol=1e-6)
    assert points.approximate.tolist() == [False, True]
    assert points.hypothetical.tolist() == [False, False]
    assert points.quartier_pcode.tolist() == ["ML090101001", ""]
    assert points.commune_pcode.tolist() == ["ML090101", "ML090101"]
    assert points.kinds == ("cscom",)
    assert facility_points(facilities(ROWS), "health_primary").ids.tolist() == ["c1", "c2", "r1"]


def test_scenario_edits_remove_ids_and_add_lonlat_points():
    fac = facilities(ROWS)
    lonlat = fac.geometry.iloc[3]  # r1's position, in EPSG:4326
    points = facility_points(fac, "cscom", remove_ids=["c2"], add_points=[(lonlat.x, lonlat.y)])
    assert points.ids.tolist() == ["c1", "new-1"]
    assert points.hypothetical.tolist() == [False, True]
    assert points.approximate.tolist() == [False, False]
    np.testing.assert_allclose([points.x[1] - X0, points.y[1] - Y0], [1500, 1500], atol=1e-3)
    metric = facility_points(fac, "cscom", add_points=[(X0 + 10, Y0 + 20)], add_crs="EPSG:32629")
    np.testing.assert_allclose([metric.x[-1], metric.y[-1]], [X0 + 10, Y0 + 20])


@pytest.mark.parametrize("remove", [["nope"], ["c3"], ["r1"]])
def test_removing_an_unknown_or_unanalysed_or_other_kind_id_is_refused(remove):
    with pytest.raises(InvalidParameter) as exc:
        facility_points(facilities(ROWS), "cscom", remove_ids=remove)
    assert exc.value.parameter == "remove"


@pytest.mark.parametrize("add", [[(1.0,)], [("a", "b")], [(float("nan"), 1.0)], [(1, 2, 3)]])
def test_malformed_added_points_are_refused(add):
    with pytest.raises(InvalidParameter) as exc:
        facility_points(facilities(ROWS), "cscom", add_points=add)
    assert exc.value.parameter == "add"


def test_points_of_the_tiny_atlas():
    fac = tiny_layers()["facilities"]
    claec = facility_points(fac, "claec")
    assert claec.ids.tolist() == ["lieu-claec-commune-ii"] and claec.approximate.tolist() == [True]
    assert len(facility_points(fac, "sports")) == 1
    assert len(facility_points(fac, "csref")) == 0


def test_nearest_distances_on_the_square():
    grid = population_grid(strips(), no_facilities(), cell_m=1000)
    points = FacilityPoints.from_xy([X0 + 500, X0 + 2500], [Y0 + 500, Y0 + 1500])
    near = nearest(grid, points)
    expected = np.minimum(
        np.hypot(grid.x - X0 - 500, grid.y - Y0 - 500), np.hypot(grid.x - X0 - 2500, grid.y - Y0 - 1500)
    )
    np.testing.assert_allclose(near.distance_m, expected)
    assert set(near.index) == {0, 1}
    assert sorted(np.round(near.distance_m)) == [0, 0, 1000, 1000, 1000, 1000, 1000, 1414, 2000]


def test_nearest_without_facilities_is_infinite():
    grid = population_grid(strips(), no_facilities(), cell_m=1000)
    near = nearest(grid, FacilityPoints.from_xy([], []))
    assert np.isinf(near.distance_m).all() and (near.index == -1).all()


def test_walk_minutes_and_its_inverse():
    assert walk_minutes(1000.0, speed_kmh=4.0, detour=1.3) == pytest.approx(19.5)
    assert walk_minutes(1000.0, speed_kmh=5.0, detour=1.0) == pytest.approx(12.0)
    np.testing.assert_allclose(walk_minutes(np.array([0.0, 2000.0]), speed_kmh=4, detour=1.3), [0, 39])
    assert minutes_to_metres(19.5, speed_kmh=4.0, detour=1.3) == pytest.approx(1000.0)
    assert np.isnan(walk_minutes(np.nan))


def test_walk_minutes_defaults_come_from_the_settings(monkeypatch):
    assert walk_minutes(1000.0) == pytest.approx(19.5)  # 4 km/h, detour 1.3
    monkeypatch.setenv("BAMAKO_ATLAS_COVERAGE_WALK_SPEED_KMH", "5")
    monkeypatch.setenv("BAMAKO_ATLAS_COVERAGE_DETOUR", "1.2")
    assert walk_minutes(1000.0) == pytest.approx(14.4)


@pytest.mark.parametrize(("options", "parameter"), [({"speed_kmh": 0}, "speed_kmh"), ({"detour": 0.9}, "detour")])
def test_bad_walking_assumptions_are_refused(options, parameter):
    with pytest.raises(InvalidParameter) as exc:
        walk_minutes(100.0, **options)
    assert exc.value.parameter == parameter


@pytest.mark.parametrize("minutes", [0, -5, "x"])
def test_bad_minutes_are_refused(minutes):
    with pytest.raises(InvalidParameter) as exc:
        minutes_to_metres(minutes)
    assert exc.value.parameter == "threshold_min"
