"""Tests of geo.analysis.coverage.suggest: hand-computed sites and gains, greedy invariants, bad parameters."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from pyproj import Transformer
from scipy import sparse

from geo.analysis.coverage import suggest
from geo.analysis.coverage.access import FacilityPoints, nearest
from geo.analysis.coverage.grid import PopulationGrid
from geo.analysis.coverage.indicators import coverage
from geo.analysis.coverage.suggest import (
    MAX_SITES,
    SUGGESTION_COLUMNS,
    candidate_cells,
    coverage_incidence,
    greedy_max_cover,
    suggest_sites,
)
from geo.errors import InvalidParameter
from geo.vocabulary import METRIC_CRS, STORE_CRS

# UTM 29N origin near Bamako, a multiple of 100 m so lattices line up with cells.
X0, Y0 = 600_000.0, 1_390_000.0


def _points(xy: list[tuple[float, float]]) -> FacilityPoints:
    arr = np.asarray(xy, dtype=float).reshape(-1, 2)
    return FacilityPoints.from_xy(arr[:, 0], arr[:, 1])


def _strip(pop_at: dict[tuple[float, float], float]) -> PopulationGrid:
    """A 3 km × 1 km strip of 100 m cells; quartier QA (commune C1) west of x0+1500, QB (C2) east.

    ``pop_at`` maps local cell centres (metres from the origin) to people; other cells are empty.
    """
    xs, ys = np.meshgrid(np.arange(50.0, 3000.0, 100.0), np.arange(50.0, 1000.0, 100.0))
    lx, ly = xs.ravel(), ys.ravel()
    pop = np.array([pop_at.get((a, b), 0.0) for a, b in zip(lx, ly, strict=True)])
    return PopulationGrid(
        cell_m=100.0,
        x=X0 + lx,
        y=Y0 + ly,
        pop=pop,
        unit=(lx > 1500).astype(np.int64),
        quartier_pcodes=np.array(["QA", "QB"]),
        commune_of_unit=np.array(["C1", "C2"]),
    )


def _block(cx: float, cy: float, people: float) -> dict[tuple[float, float], float]:
    """Four cells of ``people`` each around the lattice corner (cx, cy)."""
    return {(cx + dx, cy + dy): people for dx in (-50.0, 50.0) for dy in (-50.0, 50.0)}


#: Cluster A (400 people) at x=500, B (200) at x=2500, C (4000) at x=1500 next to a facility.
TWO_CLUSTERS = _strip({**_block(500, 500, 100.0), **_block(2500, 500, 50.0), **_block(1500, 500, 1000.0)})
FACILITY_AT_C = _points([(X0 + 1500, Y0 + 500)])


def _brute_covered(grid, xs: np.ndarray, ys: np.ndarray, threshold_m: float) -> np.ndarray:
    """Return the cells within ``threshold_m`` of any of the points, by a full distance matrix."""
    if len(xs) == 0:
        return np.zeros(len(grid.pop), dtype=bool)
    d = np.hypot(grid.x[:, None] - xs[None, :], grid.y[:, None] - ys[None, :])
    return (d <= threshold_m).any(axis=1)


# ---------------------------------------------------------------- hand-computed fixture


def test_two_clusters_one_site_each_with_exact_gains():
    """At 300 m no site reaches two clusters; C is already covered, so A (400) then B (200).

    The first candidate (south to north, then west to east) within 300 m of all four cells of
    A, centred on (500, 500), is (350, 350): (550, 550) is √(200² + 200²) = 283 m away, and no
    candidate on the row y = 250 reaches both (450, 550) and (550, 550).
    """
    frame = suggest_sites(TWO_CLUSTERS, FACILITY_AT_C, threshold_m=300, k=2, candidate_spacing_m=100)
    assert list(frame.columns) == list(SUGGESTION_COLUMNS)
    assert frame["rank"].tolist() == [1, 2]
    assert frame["gain"].tolist() == [400.0, 200.0]
    assert frame["cumulative_gain"].tolist() == [400.0, 600.0]
    assert frame["x"].tolist() == [X0 + 350, X0 + 2350]
    assert frame["y"].tolist() == [Y0 + 350, Y0 + 350]
    assert frame["quartier_pcode"].tolist() == ["QA", "QB"]
    assert frame["commune_pcode"].tolist() == ["C1", "C2"]
    lon, lat = Transformer.from_crs(METRIC_CRS, STORE_CRS, always_xy=True).transform(frame["x"], frame["y"])
    np.testing.assert_allclose(frame["lon"], lon, rtol=0, atol=1e-12)
    np.testing.assert_allclose(frame["lat"], lat, rtol=0, atol=1e-12)
    assert frame.attrs["uncovered_before"] == 600.0
    assert frame.attrs["n_candidates"] == 300


def test_stops_when_nobody_is_left_uncovered():
    frame = suggest_sites(TWO_CLUSTERS, FACILITY_AT_C, threshold_m=300, k=5, candidate_spacing_m=100)
    assert frame["gain"].tolist() == [400.0, 200.0]


def test_everybody_covered_gives_an_empty_frame():
    frame = suggest_sites(TWO_CLUSTERS, FACILITY_AT_C, threshold_m=50_000, k=3)
    assert frame.empty
    assert list(frame.columns) == list(SUGGESTION_COLUMNS)
    assert frame.attrs["uncovered_before"] == 0.0


def test_without_facilities_everyone_counts_as_uncovered():
    frame = suggest_sites(TWO_CLUSTERS, _points([]), threshold_m=300, k=1, candidate_spacing_m=100)
    assert frame["gain"].tolist() == [4000.0]
    assert (frame["x"].iloc[0], frame["y"].iloc[0]) == (X0 + 1350, Y0 + 350)


def test_a_threshold_exactly_reached_counts_as_covered():
    """A single populated cell 300 m east of the only candidate: covered at 300 m, not at 299.9 m."""
    grid = _strip({(650.0, 450.0): 7.0})
    site = np.array([np.flatnonzero((grid.x == X0 + 350) & (grid.y == Y0 + 450))[0]])
    assert suggest_sites(grid, _points([]), threshold_m=300, k=1, candidates=site)["gain"].tolist() == [7.0]
    assert suggest_sites(grid, _points([]), threshold_m=299.9, k=1, candidates=site).empty


def test_ties_go_to_the_first_candidate_and_calls_are_deterministic():
    """Two identical clusters: the south-western one comes first, every time."""
    grid = _strip({**_block(2500, 500, 10.0), **_block(500, 500, 10.0)})
    first = suggest_sites(grid, _points([]), threshold_m=300, k=2, candidate_spacing_m=100)
    again = suggest_sites(grid, _points([]), threshold_m=300, k=2, candidate_spacing_m=100)
    assert first.equals(again)
    assert first["quartier_pcode"].tolist() == ["QA", "QB"]
    assert first["gain"].tolist() == [40.0, 40.0]


# ---------------------------------------------------------------- invariants on random data


def _random_grid(seed: int, *, n_side: int = 40, cell_m: float = 50.0) -> PopulationGrid:
    rng = np.random.default_rng(seed)
    xs, ys = np.meshgrid(np.arange(n_side) * cell_m + cell_m / 2, np.arange(n_side) * cell_m + cell_m / 2)
    pop = rng.gamma(0.5, 40.0, n_side * n_side) * (rng.random(n_side * n_side) < 0.8)
    unit = (xs.ravel() > n_side * cell_m / 2).astype(np.int64)
    return PopulationGrid(
        cell_m, X0 + xs.ravel(), Y0 + ys.ravel(), pop, unit, np.array(["QA", "QB"]), np.array(["C1", "C2"])
    )


@pytest.mark.parametrize("seed", range(5))
def test_gains_fall_and_add_up_to_the_recomputed_coverage(seed):
    grid = _random_grid(seed)
    rng = np.random.default_rng(100 + seed)
    existing = _points(list(zip(X0 + rng.uniform(0, 2000, 3), Y0 + rng.uniform(0, 2000, 3), strict=True)))
    threshold = 260.0
    frame = suggest_sites(grid, existing, threshold_m=threshold, k=8, candidate_spacing_m=100)

    gains = frame["gain"].to_numpy()
    assert len(frame) == 8
    assert np.all(gains > 0)
    assert np.all(np.diff(gains) <= 1e-9 * gains[0])
    np.testing.assert_allclose(frame["cumulative_gain"], np.cumsum(gains))

    before = _brute_covered(grid, existing.x, existing.y, threshold)
    after = _brute_covered(grid, np.r_[existing.x, frame["x"]], np.r_[existing.y, frame["y"]], threshold)
    assert gains.sum() == pytest.approx(grid.pop[after].sum() - grid.pop[before].sum(), rel=1e-12)
    assert frame.attrs["uncovered_before"] == pytest.approx(grid.pop[~before].sum(), rel=1e-12)
    # The same through the library's own indicators, with the sites added as a scenario would add them.
    with_sites = existing.concat(FacilityPoints.from_xy(frame["x"], frame["y"]))
    district = [coverage(grid, p, threshold_m=threshold, unit="district") for p in (existing, with_sites)]
    increase = district[1]["pop_covered"].iloc[0] - district[0]["pop_covered"].iloc[0]
    assert gains.sum() == pytest.approx(increase, rel=1e-12)


def _plain_greedy(matrix: np.ndarray, w: np.ndarray, k: int) -> list[int]:
    """Greedy without laziness, recomputing every gain at every step."""
    w, picks = w.copy(), []
    for _ in range(k):
        gains = matrix @ w
        if gains.max() <= 0:
            break
        picks.append(int(np.argmax(gains)))
        w[matrix[picks[-1]] > 0] = 0
    return picks


@pytest.mark.parametrize("seed", range(20))
def test_lazy_greedy_picks_what_plain_greedy_picks(seed):
    rng = np.random.default_rng(seed)
    dense = (rng.random((30, 60)) < 0.15).astype(np.int8)
    w = rng.integers(0, 5, 60).astype(float)  # small integers: many exact ties
    result = greedy_max_cover(sparse.csr_array(dense), w, k=10)
    assert result.rows.tolist() == _plain_greedy(dense.astype(float), w, 10)


@pytest.mark.parametrize("seed", range(10))
def test_greedy_is_within_one_minus_one_over_e_of_the_optimum(seed):
    rng = np.random.default_rng(seed)
    dense = (rng.random((12, 25)) < 0.25).astype(np.int8)
    w = rng.uniform(0, 10, 25)
    k = 3
    best = max(w[dense[list(rows)].any(axis=0)].sum() for rows in itertools.combinations(range(12), k))
    got = greedy_max_cover(sparse.csr_array(dense), w, k=k).gains.sum()
    assert (1 - 1 / np.e) * best - 1e-9 <= got <= best + 1e-9


def test_incidence_matches_a_full_distance_matrix(monkeypatch):
    monkeypatch.setattr(suggest, "_CHUNK_ENTRIES", 50)  # many chunks
    grid = _random_grid(7, n_side=20)
    cand = np.arange(0, 400, 7)
    cells = np.flatnonzero(grid.pop > 0)
    got = coverage_incidence(grid, cand, cells, threshold_m=180.0).toarray() > 0
    d = np.hypot(grid.x[cand][:, None] - grid.x[cells][None, :], grid.y[cand][:, None] - grid.y[cells][None, :])
    np.testing.assert_array_equal(got, d <= 180.0)


def test_row_sums_in_blocks_equal_the_matrix_product(monkeypatch):
    rng = np.random.default_rng(3)
    dense = (rng.random((40, 30)) < 0.2).astype(np.int8)
    dense[[0, 7, 39]] = 0  # empty rows, first and last included
    matrix = sparse.csr_array(dense)
    w = rng.uniform(0, 10, 30)
    for chunk in (1, 5, 13, 10_000):
        monkeypatch.setattr(suggest, "_CHUNK_ENTRIES", chunk)
        np.testing.assert_allclose(suggest._row_sums(w, matrix.indptr, matrix.indices), dense @ w, rtol=1e-12)


def test_a_cached_nearest_result_gives_the_same_sites():
    points = FACILITY_AT_C
    cached = nearest(TWO_CLUSTERS, points)
    again = suggest_sites(TWO_CLUSTERS, points, threshold_m=300, k=2, nearest_result=cached)
    assert again.equals(suggest_sites(TWO_CLUSTERS, points, threshold_m=300, k=2))


# ---------------------------------------------------------------- candidates


def test_candidate_lattice_keeps_the_cell_nearest_each_square_centre():
    grid = _strip({})
    cand = candidate_cells(grid, spacing_m=250)
    # 3 km × 1 km in 250 m squares anchored at (0, 0): 12 × 4 squares, each holding cell centres.
    assert len(cand) == 48
    x, y = grid.x[cand] - X0, grid.y[cand] - Y0
    # Squares are 250 m wide and cells 100 m: the kept centre is always 25 m from the square's
    # centre on each axis, e.g. (150, 150) for the square 0–250 m whose centre is (125, 125).
    assert (x[0], y[0]) == (150.0, 150.0)
    np.testing.assert_array_equal(np.abs(x - (np.floor(x / 250) + 0.5) * 250), 25.0)
    np.testing.assert_array_equal(np.abs(y - (np.floor(y / 250) + 0.5) * 250), 25.0)
    assert np.all(np.diff(np.floor(y / 250) * 100 + np.floor(x / 250)) > 0)  # south to north, west to east
    assert np.array_equal(candidate_cells(grid, spacing_m=100), np.lexsort((grid.x, grid.y)))


def test_default_lattice_is_250_m_and_widens_for_large_thresholds(monkeypatch):
    frame = suggest_sites(TWO_CLUSTERS, _points([]), threshold_m=300, k=1)
    assert frame.attrs["candidate_spacing_m"] == suggest.DEFAULT_CANDIDATE_SPACING_M
    monkeypatch.setattr(suggest, "TARGET_INCIDENCE_ENTRIES", 100)
    frame = suggest_sites(TWO_CLUSTERS, _points([]), threshold_m=300, k=1)
    # 12 uncovered cells: 300 · √(π · 12 / 100) ≈ 184 m < 250 m — unchanged; at 2 km it widens.
    assert frame.attrs["candidate_spacing_m"] == 250.0
    frame = suggest_sites(TWO_CLUSTERS, _points([]), threshold_m=2000, k=1)
    assert frame.attrs["candidate_spacing_m"] == pytest.approx(2000 * np.sqrt(np.pi * 12 / 100))
    assert frame["gain"].tolist() == [4600.0]


def test_too_many_candidate_pairs_is_refused(monkeypatch):
    monkeypatch.setattr(suggest, "MAX_INCIDENCE_ENTRIES", 50)
    with pytest.raises(InvalidParameter) as err:
        suggest_sites(TWO_CLUSTERS, _points([]), threshold_m=1000, k=1, candidate_spacing_m=100)
    assert err.value.parameter == "candidates"


# ---------------------------------------------------------------- bad parameters


@pytest.mark.parametrize("k", [0, MAX_SITES + 1, -1, 2.5, "3", True, None])
def test_k_out_of_range_is_refused(k):
    with pytest.raises(InvalidParameter) as err:
        suggest_sites(TWO_CLUSTERS, FACILITY_AT_C, threshold_m=300, k=k)
    assert err.value.parameter == "k"


def test_k_bounds_are_accepted():
    assert len(suggest_sites(TWO_CLUSTERS, FACILITY_AT_C, threshold_m=300, k=1)) == 1
    assert len(suggest_sites(TWO_CLUSTERS, FACILITY_AT_C, threshold_m=300, k=np.int64(MAX_SITES))) == 2


@pytest.mark.parametrize("threshold", [0, -5, 50_001, float("nan"), float("inf"), "far"])
def test_threshold_out_of_range_is_refused(threshold):
    with pytest.raises(InvalidParameter) as err:
        suggest_sites(TWO_CLUSTERS, FACILITY_AT_C, threshold_m=threshold, k=1)
    assert err.value.parameter == "threshold_m"


@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        ({"candidate_spacing_m": 0}, "candidate_spacing_m"),
        ({"candidate_spacing_m": "wide"}, "candidate_spacing_m"),
        ({"candidates": [0, 1], "candidate_spacing_m": 100}, "candidate_spacing_m"),
        ({"candidates": []}, "candidates"),
        ({"candidates": [0, 300]}, "candidates"),
        ({"candidates": [-1]}, "candidates"),
        ({"candidates": [0.5]}, "candidates"),
    ],
)
def test_bad_candidates_are_refused(options, parameter):
    with pytest.raises(InvalidParameter) as err:
        suggest_sites(TWO_CLUSTERS, FACILITY_AT_C, threshold_m=300, k=1, **options)
    assert err.value.parameter == parameter
