"""Travel time on an imported road layer (``RoadLayer``): hand-made networks, 100 m cells, EPSG:32629.

A moto goes at 30 km/h on a primary road (0.12 s per metre) and walks off it at
4 km/h with the 1.3 detour (1.17 s per metre); a step costs its length times the
mean friction of the cells it crosses.
"""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
from shapely.geometry import LineString, box

from geo.analysis.coverage import FacilityPoints, population_grid
from geo.analysis.travel import RoadLayer, build_network, cached_network, travel_time
from geo.analysis.travel.surface import cached_travel_time
from geo.vocabulary import METRIC_CRS
from tests.geo.coverage.synthetic import X0, Y0, no_facilities
from tests.geo.travel.test_travel import BRIDGE, S_PER_M, _at, _river

ROAD_S_PER_M = 3.6 / 30


def _loop(version: str = "v1") -> RoadLayer:
    """A primary road along the left bank (row 0), over the bridge (column 14) and back along the right bank (row 3)."""
    xy = [(50, 50), (1450, 50), (1450, 350), (50, 350)]
    line = LineString([(X0 + x, Y0 + y) for x, y in xy])
    return RoadLayer(gpd.GeoDataFrame({"highway": ["primary"]}, geometry=[line], crs=METRIC_CRS), version)


def test_a_moto_crosses_the_river_on_the_road_over_the_bridge():
    grid = _river()
    network = build_network(grid, mode="moto", crossings=(BRIDGE,), season="wet", roads=_loop())
    result = travel_time(network, grid, FacilityPoints.from_xy([X0 + 50], [Y0 + 50]))
    # 13 cells east, a diagonal onto the bridge (1, 14), one cell up, a diagonal off it (3, 13), 13 cells west
    path_m = 1300 + 100 * math.sqrt(2) + 100 + 100 * math.sqrt(2) + 1300
    assert result.minutes[_at(grid, 3, 0)] == pytest.approx(path_m * ROAD_S_PER_M / 60, rel=1e-6)  # 5.97 min
    # five cells along the left-bank road
    assert result.minutes[_at(grid, 0, 5)] == pytest.approx(500 * ROAD_S_PER_M / 60, rel=1e-6)
    assert network.roads_version == "v1"


def test_walking_without_a_road_layer_is_the_river_aware_surface():
    grid = _river()
    bare = travel_time(build_network(grid, crossings=(BRIDGE,)), grid, FacilityPoints.from_xy([X0 + 250], [Y0 + 50]))
    path_m = 1100 + 100 * math.sqrt(2) + 100 + 100 * math.sqrt(2) + 1100
    assert bare.minutes[_at(grid, 3, 2)] == pytest.approx(path_m * S_PER_M / 60, rel=1e-6)
    # walking on the road layer goes at 4 km/h without the off-road detour: faster, still over the bridge
    # (any path passes through the opening, x >= 1 400 m: at least 2 × 1 150 m at 0.9 s per metre)
    roads = travel_time(
        build_network(grid, crossings=(BRIDGE,), roads=_loop()), grid, FacilityPoints.from_xy([X0 + 250], [Y0 + 50])
    )
    assert roads.minutes[_at(grid, 3, 2)] < bare.minutes[_at(grid, 3, 2)]
    assert roads.minutes[_at(grid, 3, 2)] >= 2300 * 3.6 / 4 / 60


def test_networks_are_cached_per_road_layer_version():
    units = gpd.GeoDataFrame(
        {"pcode": ["ML090101001"], "commune_pcode": ["ML090101"], "pop_estimate": [300]},
        geometry=[box(X0, Y0, X0 + 2000, Y0 + 400)],
        crs=METRIC_CRS,
    )
    grid = population_grid(units, no_facilities(), cell_m=100)  # one bank: no river, the default crossings unused
    first = cached_network(grid, mode="moto", roads=_loop("v1"))
    assert cached_network(grid, mode="moto", roads=_loop("v1")) is first
    second = cached_network(grid, mode="moto", roads=_loop("v2"))
    assert second is not first and second.roads_version == "v2"
    bare = cached_network(grid)
    assert bare.roads_version is None and bare is not cached_network(grid, roads=_loop("v1"))
    point = FacilityPoints.from_xy([X0 + 50], [Y0 + 50])
    on_roads = cached_travel_time(grid, point, mode="moto", roads=_loop("v2"))
    assert on_roads.minutes[_at(grid, 0, 5)] == pytest.approx(1.0, rel=1e-6)  # 500 m at 30 km/h
    walking = cached_travel_time(grid, point)
    assert walking.minutes[_at(grid, 0, 5)] == pytest.approx(500 * S_PER_M / 60, rel=1e-6)
