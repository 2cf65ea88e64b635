"""Integration: travel time on the store built from the real sources (needs BAMAKO_ATLAS_MIRROR)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from geo.analysis.coverage import FacilityPoints, facility_points, nearest, population_grid, walk_minutes
from geo.analysis.travel import (
    RIGHT_BANK_COMMUNES,
    bank_line,
    build_network,
    read_crossings,
    travel_coverage_table,
    travel_time,
)
from geo.store import open_store

pytestmark = pytest.mark.integration
_TO_METRIC = Transformer.from_crs("EPSG:4326", "EPSG:32629", always_xy=True)


@pytest.fixture(scope="module")
def atlas(real_store):
    return open_store(real_store)


@pytest.fixture(scope="module")
def grid(atlas):
    return population_grid(atlas["quartiers"], atlas["facilities"], cell_m=100)


def test_the_bank_line_is_the_river_course_between_the_communes(grid):
    line = bank_line(grid)
    assert 16_500 < line.length < 17_700  # 16.65 km shared boundary + the prolonged tips
    for crossing in read_crossings():
        x, y = _TO_METRIC.transform(crossing.lon, crossing.lat)
        assert line.distance(shapely.Point(x, y)) < 150, crossing.name


def test_a_right_bank_cell_facing_a_left_bank_facility_goes_round_by_the_nearest_bridge(grid):
    # Zone Industrielle (left bank), 400 m north of the bank; the cell 400 m south, in Magnambougou
    facility = FacilityPoints.from_xy([612_800.0], [1_396_700.0])
    cell = int(np.argmin(np.hypot(grid.x - 612_800.0, grid.y - 1_395_900.0)))
    assert grid.commune_of_unit[grid.unit[cell]] in RIGHT_BANK_COMMUNES
    straight = walk_minutes(nearest(grid, facility).distance_m[cell])
    minutes = travel_time(build_network(grid, season="wet"), grid, facility).minutes[cell]
    bridges = [c for c in read_crossings() if c.kind == "bridge"]
    via = []
    for bridge in bridges:
        bx, by = _TO_METRIC.transform(bridge.lon, bridge.lat)
        via.append(np.hypot(bx - 612_800.0, by - 1_396_700.0) + np.hypot(bx - grid.x[cell], by - grid.y[cell]))
    assert bridges[int(np.argmin(via))].name == "Pont des Martyrs"
    # about 6.7 km by the Pont des Martyrs instead of 0.8 km: 2 h 10 instead of 16 min
    assert straight < 20
    assert 0.95 * walk_minutes(min(via)) < minutes < 1.05 * walk_minutes(min(via))


def test_without_crossings_nobody_reaches_a_facility_on_the_other_bank(atlas, grid):
    points = facility_points(atlas["facilities"], "cscom")
    result = travel_time(build_network(grid, crossings=()), grid, points)
    cell_right = np.isin(grid.commune_of_unit[grid.unit], RIGHT_BANK_COMMUNES)
    facility_right = np.isin(points.commune_pcode, RIGHT_BANK_COMMUNES)
    assert (result.index >= 0).all()
    assert (facility_right[result.index] == cell_right).all()


def test_travel_time_shares_are_at_most_the_straight_line_ones(atlas, grid):
    table = travel_coverage_table(grid, atlas["facilities"], ["cscom", "hospital"], thresholds_min=(15, 30))
    district = table[table["unit"] == "district"].set_index(["kind", "threshold_min"])["share_covered"]
    assert 0.3 < district[("cscom", 15.0)] < district[("cscom", 30.0)] <= 1.0
    points = facility_points(atlas["facilities"], "hospital")
    straight = walk_minutes(nearest(grid, points).distance_m)
    assert district[("hospital", 30.0)] <= grid.pop[straight <= 30].sum() / grid.pop.sum() + 1e-12
