"""Population grid: exact totals, centre assignment, slivers, dasymetric refinement."""

from __future__ import annotations

import numpy as np
import pytest

from geo.analysis.coverage import population_grid
from geo.analysis.coverage.grid import _Cells, dasymetric_cell_weights
from geo.analysis.population import dasymetric_weights
from geo.errors import DataError, InvalidParameter
from tests.conftest import tiny_layers
from tests.geo.coverage.synthetic import X0, Y0, facilities, no_facilities, strips


def test_uniform_strips_at_1_km_have_one_cell_per_km2_with_equal_shares():
    grid = population_grid(strips(), no_facilities(), cell_m=1000)
    assert len(grid) == 9
    assert grid.method == "areal"
    assert list(grid.quartier_pcodes) == ["ML090101001", "ML090101002", "ML090101003"]
    np.testing.assert_allclose(np.sort(grid.pop), [1000] * 3 + [2000] * 3 + [3000] * 3)
    np.testing.assert_allclose(grid.unit_pop, [3000, 6000, 9000])
    # centres on the 500 m lattice, raster origin at (X0, Y0)
    assert set(np.round(grid.x - X0)) == {500, 1500, 2500}
    assert (grid.origin_x, grid.origin_y, grid.n_cols, grid.n_rows) == (X0, Y0, 3, 3)
    assert set(zip(grid.col, grid.row, strict=True)) == {(c, r) for c in range(3) for r in range(3)}


def test_totals_conserved_at_every_cell_size_on_the_tiny_atlas():
    layers = tiny_layers()
    for cell_m in (50, 100, 250, 1000):
        grid = population_grid(layers["quartiers"], layers["facilities"], cell_m=cell_m)
        np.testing.assert_allclose(grid.unit_pop, [6000, 4000, 5000], rtol=1e-9)
        assert grid.pop.sum() == pytest.approx(15000, rel=1e-12)
        assert (grid.pop >= 0).all()


def test_cell_size_sets_the_cell_count():
    units = strips()
    assert len(population_grid(units, no_facilities(), cell_m=100)) == 900
    assert len(population_grid(units, no_facilities(), cell_m=50)) == 3600


def test_centre_on_a_shared_edge_goes_to_the_lowest_pcode():
    # strip edges at 1050 m and 2050 m: the 100 m cell centres at x = 1050 and 2050 lie on them
    grid = population_grid(strips(widths_m=(1050, 1000, 950)), no_facilities(), cell_m=100)
    on_edge = np.isclose(grid.x - X0, 1050)
    assert on_edge.sum() == 30
    assert set(grid.quartier_pcodes[grid.unit[on_edge]]) == {"ML090101001"}
    assert len(grid) == 900  # every centre counted once


def test_sliver_unit_gets_its_representative_point():
    units = strips(widths_m=(1000, 30, 970), pops=(1000, 77, 1000))
    grid = population_grid(units, no_facilities(), cell_m=100)
    sliver = grid.unit == 1
    assert sliver.sum() == 1
    assert grid.pop[sliver][0] == pytest.approx(77)
    assert X0 + 1000 <= grid.x[sliver][0] <= X0 + 1030
    assert grid.col[sliver][0] == -1 and grid.row[sliver][0] == -1


def test_unit_without_people_keeps_its_cells_at_zero():
    grid = population_grid(strips(pops=(0, 6000, 9000)), no_facilities(), cell_m=500)
    assert (grid.pop[grid.unit == 0] == 0).all()
    assert (grid.unit == 0).sum() == 12


def _school_rows():
    # Two schools in the west strip near its south end, one in the middle strip; none in the east strip.
    return [
        ("educ-1", "school", 300, 300, "exact", "ML090101001", "ML090101"),
        ("educ-2", "kindergarten", 500, 400, "exact", "ML090101001", "ML090101"),
        ("educ-3", "school", 1500, 2500, "exact", "ML090101002", "ML090101"),
        ("educ-4", "school", 1500, 1500, "exact", "ML090101002", "ML090101", False),  # outside analysis
        ("sante-1", "clinic", 2500, 1500, "exact", "ML090101003", "ML090101"),  # not a weighting kind
    ]


def test_dasymetric_cell_weights_sum_to_the_quartier_weights():
    units = strips(method="dasymetric").to_crs("EPSG:4326")
    fac = facilities(_school_rows())
    grid = population_grid(units, fac, cell_m=100)
    metric = units.to_crs("EPSG:32629").sort_values("pcode").reset_index(drop=True)
    weights = dasymetric_cell_weights(_Cells(grid.x, grid.y, grid.unit, 3), metric, fac)
    per_unit = np.bincount(grid.unit, weights=weights, minlength=3)
    np.testing.assert_allclose(per_unit, dasymetric_weights(metric, fac).to_numpy(), rtol=1e-12)


def test_dasymetric_grid_puts_people_near_schools_and_keeps_totals():
    grid = population_grid(strips(method="dasymetric"), facilities(_school_rows()), cell_m=100)
    assert grid.method == "dasymetric"
    np.testing.assert_allclose(grid.unit_pop, [3000, 6000, 9000], rtol=1e-12)
    west = grid.unit == 0
    near = west & (np.hypot(grid.x - X0 - 400, grid.y - Y0 - 350) < 200)
    far = west & (grid.y - Y0 > 2000)
    assert grid.pop[near].mean() > 5 * grid.pop[far].mean()
    # no school in the east strip: people spread evenly there
    east = grid.pop[grid.unit == 2]
    np.testing.assert_allclose(east, east.mean())


def test_method_argument_overrides_the_quartiers_method():
    grid = population_grid(strips(method="dasymetric"), facilities(_school_rows()), cell_m=500, method="areal")
    assert grid.method == "areal"
    np.testing.assert_allclose(grid.pop[grid.unit == 0], 3000 / 12)


def test_locate_and_district():
    grid = population_grid(strips(), no_facilities(), cell_m=500)
    idx = grid.locate([X0 + 10, X0 + 1500, X0 + 2999, X0 - 5, X0 + 1000], [Y0 + 10, Y0 + 10, Y0 + 2999, Y0, Y0 + 5])
    assert idx.tolist() == [0, 1, 2, -1, 0]  # the shared edge x = 1000 goes to the lowest P-code
    assert grid.district.area == pytest.approx(9e6)
    assert grid.district_pcode == "ML0901"
    assert grid.commune_pcodes.tolist() == ["ML090101"]


@pytest.mark.parametrize("cell_m", [0, 5, 5000, "abc", None])
def test_bad_cell_size_is_refused(cell_m):
    with pytest.raises(InvalidParameter) as exc:
        population_grid(strips(), no_facilities(), cell_m=cell_m)
    assert exc.value.parameter == "cell_m"


def test_unknown_method_is_refused():
    with pytest.raises(InvalidParameter) as exc:
        population_grid(strips(), no_facilities(), method="kriging")
    assert exc.value.parameter == "method"


def test_bad_units_are_refused():
    units = strips()
    with pytest.raises(DataError, match="pop_estimate"):
        population_grid(units.drop(columns="pop_estimate"), no_facilities())
    with pytest.raises(DataError, match="CRS"):
        population_grid(units.set_crs(None, allow_override=True), no_facilities())
    units.loc[1, "pcode"] = units.loc[0, "pcode"]
    with pytest.raises(DataError, match="duplicate"):
        population_grid(units, no_facilities())
