"""Planning in minutes: catchments by travel time, "where to build next" and the straight-line difference.

The travel-time counterparts of ``geo.analysis.coverage.catchments`` and
``geo.analysis.coverage.suggest``, on a ``Network`` and its ``TravelTime``
surface (EPSG:32629, minutes):

- ``travel_catchments``: each grid cell goes to its fastest facility (not the
  nearest one: a Voronoi cell ignores the river); a catchment's outline is the
  union of its cells' squares;
- ``suggest_sites_minutes``: the greedy maximal covering of ``suggest``, a
  candidate covering the uncovered cells it reaches within the threshold on the
  network (a time-limited Dijkstra from each candidate; the graph is symmetric,
  so the time from a site to a cell is the time from the cell to the site);
- ``method_difference``: per unit, the people whose fastest facility is not their
  nearest one, and the people who lose or gain coverage when the straight-line
  threshold is read as the same walking time on the network.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from geo.analysis.coverage.access import Access, FacilityPoints
from geo.analysis.coverage.catchments import CATCHMENT_COLUMNS, catchment_frame, facility_sites
from geo.analysis.coverage.grid import PopulationGrid
from geo.analysis.coverage.indicators import LEVELS, THRESHOLD_TOLERANCE_M, check_unit
from geo.analysis.coverage.suggest import (
    DEFAULT_CANDIDATE_SPACING_M,
    candidate_cells,
    check_k,
    greedy_max_cover,
    sites_frame,
)
from geo.analysis.travel.indicators import METHOD, check_minutes
from geo.analysis.travel.surface import Network, TravelTime
from geo.errors import InvalidParameter
from geo.vocabulary import METRIC_CRS

log = logging.getLogger(__name__)

#: Columns of ``travel_catchments`` (plus geometry): those of straight-line catchments, the farthest in minutes.
TRAVEL_CATCHMENT_COLUMNS = (*CATCHMENT_COLUMNS[:-1], "max_min")
#: Columns of ``method_difference``.
DIFFERENCE_COLUMNS = (
    "unit",
    "pcode",
    "kind",
    "mode",
    "season",
    "threshold_m",
    "threshold_min",
    "pop",
    "share_covered_straight_line",
    "share_covered_travel_time",
    "pop_nearest_changes",
    "pop_loses",
    "pop_gains",
)
#: Seconds of tolerance on a threshold (as ``THRESHOLD_TOLERANCE_M`` for distances).
TOLERANCE_S = 1e-6
#: Smallest side (cells) of a tile of candidates sharing one windowed Dijkstra.
_MIN_TILE_CELLS = 24
#: Dense entries one windowed Dijkstra may return (bounds memory: 4 M floats = 32 MB).
_CHUNK_ENTRIES = 4_000_000


def travel_catchments(grid: PopulationGrid, points: FacilityPoints, surface: TravelTime) -> gpd.GeoDataFrame:
    """Return each facility's travel-time catchment: the cells it is the fastest to reach, and their people.

    Facilities sharing one position share its catchment and split its people, as
    ``geo.analysis.coverage.catchments``. Columns ``TRAVEL_CATCHMENT_COLUMNS``
    (EPSG:32629): ``pop_served``, ``share_served``, ``area_km2`` and ``max_min``
    (minutes to the farthest populated cell served); the outline is the union of
    the cells' squares (empty for a facility that is nobody's fastest).
    """
    if len(surface.minutes) != len(grid):
        raise InvalidParameter("surface", "the travel-time surface was computed on another grid")
    n = len(points)
    if n == 0:
        return gpd.GeoDataFrame({c: [] for c in TRAVEL_CATCHMENT_COLUMNS}, geometry=[], crs=METRIC_CRS)
    sites, site_of_point = facility_sites(points)
    served = surface.index >= 0
    cell_site = np.full(len(grid), -1, dtype=np.int64)
    cell_site[served] = site_of_point[surface.index[served]]
    site_pop = np.bincount(cell_site[served], weights=grid.pop[served], minlength=len(sites))
    site_max = np.zeros(len(sites))
    populated = served & (grid.pop > 0)
    np.maximum.at(site_max, cell_site[populated], surface.minutes[populated])
    half = grid.cell_m / 2
    boxes = shapely.box(grid.x - half, grid.y - half, grid.x + half, grid.y + half)
    order = np.argsort(cell_site, kind="stable")
    bounds = np.searchsorted(cell_site[order], np.arange(len(sites) + 1))
    polygons = np.array(
        [shapely.coverage_union_all(boxes[order[a:b]]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)],
        dtype=object,
    )
    return catchment_frame(
        points, site_of_point, polygons, site_pop, float(grid.pop.sum()), reach=("max_min", site_max)
    )


def reach_incidence(
    network: Network, candidates: np.ndarray, cells: np.ndarray, *, threshold_s: float
) -> sparse.csr_array:
    """Return the candidate × cell incidence (CSR, int8) of the pairs within ``threshold_s`` on ``network``.

    Both arguments are grid cell indices; a pair's time runs between the cells'
    stand-in nodes plus the walks to them (``Network.cell_node``, ``cell_extra_s``).
    Candidates are taken in square tiles; each tile runs one Dijkstra, limited to
    the threshold, on the window of the raster within reach of it: no step costs
    less than the lowest friction, so a node farther than ``threshold_s / friction``
    in a straight line is out of reach and the window loses no pair.
    """
    node, extra = network.cell_node, network.cell_extra_s
    n_cols = network.raster.n_cols
    n_rows = network.graph.shape[0] // n_cols
    finite = network.cost[np.isfinite(network.cost)]
    limit = threshold_s + TOLERANCE_S
    rows, cols = [], []
    usable = np.flatnonzero(node[candidates] >= 0)
    if len(usable) and (node[cells] >= 0).any() and len(finite):
        reach_m = limit / float(finite.min())
        reach = int(np.ceil(reach_m / network.raster.cell_m)) + 1
        tile = max(2 * reach, _MIN_TILE_CELLS)  # larger tiles: fewer windows, a smaller margin per candidate
        t_node = node[cells]
        t_row, t_col = np.divmod(np.where(t_node >= 0, t_node, 0), n_cols)
        # only candidates with a cell within straight-line reach can cover anything
        c_row, c_col = np.divmod(node[candidates[usable]], n_cols)
        targets = cKDTree(np.column_stack(network.raster.centres(t_row[t_node >= 0], t_col[t_node >= 0])))
        near = targets.query_ball_point(np.column_stack(network.raster.centres(c_row, c_col)), reach_m + 1e-6,
                                        return_length=True)  # fmt: skip
        usable, c_row, c_col = usable[near > 0], c_row[near > 0], c_col[near > 0]
        tile_of = (c_row // tile) * (n_cols // tile + 1) + c_col // tile
        order = np.argsort(tile_of, kind="stable")
        if not len(order):
            return sparse.csr_array((len(candidates), len(cells)), dtype=np.int8)
        bounds = np.flatnonzero(np.diff(tile_of[order])) + 1
        for group in np.split(order, bounds):
            r0, r1 = max(0, c_row[group].min() - reach), min(n_rows, c_row[group].max() + reach + 1)
            k0, k1 = max(0, c_col[group].min() - reach), min(n_cols, c_col[group].max() + reach + 1)
            width = k1 - k0
            window = (np.arange(r0, r1)[:, None] * n_cols + np.arange(k0, k1)[None, :]).ravel()
            sub = network.graph[window][:, window]
            inside = np.flatnonzero((t_node >= 0) & (t_row >= r0) & (t_row < r1) & (t_col >= k0) & (t_col < k1))
            if not len(inside):
                continue
            targets_local = (t_row[inside] - r0) * width + (t_col[inside] - k0)
            step = max(1, _CHUNK_ENTRIES // len(window))  # bounds the dense Dijkstra output
            for part in (group[i : i + step] for i in range(0, len(group), step)):
                sources = (c_row[part] - r0) * width + (c_col[part] - k0)
                seconds = csgraph.dijkstra(sub, directed=True, indices=sources, limit=limit)
                times = seconds[:, targets_local]
                times += extra[candidates[usable[part]]][:, None] + extra[cells[inside]][None, :]
                r, c = np.nonzero(times <= limit)
                rows.append(usable[part][r])
                cols.append(inside[c])
    r = np.concatenate(rows) if rows else np.empty(0, np.int64)
    c = np.concatenate(cols) if cols else np.empty(0, np.int64)
    matrix = sparse.csr_array((np.ones(len(r), np.int8), (r, c)), shape=(len(candidates), len(cells)))
    matrix.sum_duplicates()
    return matrix


def _dense_incidence(network: Network, candidates: np.ndarray, cells: np.ndarray, *, threshold_s: float) -> np.ndarray:
    """Return the incidence of ``reach_incidence`` as a dense boolean array, by Dijkstra on the whole graph (tests)."""
    node, extra = network.cell_node, network.cell_extra_s
    seconds = csgraph.dijkstra(network.graph, directed=True, indices=node[candidates])
    times = seconds[:, node[cells]] + extra[candidates][:, None] + extra[cells][None, :]
    return times <= threshold_s + TOLERANCE_S


def suggest_sites_minutes(
    grid: PopulationGrid,
    network: Network,
    surface: TravelTime,
    *,
    threshold_min: float,
    k: int,
    candidate_spacing_m: float = DEFAULT_CANDIDATE_SPACING_M,
) -> pd.DataFrame:
    """Return the ``k`` sites that would newly bring the most people within ``threshold_min`` minutes.

    ``surface`` is the travel time to the existing facilities (a scenario's
    included) on ``network``; cells already within the threshold count for
    nothing. Candidates are the lattice cells of ``candidate_cells``. Returns the
    frame of ``geo.analysis.coverage.suggest_sites`` (``gain`` in people) with
    ``attrs`` ``threshold_min``, ``candidate_spacing_m``, ``n_candidates``,
    ``uncovered_before``, ``incidence_entries``, ``method``, ``mode`` and ``season``.
    """
    k = check_k(k)
    threshold_min = check_minutes(threshold_min, parameter="minutes")
    threshold_s = threshold_min * 60.0
    if len(surface.minutes) != len(grid):
        raise InvalidParameter("surface", "the travel-time surface was computed on another grid")
    pop = np.asarray(grid.pop, dtype=float)
    cells = np.flatnonzero((pop > 0) & ~(surface.minutes <= threshold_min))  # uncovered as in travel_coverage
    uncovered_before = float(pop[cells].sum())
    spacing = max(float(candidate_spacing_m), float(grid.cell_m))
    candidates = candidate_cells(grid, spacing_m=spacing) if len(cells) else np.empty(0, np.int64)
    incidence = reach_incidence(network, candidates, cells, threshold_s=threshold_s)
    picked = greedy_max_cover(incidence, pop[cells], k=k)
    frame = sites_frame(grid, candidates[picked.rows], picked.gains)
    frame.attrs.update(
        threshold_min=threshold_min,
        candidate_spacing_m=spacing,
        n_candidates=len(candidates),
        uncovered_before=uncovered_before,
        incidence_entries=int(incidence.nnz),
        method=METHOD,
        mode=surface.mode,
        season=surface.season,
    )
    log.info("suggested %d sites within %g min among %d candidates", len(frame), threshold_min, len(candidates))
    return frame


def method_difference(
    grid: PopulationGrid,
    acc: Access,
    surface: TravelTime,
    *,
    threshold_m: float,
    threshold_min: float,
    unit: str = "commune",
    kind: str = "",
) -> pd.DataFrame:
    """Return, per unit, how travel time changes the straight-line picture (``DIFFERENCE_COLUMNS``).

    ``acc`` is the straight-line ``access`` of the points ``surface`` was computed
    from. ``pop_nearest_changes``: people whose fastest facility stands elsewhere
    than their nearest one; ``pop_loses``: within ``threshold_m`` in a straight
    line but not within ``threshold_min`` minutes; ``pop_gains``: the reverse.
    Read ``threshold_min`` as the walking time of ``threshold_m``
    (``walk_minutes``) to see what the river and the network alone change.
    """
    level = check_unit(unit)
    threshold_min = check_minutes(threshold_min, parameter="threshold_min")
    if len(surface.minutes) != len(grid):
        raise InvalidParameter("surface", "the travel-time surface was computed on another grid")
    group, codes, _ = LEVELS[level](grid, acc)
    n = len(codes)
    xy = acc.points.xy
    near, fast = acc.nearest.index, surface.index
    has_near = (near >= 0) if len(xy) else np.zeros(len(grid), bool)
    changes = np.zeros(len(grid), bool)
    both = has_near & (fast >= 0)
    changes[both] = np.any(xy[near[both]] != xy[fast[both]], axis=1)
    changes |= has_near & (fast < 0)
    straight = acc.nearest.distance_m <= threshold_m + THRESHOLD_TOLERANCE_M
    travel = surface.minutes <= threshold_min  # as travel_coverage
    pop = grid.pop

    def total(mask: np.ndarray) -> np.ndarray:
        return np.bincount(group, weights=pop * mask, minlength=n)

    people = np.bincount(group, weights=pop, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_straight = np.where(people > 0, total(straight) / np.where(people > 0, people, 1), np.nan)
        share_travel = np.where(people > 0, total(travel) / np.where(people > 0, people, 1), np.nan)
    return pd.DataFrame(
        {
            "unit": level,
            "pcode": codes.astype(object),
            "kind": kind,
            "mode": surface.mode,
            "season": surface.season,
            "threshold_m": float(threshold_m),
            "threshold_min": threshold_min,
            "pop": people,
            "share_covered_straight_line": share_straight,
            "share_covered_travel_time": share_travel,
            "pop_nearest_changes": total(changes),
            "pop_loses": total(straight & ~travel),
            "pop_gains": total(travel & ~straight),
        },
        columns=list(DIFFERENCE_COLUMNS),
    )
