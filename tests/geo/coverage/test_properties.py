"""Invariants of the coverage analysis, checked on random data (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.analysis.coverage import FacilityPoints, catchments, coverage, nearest, population_grid
from geo.analysis.coverage.indicators import _weighted_median
from tests.geo.coverage.synthetic import X0, Y0, facilities, random_grid, strips

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(0, 2**32 - 1)
UNITS = ("quartier", "commune", "district")


def random_points(
    rng: np.random.Generator, n: int, *, size_m: float = 5000, approximate: bool = True
) -> FacilityPoints:
    x, y = X0 + rng.uniform(-500, size_m + 500, n), Y0 + rng.uniform(-500, size_m + 500, n)
    return FacilityPoints.from_xy(x, y, approximate=rng.random(n) < 0.3 if approximate else None)


@SETTINGS
@given(seed=seeds, n_cells=st.integers(1, 400), n_points=st.integers(1, 30))
def test_kd_tree_nearest_equals_brute_force(seed, n_cells, n_points):
    rng = np.random.default_rng(seed)
    grid = random_grid(rng, n_cells, min(n_cells, 5))
    points = random_points(rng, n_points)
    near = nearest(grid, points)
    brute = np.hypot(grid.x[:, None] - points.x[None, :], grid.y[:, None] - points.y[None, :])
    np.testing.assert_allclose(near.distance_m, brute.min(axis=1), rtol=1e-12)
    np.testing.assert_allclose(brute[np.arange(n_cells), near.index], near.distance_m, rtol=1e-12)


@SETTINGS
@given(
    seed=seeds,
    n_points=st.integers(0, 15),
    threshold=st.floats(1, 8000),
    extra=st.tuples(st.floats(-500, 5500), st.floats(-500, 5500)),
    unit=st.sampled_from(UNITS),
)
def test_adding_a_facility_never_lowers_any_coverage(seed, n_points, threshold, extra, unit):
    rng = np.random.default_rng(seed)
    grid = random_grid(rng, 300, 6)
    before = random_points(rng, n_points)
    after = before.concat(FacilityPoints.from_xy([X0 + extra[0]], [Y0 + extra[1]]))
    a = coverage(grid, before, threshold_m=threshold, unit=unit)
    b = coverage(grid, after, threshold_m=threshold, unit=unit)
    assert (b["pop_covered"].to_numpy() >= a["pop_covered"].to_numpy() - 1e-9).all()
    assert (b["share_covered"].fillna(0).to_numpy() >= a["share_covered"].fillna(0).to_numpy() - 1e-12).all()
    if n_points:
        assert (b["mean_distance_m"].to_numpy() <= a["mean_distance_m"].to_numpy() + 1e-9).all()
        assert (b["median_distance_m"].to_numpy() <= a["median_distance_m"].to_numpy() + 1e-9).all()


@SETTINGS
@given(seed=seeds, n_points=st.integers(0, 15), thresholds=st.lists(st.floats(1, 50_000), min_size=2, max_size=6))
def test_coverage_never_falls_as_the_threshold_grows(seed, n_points, thresholds):
    rng = np.random.default_rng(seed)
    grid = random_grid(rng, 300, 6)
    points = random_points(rng, n_points)
    shares = np.array([coverage(grid, points, threshold_m=t)["pop_covered"].to_numpy() for t in sorted(thresholds)])
    assert (np.diff(shares, axis=0) >= -1e-9).all()


@SETTINGS
@given(seed=seeds, n_points=st.integers(1, 15), threshold=st.floats(1, 8000), unit=st.sampled_from(UNITS))
def test_indicators_are_consistent(seed, n_points, threshold, unit):
    rng = np.random.default_rng(seed)
    grid = random_grid(rng, 300, 6)
    table = coverage(grid, random_points(rng, n_points), threshold_m=threshold, unit=unit)
    assert np.isclose(table["pop"].sum(), grid.pop.sum())
    np.testing.assert_allclose(table["pop_covered"] + table["pop_uncovered"], table["pop"], atol=1e-6)
    assert (table["pop_depending_on_approximate"] <= table["pop_covered"] + 1e-9).all()
    share = table["share_covered"].dropna()
    assert ((share >= 0) & (share <= 1 + 1e-12)).all()


@SETTINGS
@given(
    widths=st.lists(st.integers(20, 2000), min_size=1, max_size=5),
    pops=st.lists(st.integers(0, 10**6), min_size=5, max_size=5),
    cell_m=st.sampled_from([50.0, 100.0, 250.0, 500.0]),
    method=st.sampled_from(["areal", "dasymetric"]),
    schools=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), max_size=8),
)
def test_population_totals_are_conserved(widths, pops, cell_m, method, schools):
    units = strips(widths_m=widths, pops=pops[: len(widths)], height_m=1500, method=method)
    total_w = float(sum(widths))
    edges = np.concatenate([[0.0], np.cumsum(widths)])
    rows = []
    for i, (fx, fy) in enumerate(schools):
        dx = fx * total_w
        unit = min(int(np.searchsorted(edges, dx, side="right")) - 1, len(widths) - 1)
        rows.append((f"educ-{i}", "school", dx, fy * 1500, "exact", units["pcode"].iloc[unit], "ML090101"))
    grid = population_grid(units, facilities(rows), cell_m=cell_m)
    np.testing.assert_allclose(grid.unit_pop, pops[: len(widths)], rtol=1e-9, atol=1e-6)
    assert (grid.pop >= 0).all()
    assert set(np.unique(grid.unit)) == set(range(len(widths)))  # no unit without a cell


@SETTINGS
@given(seed=seeds, n_points=st.integers(1, 25))
def test_catchments_serve_everybody_once(seed, n_points):
    rng = np.random.default_rng(seed)
    grid = population_grid(strips(), facilities([]), cell_m=250)
    points = random_points(rng, n_points, size_m=3000)
    areas = catchments(grid, points)
    assert np.isclose(areas["pop_served"].sum(), grid.pop.sum())
    assert np.isclose(areas["area_km2"].sum(), 9.0)


@SETTINGS
@given(seed=seeds, n=st.integers(1, 200), groups=st.integers(1, 6))
def test_weighted_median_matches_a_direct_computation(seed, n, groups):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, groups, n)
    value = rng.choice([0.0, 1.0, 2.5, 7.0, 100.0], n) if seed % 2 else rng.uniform(0, 10, n)
    weight = rng.uniform(0, 5, n) * (rng.random(n) > 0.1)
    got = _weighted_median(group, value, weight, groups)
    for g in range(groups):
        mine = group == g
        w = weight[mine]
        if w.sum() <= 0:
            assert np.isnan(got[g])
            continue
        order = np.argsort(value[mine], kind="stable")
        cum = np.cumsum(w[order])
        expected = value[mine][order][np.searchsorted(cum, cum[-1] / 2)]
        assert got[g] == expected or np.isclose(got[g], expected)
