"""Travel time on hand-made fixtures whose times are computed by hand (EPSG:32629, 100 m cells).

Walking: 4 km/h, detour 1.3 off-road → 0.9 × 1.3 = 1.17 s per metre; a step between
two cells costs its length times their mean friction.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import LineString, box

from geo.analysis.coverage import FacilityPoints, nearest, population_grid, walk_minutes
from geo.analysis.travel import (
    Crossing,
    Raster,
    build_network,
    default_thresholds,
    rasterise_roads,
    read_crossings,
    travel_coverage,
    travel_time,
)
from geo.errors import DataError, InvalidParameter
from geo.settings import Settings
from geo.vocabulary import METRIC_CRS
from tests.geo.coverage.synthetic import X0, Y0, no_facilities

S_PER_M = 3.6 / 4.0 * 1.3
_TO_LONLAT = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)


def _crossing(name: str, kind: str, dx: float, dy: float) -> Crossing:
    lon, lat = _TO_LONLAT.transform(X0 + dx, Y0 + dy)
    return Crossing(name, kind, lat, lon, "coordinates", "https://example.org", "")


def _river(width_m: float = 2000, bank_m: float = 200):
    """Return a grid of a left-bank unit (y < bank_m) and a right-bank unit above it, 100 m cells.

    The river is their shared edge y = bank_m: cell rows 1 and 2 touch it and are blocked;
    row 0 is the left bank, row 3 the right bank.
    """
    units = gpd.GeoDataFrame(
        {
            "pcode": ["ML090101001", "ML090105001"],
            "commune_pcode": ["ML090101", "ML090105"],
            "pop_estimate": [2000, 2000],
            "pop_method": "areal",
        },
        geometry=[box(X0, Y0, X0 + width_m, Y0 + bank_m), box(X0, Y0 + bank_m, X0 + width_m, Y0 + 2 * bank_m)],
        crs=METRIC_CRS,
    )
    return population_grid(units, no_facilities(), cell_m=100)


def _at(grid, row: int, col: int) -> int:
    return int(np.flatnonzero((grid.row == row) & (grid.col == col))[0])


BRIDGE = _crossing("bridge", "bridge", 1500, 200)
CAUSEWAY = _crossing("causeway", "seasonal_causeway", 300, 200)


def test_a_cell_across_the_river_is_reached_over_the_bridge():
    grid = _river()
    network = build_network(grid, crossings=(BRIDGE,), season="wet")
    facility = FacilityPoints.from_xy([X0 + 250], [Y0 + 50])  # centre of cell (row 0, col 2)
    result = travel_time(network, grid, facility)
    # same bank: 3 cells east along row 0
    assert result.minutes[_at(grid, 0, 5)] == pytest.approx(300 * S_PER_M / 60, rel=1e-6)
    # across: 11 cells east, a diagonal into the opening (cols 14-15), one cell up, a diagonal out, 11 cells west
    path_m = 1100 + 100 * math.sqrt(2) + 100 + 100 * math.sqrt(2) + 1100
    assert result.minutes[_at(grid, 3, 2)] == pytest.approx(path_m * S_PER_M / 60, rel=1e-6)  # 50.4 min, not 5.9
    assert result.index[_at(grid, 3, 2)] == 0


def test_without_a_crossing_the_other_bank_is_out_of_reach():
    grid = _river()
    result = travel_time(build_network(grid, crossings=()), grid, FacilityPoints.from_xy([X0 + 250], [Y0 + 50]))
    right = grid.y > Y0 + 200
    assert np.isinf(result.minutes[right]).all() and (result.index[right] == -1).all()
    assert np.isfinite(result.minutes[~right]).all()


def test_a_diagonal_river_leaks_no_diagonal_step():
    units = gpd.GeoDataFrame(
        {"pcode": ["ML090101001", "ML090105001"], "commune_pcode": ["ML090101", "ML090105"], "pop_estimate": [1, 1]},
        geometry=[
            box(X0, Y0, X0 + 2000, Y0 + 2000).intersection(
                gpd.GeoSeries.from_wkt(["POLYGON((0 0, 2000 0, 0 1730, 0 0))"]).translate(X0, Y0).iloc[0]
            ),
            box(X0, Y0, X0 + 2000, Y0 + 2000).difference(
                gpd.GeoSeries.from_wkt(["POLYGON((0 0, 2000 0, 0 1730, 0 0))"]).translate(X0, Y0).iloc[0]
            ),
        ],
        crs=METRIC_CRS,
    )
    grid = population_grid(units, no_facilities(), cell_m=100)
    result = travel_time(build_network(grid, crossings=()), grid, FacilityPoints.from_xy([X0 + 150], [Y0 + 150]))
    right = grid.commune_of_unit[grid.unit] == "ML090105"
    assert np.isinf(result.minutes[right]).all()


@pytest.mark.parametrize(("season", "minutes"), [("wet", 50.37), ("dry", 5.85)])
def test_the_causeway_opens_in_the_dry_season_only(season, minutes):
    grid = _river()
    network = build_network(grid, crossings=(BRIDGE, CAUSEWAY), season=season)
    result = travel_time(network, grid, FacilityPoints.from_xy([X0 + 250], [Y0 + 50]))
    assert result.minutes[_at(grid, 3, 2)] == pytest.approx(minutes, abs=0.01)
    assert network.season == season


def test_catchments_follow_travel_time_not_distance():
    grid = _river()
    # a facility on each bank: the right-bank cell at col 2 is 300 m from the left one, 1 000 m from its own
    points = FacilityPoints.from_xy([X0 + 250, X0 + 1250], [Y0 + 50, Y0 + 350])
    result = travel_time(build_network(grid, crossings=(BRIDGE,)), grid, points)
    cell = _at(grid, 3, 2)
    assert nearest(grid, points).index[cell] == 0
    assert result.index[cell] == 1
    assert result.minutes[cell] == pytest.approx(1000 * S_PER_M / 60, rel=1e-6)


def _street():
    units = gpd.GeoDataFrame(
        {"pcode": ["ML090101001"], "commune_pcode": ["ML090101"], "pop_estimate": [600]},
        geometry=[box(X0, Y0, X0 + 2000, Y0 + 300)],
        crs=METRIC_CRS,
    )
    grid = population_grid(units, no_facilities(), cell_m=100)
    roads = gpd.GeoDataFrame(
        {"highway": ["primary", "footway"]},
        geometry=[
            LineString([(X0 + 50, Y0 + 150), (X0 + 1950, Y0 + 150)]),
            LineString([(X0 + 50, Y0 + 40), (X0 + 50, Y0 + 60)]),
        ],
        crs=METRIC_CRS,
    )
    return grid, rasterise_roads(roads, Raster.of(grid))


def test_roads_are_rasterised_by_class():
    grid, roads = _street()
    assert (roads[1] == 2).all()  # row 1: the primary road (class index 1 + 1)
    assert roads[0, 0] == 9 and (roads[0, 1:] == 0).all() and (roads[2] == 0).all()  # the footway is a path


def test_a_moto_follows_the_street_and_walks_off_it():
    grid, roads = _street()
    network = build_network(grid, mode="moto", roads=roads, crossings=())
    result = travel_time(network, grid, FacilityPoints.from_xy([X0 + 50], [Y0 + 150]))
    road_s_per_m = 3.6 / 30  # primary at 30 km/h
    assert result.minutes[_at(grid, 1, 19)] == pytest.approx(1900 * road_s_per_m / 60, rel=1e-6)  # 3.8 min
    # along the road to its end, then one step off it (mean of road and off-road friction)
    off = 1900 * road_s_per_m + 100 * (road_s_per_m + S_PER_M) / 2
    assert result.minutes[_at(grid, 0, 19)] == pytest.approx(off / 60, rel=1e-6)


def test_motorised_modes_need_roads_and_unknown_modes_are_refused():
    grid = _river()
    with pytest.raises(InvalidParameter, match="road layer"):
        build_network(grid, mode="moto", crossings=())
    with pytest.raises(InvalidParameter, match="allowed: walk"):
        build_network(grid, mode="rocket", crossings=())


def test_a_crossing_far_from_the_bank_is_a_data_error():
    with pytest.raises(DataError, match="'far'"):
        build_network(_river(), crossings=(_crossing("far", "bridge", 1000, 5000),))


def test_the_crossings_table_is_valid_and_bad_rows_are_named(tmp_path):
    crossings = read_crossings()
    assert [c.kind for c in crossings].count("bridge") == 3
    assert [c.kind for c in crossings].count("seasonal_causeway") == 1
    bad = tmp_path / "crossings.csv"
    bad.write_text("name,kind,lat,lon,precision,source_url,note\nX,ferry,12.6,-8.0,coordinates,http://x,\n")
    with pytest.raises(DataError, match="crossings.csv row 1: kind 'ferry'"):
        read_crossings(bad)


def test_travel_coverage_counts_people_within_minutes_per_unit():
    grid = _river()
    points = FacilityPoints.from_xy([X0 + 250], [Y0 + 50])
    result = travel_time(build_network(grid, crossings=(BRIDGE,)), grid, points)
    table = travel_coverage(grid, points, result, threshold_min=30, unit="commune")
    left, right = table.set_index("pcode").loc[["ML090101", "ML090105"]].itertuples()
    # 30 min = 1 538 m: cols 0-17 of row 0, and of the band row 1 the cells whose stand-in in row 0 is
    # within 1 438 m (cols 0-16): 35 of 40 cells
    assert left.share_covered == pytest.approx(35 / 40)
    # across the bridge only the cells around the opening: (3, 13-15), (2, 14-15), maybe (2, 13) and (2, 16)
    assert 5 / 40 <= right.share_covered <= 7 / 40
    assert right.method == "travel_time" and right.threshold_min == 30 and right.mode == "walk"
    assert table["pop"].sum() == pytest.approx(4000)
    with pytest.raises(InvalidParameter, match="threshold_min"):
        travel_coverage(grid, points, result, threshold_min=0)


def test_thresholds_setting_is_parsed_and_checked():
    assert default_thresholds(Settings.resolve({"TRAVEL_THRESHOLDS_MIN": "30, 10,30"})) == (10.0, 30.0)
    with pytest.raises(InvalidParameter, match="TRAVEL_THRESHOLDS_MIN"):
        default_thresholds(Settings.resolve({"TRAVEL_THRESHOLDS_MIN": "10,abc"}))


@settings(max_examples=25, deadline=None)
@given(
    xs=st.lists(st.floats(0, 2000), min_size=1, max_size=4),
    ys=st.lists(st.floats(0, 400), min_size=4, max_size=4),
    bridge_x=st.floats(100, 1900),
)
def test_travel_time_is_never_below_the_straight_line_time(xs, ys, bridge_x):
    grid = _river()
    points = FacilityPoints.from_xy(X0 + np.array(xs), Y0 + np.array(ys[: len(xs)]))
    result = travel_time(build_network(grid, crossings=(_crossing("b", "bridge", bridge_x, 200),)), grid, points)
    straight = walk_minutes(nearest(grid, points).distance_m)  # at the fastest speed of the surface
    assert (result.minutes >= straight - 1e-9).all()


def test_the_table_equals_one_call_per_threshold_and_unit():
    import pandas as pd

    from geo.analysis.coverage import facility_points, population_grid
    from geo.analysis.travel import cached_travel_time, travel_coverage_table
    from tests.geo.coverage.synthetic import facilities, strips

    fac = facilities(
        [("c1", "cscom", 250, 50, "exact", "ML090101001", "ML090101"),
         ("c2", "cscom", 2600, 2900, "quartier", "ML090101003", "ML090101")]
    )  # fmt: skip
    grid = population_grid(strips(), fac, cell_m=100)
    table = travel_coverage_table(grid, fac, ["cscom"], thresholds_min=(10, 30))
    points = facility_points(fac, "cscom")
    surface = cached_travel_time(grid, points)
    one = pd.concat(
        travel_coverage(grid, points, surface, threshold_min=t, unit=u, kind="cscom")
        for u in ("quartier", "commune", "district")
        for t in (10, 30)
    )
    keys = ["unit", "threshold_min", "pcode"]
    pd.testing.assert_frame_equal(
        table.sort_values(keys).reset_index(drop=True), one.sort_values(keys).reset_index(drop=True)
    )
    district = table[table["unit"] == "district"]
    assert district["pop"].tolist() == [18000.0, 18000.0] and district["share_covered"].is_monotonic_increasing


def test_a_moto_on_a_street_grid_goes_round_the_block():
    units = gpd.GeoDataFrame(
        {"pcode": ["ML090101001"], "commune_pcode": ["ML090101"], "pop_estimate": [250]},
        geometry=[box(X0, Y0, X0 + 500, Y0 + 500)],
        crs=METRIC_CRS,
    )
    grid = population_grid(units, no_facilities(), cell_m=100)
    c0, c4 = 50, 450  # streets along the centres of rows and columns 0 and 4: a block of 3 × 3 cells
    streets = [((c0, c0), (c4, c0)), ((c0, c4), (c4, c4)), ((c0, c0), (c0, c4)), ((c4, c0), (c4, c4))]
    roads = gpd.GeoDataFrame(
        {"highway": ["primary"] * 4},
        geometry=[LineString([(X0 + a, Y0 + b), (X0 + c, Y0 + d)]) for (a, b), (c, d) in streets],
        crs=METRIC_CRS,
    )
    network = build_network(grid, mode="moto", roads=rasterise_roads(roads, Raster.of(grid)), crossings=())
    result = travel_time(network, grid, FacilityPoints.from_xy([X0 + c0], [Y0 + c0]))
    road, off = 3.6 / 30, S_PER_M
    # opposite corner: along the streets, not across the block; at the corner the raster cuts from the last cell
    # of one street to the first of the other with one diagonal step (8-neighbour rule): 600 m + 141 m
    assert result.minutes[_at(grid, 4, 4)] == pytest.approx((600 + 100 * math.sqrt(2)) * road / 60, rel=1e-6)
    # the block's centre: 200 m of street, one step off it (mean friction), one step inside
    centre = 200 * road + 100 * (road + off) / 2 + 100 * off
    assert result.minutes[_at(grid, 2, 2)] == pytest.approx(centre / 60, rel=1e-6)
