"""Catchments: Voronoi areas clipped to the District and the people each facility serves."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import box

from geo.analysis.coverage import CATCHMENT_COLUMNS, FacilityPoints, catchments, population_grid
from geo.errors import InvalidParameter
from geo.vocabulary import METRIC_CRS
from tests.geo.coverage.synthetic import X0, Y0, no_facilities, strips


@pytest.fixture
def grid():
    return population_grid(strips(), no_facilities(), cell_m=100)


def test_two_facilities_split_the_square_along_their_bisector(grid):
    # a at x = 1000, b at x = 2000: the bisector is the line x = 1500, a cell edge
    points = FacilityPoints.from_xy([X0 + 1000, X0 + 2000], [Y0 + 1500, Y0 + 1500], ids=["a", "b"])
    areas = catchments(grid, points)
    assert list(areas.columns) == [*CATCHMENT_COLUMNS, "geometry"]
    assert str(areas.crs) == METRIC_CRS
    assert areas["id"].tolist() == ["a", "b"]
    assert areas.geometry.iloc[0].equals(box(X0, Y0, X0 + 1500, Y0 + 3000))
    np.testing.assert_allclose(areas["area_km2"], [4.5, 4.5])
    # west strip (3 000) + half the middle one (3 000); half the middle (3 000) + the east strip (9 000)
    np.testing.assert_allclose(areas["pop_served"], [6000, 12000])
    np.testing.assert_allclose(areas["share_served"], [1 / 3, 2 / 3])
    assert areas["max_distance_m"].iloc[0] == pytest.approx(np.hypot(950, 1450))


def test_people_served_add_up_to_the_district_and_areas_tile_it(grid):
    rng = np.random.default_rng(4)
    points = FacilityPoints.from_xy(X0 + rng.uniform(0, 3000, 12), Y0 + rng.uniform(0, 3000, 12))
    areas = catchments(grid, points)
    assert areas["pop_served"].sum() == pytest.approx(18000)
    assert areas["area_km2"].sum() == pytest.approx(9.0)
    # each polygon holds its own facility
    assert shapely.contains_xy(areas.geometry.to_numpy(), points.x, points.y).all()


def test_co_located_facilities_share_their_polygon_and_split_its_people(grid):
    points = FacilityPoints.from_xy([X0 + 1000, X0 + 2000, X0 + 2000], [Y0 + 1500] * 3, ids=["a", "b", "c"])
    areas = catchments(grid, points)
    assert areas["co_located"].tolist() == [1, 2, 2]
    np.testing.assert_allclose(areas["pop_served"], [6000, 6000, 6000])
    assert areas.geometry.iloc[1].equals(areas.geometry.iloc[2])
    assert areas["area_km2"].sum() == pytest.approx(9.0)


def test_one_facility_serves_the_whole_district(grid):
    areas = catchments(grid, FacilityPoints.from_xy([X0 + 100], [Y0 + 100]))
    assert areas["pop_served"].item() == pytest.approx(18000)
    assert areas.geometry.iloc[0].area == pytest.approx(9e6)


def test_no_facility_gives_an_empty_frame(grid):
    areas = catchments(grid, FacilityPoints.from_xy([], []))
    assert len(areas) == 0 and list(areas.columns) == [*CATCHMENT_COLUMNS, "geometry"]


def test_explicit_district_clips_the_areas(grid):
    district = box(X0, Y0, X0 + 3000, Y0 + 1000)
    areas = catchments(grid, FacilityPoints.from_xy([X0 + 1000, X0 + 2000], [Y0 + 500] * 2), district)
    np.testing.assert_allclose(areas["area_km2"], [1.5, 1.5])


def test_grid_without_polygons_needs_a_district(grid):
    from dataclasses import replace

    bare = replace(grid, unit_geometry=None)
    with pytest.raises(InvalidParameter) as exc:
        catchments(bare, FacilityPoints.from_xy([X0], [Y0]))
    assert exc.value.parameter == "district"


def test_older_shapely_without_ordered_cells_gives_the_same_areas(grid, monkeypatch):
    rng = np.random.default_rng(7)
    points = FacilityPoints.from_xy(X0 + rng.uniform(0, 3000, 9), Y0 + rng.uniform(0, 3000, 9))
    expected = catchments(grid, points)
    original = shapely.voronoi_polygons

    def without_ordered(geometry, **kwargs):
        if "ordered" in kwargs:
            raise TypeError("voronoi_polygons() got an unexpected keyword argument 'ordered'")
        return original(geometry, **kwargs)

    monkeypatch.setattr(shapely, "voronoi_polygons", without_ordered)
    got = catchments(grid, points)
    assert all(a.equals(b) for a, b in zip(got.geometry, expected.geometry, strict=True))
