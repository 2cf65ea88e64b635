"""Least-cost travel time from facilities over the population raster (scipy's Dijkstra, 16 neighbours).

A ``Network`` is the graph of the passable cells of a grid for one mode and
season: each cell is linked to its 8 neighbours and its 8 knight's-move
neighbours, a step costing its length (metres) times the mean friction (s/m) of
the cells it crosses — the rule of scikit-image's ``MCP_Geometric`` and GRASS
``r.cost``. ``travel_time`` adds one virtual node per facility, linked straight
to the passable cells within 2.5 cells of it (not across the river), and runs
one multi-source Dijkstra: each cell gets the time (minutes) and the index of
its fastest facility. Grid cells that are not passable themselves (on the river
band) or not on the raster (a sliver unit's extra cell) take the time of the
nearest passable cell of their own bank plus the walk to it.

Networks and travel times are kept in the bounded caches of ``geo.cache``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from geo.analysis.coverage.access import FacilityPoints
from geo.analysis.coverage.grid import PopulationGrid
from geo.analysis.travel.barrier import RIGHT_BANK_COMMUNES, bank_line, barrier_mask, snap_crossings
from geo.analysis.travel.crossings import Crossing, crossing_lonlat, default_season, open_crossings, read_crossings
from geo.analysis.travel.raster import Raster
from geo.analysis.travel.roads import RoadLayer
from geo.analysis.travel.speeds import WALK, friction
from geo.cache import LRUCache
from geo.settings import Settings, resolve
from geo.vocabulary import METRIC_CRS, STORE_CRS

#: Networks kept (one per grid, mode, season and road layer).
_NETWORK_CACHE_SIZE = 8
#: Travel-time surfaces kept (one per network and set of facility points).
_SURFACE_CACHE_SIZE = 64
_networks: LRUCache = LRUCache(_NETWORK_CACHE_SIZE, None, single_flight="key")
_surfaces: LRUCache = LRUCache(_SURFACE_CACHE_SIZE, None, single_flight="key")
#: Radius (cells) around a facility within which cells are linked to it directly.
SEED_CELLS = 2.5
#: Steps (rows, columns) to the 16 neighbours — 8 plus the knight's moves —, half of them: the graph holds both
#: directions. Knight's moves bring the raster metric within 2.7 % of the straight line (8 neighbours: 8 %).
_STEPS = ((0, 1), (1, 0), (1, 1), (1, -1), (1, 2), (2, 1), (2, -1), (1, -2))
_TO_METRIC = pyproj.Transformer.from_crs(STORE_CRS, METRIC_CRS, always_xy=True)


@dataclass(frozen=True, eq=False)
class Network:
    """The passable cells of a grid's raster as a weighted graph for one mode and season.

    Attributes
    ----------
    raster
        The raster (EPSG:32629).
    cost
        Friction per cell, seconds per metre (rows × columns), inf where impassable.
    graph
        Symmetric CSR matrix over the raster's cells (row-major flat index), step costs in seconds.
    cell_node
        For each grid cell, the passable raster cell standing for it (flat index), -1 when none.
    cell_extra_s
        Seconds from that raster cell's centre to the grid cell's centre (0 for a passable cell).
    mode, season
        The travel mode and season (``wet``: bridges only; ``dry``: the causeway too).
    river
        The bank line (EPSG:32629), empty without a river.
    roads_version
        Version of the road layer the friction follows (None: no road layer, or a bare road raster).
    """

    raster: Raster
    cost: np.ndarray
    graph: sp.csr_matrix
    cell_node: np.ndarray
    cell_extra_s: np.ndarray
    mode: str
    season: str
    river: shapely.Geometry
    roads_version: str | None = None

    @cached_property
    def passable_nodes(self) -> np.ndarray:
        """Return the flat indices of the passable cells."""
        return np.flatnonzero(np.isfinite(self.cost.ravel()))

    @cached_property
    def _tree(self) -> cKDTree:
        rows, cols = np.divmod(self.passable_nodes, self.raster.n_cols)
        return cKDTree(np.column_stack(self.raster.centres(rows, cols)))

    def seeds(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the passable cells a facility at each point (metres) is linked to: (point, cell, seconds).

        Every passable cell within ``SEED_CELLS`` cells whose straight segment from the point
        does not cross the river, at the mean friction of the point's cell and that cell; the
        nearest passable cell when there is none. Direct links keep the cells around a
        facility at their straight-line time instead of a detour through its cell centre.
        """
        xy = np.column_stack([x, y])
        near = self._tree.query_ball_point(xy, SEED_CELLS * self.raster.cell_m)
        point = np.repeat(np.arange(len(xy)), [len(n) for n in near])
        cell = self.passable_nodes[np.concatenate(near).astype(np.int64)] if len(point) else np.empty(0, np.int64)
        rows, cols = np.divmod(cell, self.raster.n_cols)
        cx, cy = self.raster.centres(rows, cols)
        if len(point) and not self.river.is_empty:
            crossing = shapely.intersects(shapely.linestrings(np.stack([xy[point], np.column_stack([cx, cy])], 1)),
                                          self.river)  # fmt: skip
            point, cell, cx, cy = point[~crossing], cell[~crossing], cx[~crossing], cy[~crossing]
        lonely = np.setdiff1d(np.arange(len(xy)), point)
        if len(lonely):
            _, i = self._tree.query(xy[lonely], k=1)
            extra = self.passable_nodes[np.atleast_1d(i)]
            ex, ey = self.raster.centres(*np.divmod(extra, self.raster.n_cols))
            point, cell = np.concatenate([point, lonely]), np.concatenate([cell, extra])
            cx, cy = np.concatenate([cx, ex]), np.concatenate([cy, ey])
        flat = self.cost.ravel()
        own_r, own_c = self.raster.locate(xy[point, 0], xy[point, 1])
        own = flat[own_r * self.raster.n_cols + own_c]
        own = np.where(np.isfinite(own), own, flat[cell])
        seconds = np.hypot(xy[point, 0] - cx, xy[point, 1] - cy) * (own + flat[cell]) / 2
        return point, cell, seconds


def _graph(cost: np.ndarray, cell_m: float) -> sp.csr_matrix:
    """Return the 16-connected graph of the finite cells of ``cost``, both directions, costs in seconds.

    A step costs its length times the mean friction of the cells it crosses: its two
    ends (8 neighbours, as ``MCP_Geometric``), or its two ends and the two cells it
    passes between (knight's moves, as GRASS ``r.cost -k``), so no step jumps over an
    impassable cell.
    """
    n_rows, n_cols = cost.shape
    index = np.arange(n_rows * n_cols).reshape(cost.shape)
    heads, tails, weights = [], [], []
    for dr, dc in _STEPS:
        c0, c1 = max(0, -dc), n_cols - max(0, dc)
        r1 = n_rows - dr

        def at(r: int, c: int) -> np.ndarray:
            return cost[r : r + r1, c0 + c : c1 + c].ravel()  # noqa: B023 - used within the iteration

        cells = [at(0, 0), at(dr, dc)]
        if abs(dc) == 2:  # a knight's move passes between two more cells
            cells += [at(0, dc // 2), at(1, dc // 2)]
        elif dr == 2:
            cells += [at(1, 0), at(1, dc)]
        w = math.hypot(dr, dc) * cell_m * np.mean(cells, axis=0)
        ok = np.isfinite(w)
        a, b = index[:r1, c0:c1].ravel()[ok], index[dr:, c0 + dc : c1 + dc].ravel()[ok]
        heads += [a, b]
        tails += [b, a]
        weights += [w[ok], w[ok]]
    n = n_rows * n_cols
    return sp.csr_matrix((np.concatenate(weights), (np.concatenate(heads), np.concatenate(tails))), shape=(n, n))


def _cell_nodes(grid: PopulationGrid, raster: Raster, cost: np.ndarray, right_bank: Collection[str]):
    """Return, per grid cell, its passable stand-in cell of the same bank and the seconds to walk from it."""
    flat_cost = cost.ravel()
    on_raster = grid.col >= 0 if grid.col is not None else np.zeros(len(grid), bool)
    node = np.full(len(grid), -1, dtype=np.int64)
    node[on_raster] = grid.row[on_raster] * raster.n_cols + grid.col[on_raster]
    ok = on_raster.copy()
    ok[on_raster] = np.isfinite(flat_cost[node[on_raster]])
    extra = np.zeros(len(grid))
    bank = np.isin(grid.commune_of_unit.astype(str), list(right_bank))[grid.unit]
    for side in (False, True):
        todo = np.flatnonzero(~ok & (bank == side))
        donors = np.flatnonzero(ok & (bank == side))
        if len(todo) == 0 or len(donors) == 0:
            continue
        distance, i = cKDTree(grid.xy[donors]).query(grid.xy[todo], k=1)
        node[todo] = node[donors[i]]
        extra[todo] = distance * flat_cost[node[todo]]
    return node, extra


def build_network(
    grid: PopulationGrid,
    *,
    mode: str = WALK,
    season: str | None = None,
    crossings: tuple[Crossing, ...] | None = None,
    roads: RoadLayer | np.ndarray | None = None,
    right_bank: Collection[str] = RIGHT_BANK_COMMUNES,
    settings: Settings | None = None,
) -> Network:
    """Return the travel network of ``grid``: its cells minus the river band, reopened at the open crossings.

    Parameters
    ----------
    grid
        A population grid built by ``population_grid`` (EPSG:32629, with unit polygons).
    mode
        A mode of ``geo.analysis.travel.speeds.modes``; motorised modes need ``roads``.
    season
        ``wet`` (bridges only) or ``dry`` (the causeway too); default: setting ``TRAVEL_SEASON``.
    crossings
        Default: ``data/crossings.csv``.
    roads
        Optional road layer (its lines are rasterised on the grid's raster: road cells go at the
        speed of their class, the others at off-road walking speed), or a road raster
        (``rasterise_roads``) on the grid's raster.
    right_bank
        Commune P-codes of the right bank.
    settings
        Walking speed, detour and season (default: resolved from the environment).
    """
    settings = resolve(settings)
    season = default_season(settings) if season is None else season
    crossings = read_crossings() if crossings is None else crossings
    opened = open_crossings(crossings, season)
    raster = Raster.of(grid)
    passable = np.zeros(raster.shape, dtype=bool)
    on_raster = grid.col >= 0
    passable[grid.row[on_raster], grid.col[on_raster]] = True
    line = bank_line(grid, right_bank=right_bank)
    if not line.is_empty:
        x, y = _TO_METRIC.transform(*crossing_lonlat(opened).T) if opened else (np.empty(0), np.empty(0))
        openings = snap_crossings(line, np.asarray(x), np.asarray(y), [c.name for c in opened])
        passable &= ~barrier_mask(raster, line, openings)
    version = roads.version if isinstance(roads, RoadLayer) else None
    road_raster = roads.raster(raster) if isinstance(roads, RoadLayer) else roads
    cost = friction(passable, mode, roads=road_raster, settings=settings)
    node, extra = _cell_nodes(grid, raster, cost, right_bank)
    return Network(raster, cost, _graph(cost, raster.cell_m), node, extra, mode, season, line, version)


@dataclass(frozen=True, eq=False)
class TravelTime:
    """Travel time (minutes) from every grid cell to its fastest facility, and that facility's index.

    ``minutes`` is inf and ``index`` -1 where no facility can be reached (or there is none).
    """

    minutes: np.ndarray
    index: np.ndarray
    mode: str
    season: str


def travel_time(network: Network, grid: PopulationGrid, points: FacilityPoints) -> TravelTime:
    """Return the least-cost travel time from every cell of ``grid`` to the fastest of ``points``."""
    n_cells = len(grid)
    if len(points) == 0:
        return TravelTime(np.full(n_cells, np.inf), np.full(n_cells, -1, np.int64), network.mode, network.season)
    n, k = network.graph.shape[0], len(points)
    point, start, seed_s = network.seeds(points.x, points.y)
    order = np.argsort(point, kind="stable")
    point, start, seed_s = point[order], start[order], seed_s[order]
    # 1 µs more so that a facility on a cell centre keeps a stored (non-zero) edge
    base = network.graph
    graph = sp.csr_matrix(
        (
            np.concatenate([base.data, seed_s + 1e-6]),
            np.concatenate([base.indices, start]),
            np.concatenate([base.indptr, base.indptr[-1] + np.cumsum(np.bincount(point, minlength=k))]),
        ),
        shape=(n + k, n + k),
    )
    seconds, _, source = csgraph.dijkstra(
        graph, directed=True, indices=np.arange(n, n + k), min_only=True, return_predecessors=True
    )
    node = network.cell_node
    reached = node >= 0
    minutes = np.full(n_cells, np.inf)
    minutes[reached] = (seconds[node[reached]] + network.cell_extra_s[reached]) / 60.0
    index = np.full(n_cells, -1, dtype=np.int64)
    index[reached] = np.where(source[node[reached]] >= n, source[node[reached]] - n, -1)
    index[~np.isfinite(minutes)] = -1
    return TravelTime(minutes, index, network.mode, network.season)


def _points_key(points: FacilityPoints) -> str:
    digest = hashlib.sha256(np.ascontiguousarray(points.xy).tobytes())
    digest.update("\x1f".join(map(str, points.ids)).encode())
    return digest.hexdigest()


def cached_network(grid: PopulationGrid, *, mode: str = WALK, season: str | None = None,
                   roads: RoadLayer | None = None, settings: Settings | None = None) -> Network:  # fmt: skip
    """Return ``build_network(grid, mode=…, season=…, roads=…)`` with the default crossings, built once.

    Kept per grid, mode, season, walking settings and road layer version: a new road layer builds a new network.
    """
    settings = resolve(settings)
    season = default_season(settings) if season is None else season
    version = roads.version if roads is not None else None
    key = (id(grid), mode, season, settings["COVERAGE_WALK_SPEED_KMH"], settings["COVERAGE_DETOUR"], version)
    # the grid is kept in the value, so its id cannot be reused while the entry lives
    held = _networks.get(
        key, lambda: (grid, build_network(grid, mode=mode, season=season, roads=roads, settings=settings))
    )
    return held[1]


def cached_travel_time(grid: PopulationGrid, points: FacilityPoints, *, mode: str = WALK, season: str | None = None,
                       roads: RoadLayer | None = None, settings: Settings | None = None) -> TravelTime:  # fmt: skip
    """Return ``travel_time`` on the cached network of ``grid`` (and ``roads``), computed once per set of points."""
    network = cached_network(grid, mode=mode, season=season, roads=roads, settings=settings)
    key = (id(network), _points_key(points))
    return _surfaces.get(key, lambda: (network, travel_time(network, grid, points)))[1]
