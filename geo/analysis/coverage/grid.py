"""Population surface: each quartier's estimate spread over a regular grid in EPSG:32629.

A cell belongs to the unit that contains its centre (a centre on a shared edge
goes to the lowest P-code, as in ``geo.spatial.joins``). Cells are not split along
boundaries: at 100 m a person is moved at most 71 m, far below the 1–5 km
thresholds, and the grid stays one row per cell, which the web layer can draw
as a raster. A unit whose area holds no cell centre (a sliver) gets one cell at
its representative point, so no populated unit is lost.

Within a unit, population follows the weighting of the quartier estimates
(``pop_method`` of the quartiers layer, see ``geo.analysis.population``):

- ``areal``: every cell of a unit gets the same share;
- ``dasymetric``: the quartier weight ``n + alpha × r × area × D_c`` is
  spread over the cells term by term. The area term goes evenly to the
  unit's cells; each of the ``n`` schools and kindergartens spreads a mass of 1
  over the unit's cells around it with a quartic kernel of radius
  ``DASYMETRIC_KERNEL_M`` (on the nearest cell of its unit when none is that
  close). Summed over a unit, the cell weights equal the unit's weight in the
  quartier estimate, so the surface refines that estimate without changing it.

Finally each unit's cells are scaled to sum to its ``pop_estimate``: totals are
conserved to floating-point precision.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo.analysis.population import DASYMETRIC_KINDS, dasymetric_weights
from geo.errors import DataError, InvalidParameter
from geo.spatial.district import units_outline
from geo.spatial.joins import analysed
from geo.vocabulary import METRIC_CRS

log = logging.getLogger(__name__)

#: Default cell size (metres).
CELL_M = 100.0
#: Smallest and largest accepted cell sizes (metres): below 10 m the grid of the
#: District passes 2.5 million cells; above 1 km it no longer resolves a quartier.
CELL_M_RANGE = (10.0, 1000.0)
#: Radius (metres) of the quartic kernel that spreads each school's weight.
#: About the spacing of surveyed schools and kindergartens in the built-up
#: District (1 184 over 245 km²: one per 0.2 km², i.e. every ~450 m).
DASYMETRIC_KERNEL_M = 500.0
#: Method used when the quartiers carry no ``pop_method`` column.
DEFAULT_METHOD = "areal"


@dataclass(frozen=True, eq=False)
class PopulationGrid:
    """People per grid cell, cells in EPSG:32629.

    Attributes
    ----------
    cell_m
        Cell side (metres).
    x, y
        Cell centres (metres, EPSG:32629); for a sliver unit's extra cell, its
        representative point.
    pop
        People per cell (float64); the cells of a unit sum to its ``pop_estimate``.
    unit
        Index of each cell's unit into ``quartier_pcodes``.
    quartier_pcodes
        P-codes of the units, sorted.
    commune_of_unit
        Commune P-code of each unit (aligned with ``quartier_pcodes``).
    unit_geometry
        The unit polygons (EPSG:32629, aligned with ``quartier_pcodes``), or None.
    method
        Weighting within units (a key of ``CELL_WEIGHTS``).
    origin_x, origin_y, n_cols, n_rows
        Lower-left corner (metres) and size of the raster the cells come from.
    col, row
        Raster position of each cell (row 0 at the bottom); -1 for sliver cells.
    """

    cell_m: float
    x: np.ndarray
    y: np.ndarray
    pop: np.ndarray
    unit: np.ndarray
    quartier_pcodes: np.ndarray
    commune_of_unit: np.ndarray
    unit_geometry: np.ndarray | None = None
    method: str = DEFAULT_METHOD
    origin_x: float = 0.0
    origin_y: float = 0.0
    n_cols: int = 0
    n_rows: int = 0
    col: np.ndarray | None = None
    row: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.pop)

    @cached_property
    def xy(self) -> np.ndarray:
        """Return the cell centres as an (n, 2) array (metres)."""
        return np.column_stack([self.x, self.y])

    @cached_property
    def commune_pcodes(self) -> np.ndarray:
        """Return the sorted commune P-codes."""
        return np.unique(self.commune_of_unit)

    @cached_property
    def commune_index_of_unit(self) -> np.ndarray:
        """Return, for each unit, its index into ``commune_pcodes``."""
        return np.searchsorted(self.commune_pcodes, self.commune_of_unit)

    @cached_property
    def commune(self) -> np.ndarray:
        """Return each cell's commune index into ``commune_pcodes``."""
        return self.commune_index_of_unit[self.unit]

    @cached_property
    def district_pcode(self) -> str:
        """Return the P-code of the District (common admin-2 prefix of the communes, ``ML0901``)."""
        prefixes = {str(c)[:6] for c in self.commune_pcodes}
        return prefixes.pop() if len(prefixes) == 1 else "district"

    @cached_property
    def unit_pop(self) -> np.ndarray:
        """Return people per unit (aligned with ``quartier_pcodes``)."""
        return np.bincount(self.unit, weights=self.pop, minlength=len(self.quartier_pcodes))

    @cached_property
    def district(self) -> shapely.Geometry | None:
        """Return the union of the unit polygons (EPSG:32629), or None without geometry."""
        if self.unit_geometry is None:
            return None
        return units_outline(gpd.GeoSeries(self.unit_geometry))

    @cached_property
    def _unit_tree(self) -> shapely.STRtree:
        if self.unit_geometry is None:
            raise InvalidParameter("grid", "this grid carries no unit polygons; build it with population_grid")
        return shapely.STRtree(self.unit_geometry)

    def locate(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Return the unit index of each point (metres, EPSG:32629), -1 outside every unit.

        A point on a shared edge gets the lowest P-code, as cells and facilities do.
        """
        x = np.atleast_1d(np.asarray(x, dtype=float))
        y = np.atleast_1d(np.asarray(y, dtype=float))
        out = np.full(len(x), -1, dtype=np.int64)
        if len(x) == 0:
            return out
        points, units = self._unit_tree.query(shapely.points(x, y), predicate="intersects")
        # pairs come sorted by point; keep the smallest unit index (lowest P-code) per point
        order = np.lexsort((units, points))
        first = np.unique(points[order], return_index=True)[1]
        out[points[order][first]] = units[order][first]
        return out


#: Spreads each unit's weight over its cells: (cells, units in metres, facilities, *, kernel_m) → weight per cell.
CellWeights = Callable[..., np.ndarray]


@dataclass(frozen=True)
class _Cells:
    """Cells during construction: centres (metres), unit index, units' cell counts."""

    x: np.ndarray
    y: np.ndarray
    unit: np.ndarray
    n_units: int

    @cached_property
    def count(self) -> np.ndarray:
        return np.bincount(self.unit, minlength=self.n_units).astype(float)


def areal_cell_weights(
    cells: _Cells, units: gpd.GeoDataFrame, facilities: pd.DataFrame, *, kernel_m: float = DASYMETRIC_KERNEL_M
) -> np.ndarray:
    """Return 1 for every cell: people spread evenly over a unit's cells."""
    del units, facilities, kernel_m  # same signature as every method of the registry
    return np.ones(len(cells.x))


def dasymetric_cell_weights(
    cells: _Cells, units: gpd.GeoDataFrame, facilities: pd.DataFrame, *, kernel_m: float = DASYMETRIC_KERNEL_M
) -> np.ndarray:
    """Return cell weights that sum, over each unit, to its ``geo.analysis.population.dasymetric_weights``.

    ``units`` are in EPSG:32629, sorted by P-code like the cell unit indices;
    ``facilities`` are the store's (EPSG:4326 points).
    """
    if not kernel_m > 0:
        raise InvalidParameter("kernel_m", f"must be > 0 metres, got {kernel_m}")
    unit_weight = dasymetric_weights(units, facilities).to_numpy(dtype=float)
    # The same facilities as geo.analysis.population counts: analysed, of the dasymetric kinds, with a quartier.
    fac = analysed(facilities)
    fac = fac[fac["kind"].isin(DASYMETRIC_KINDS).to_numpy() & fac["quartier_pcode"].notna().to_numpy()]
    school_unit = pd.Index(units["pcode"]).get_indexer(fac["quartier_pcode"])
    known = (school_unit >= 0) & ~(fac.geometry.isna() | fac.geometry.is_empty).to_numpy()
    points = gpd.GeoSeries(fac.geometry.to_numpy()[known], crs=fac.crs).to_crs(METRIC_CRS)
    school_unit = school_unit[known]
    sx, sy = points.x.to_numpy(), points.y.to_numpy()
    n_schools = np.bincount(school_unit, minlength=cells.n_units).astype(float)

    area_term = np.clip(unit_weight - n_schools, 0.0, None)
    weight = (area_term / np.maximum(cells.count, 1.0))[cells.unit]
    if len(sx) == 0:
        return weight

    # Kernel pairs (school, cell) within kernel_m, restricted to the school's own unit.
    tree_cells = cKDTree(np.column_stack([cells.x, cells.y]))
    pairs = cKDTree(np.column_stack([sx, sy])).sparse_distance_matrix(tree_cells, kernel_m, output_type="ndarray")
    school, cell, dist = pairs["i"], pairs["j"], pairs["v"]
    same = cells.unit[cell] == school_unit[school]
    school, cell, dist = school[same], cell[same], dist[same]
    k = (1.0 - (dist / kernel_m) ** 2) ** 2
    k_sum = np.bincount(school, weights=k, minlength=len(sx))
    weight += np.bincount(cell, weights=k / k_sum[school], minlength=len(weight))

    lonely = np.flatnonzero(k_sum <= 0)
    if len(lonely):
        # Few schools (next to a boundary or in a sliver) have no cell of their unit within reach:
        # their weight goes to the nearest cell of their unit.
        log.debug("%d schools have no cell of their unit within %.0f m", len(lonely), kernel_m)
        for s in lonely:
            mine = np.flatnonzero(cells.unit == school_unit[s])
            if len(mine):
                nearest = mine[np.argmin((cells.x[mine] - sx[s]) ** 2 + (cells.y[mine] - sy[s]) ** 2)]
                weight[nearest] += 1.0
    return weight


#: Cell weighting methods, by the quartier ``pop_method`` they refine.
CELL_WEIGHTS: dict[str, CellWeights] = {"areal": areal_cell_weights, "dasymetric": dasymetric_cell_weights}


def _method(quartiers: pd.DataFrame, method: str | None) -> str:
    if not method:
        methods = sorted(set(quartiers["pop_method"].dropna())) if "pop_method" in quartiers.columns else []
        if len(methods) > 1:
            raise DataError(f"quartiers: several pop_method values {methods}; pass method=")
        method = methods[0] if methods else DEFAULT_METHOD
    if method not in CELL_WEIGHTS:
        raise InvalidParameter("method", f"unknown method {method!r}; allowed: {', '.join(CELL_WEIGHTS)}")
    return method


def _check_units(quartiers: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    missing = [c for c in ("pcode", "commune_pcode", "pop_estimate") if c not in quartiers.columns]
    if missing:
        raise DataError(f"quartiers: missing columns {missing}")
    if quartiers.crs is None:
        raise DataError("quartiers: no CRS; expected the store's EPSG:4326 or EPSG:32629")
    if quartiers["pcode"].duplicated().any():
        raise DataError(
            f"quartiers: duplicate P-codes {sorted(quartiers.loc[quartiers['pcode'].duplicated(), 'pcode'])}"
        )
    pop = pd.to_numeric(quartiers["pop_estimate"], errors="coerce")
    if pop.isna().any() or (pop < 0).any():
        raise DataError("quartiers: pop_estimate must be a number >= 0 for every unit")
    units = quartiers.to_crs(METRIC_CRS).sort_values("pcode").reset_index(drop=True)
    if "area_km2" not in units.columns:
        units["area_km2"] = units.geometry.area / 1e6
    return units


def _raster(bounds: np.ndarray, cell_m: float) -> tuple[float, float, int, int]:
    """Return the origin (snapped to multiples of ``cell_m``) and size of a raster covering ``bounds``."""
    minx, miny, maxx, maxy = bounds
    x0, y0 = np.floor(minx / cell_m) * cell_m, np.floor(miny / cell_m) * cell_m
    return float(x0), float(y0), int(np.ceil((maxx - x0) / cell_m)), int(np.ceil((maxy - y0) / cell_m))


def _assign_centres(geoms: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return the index of the first unit (in P-code order) that contains or touches each centre, -1 if none."""
    out = np.full(len(x), -1, dtype=np.int64)
    shapely.prepare(geoms)
    bounds = shapely.bounds(geoms)
    # One vectorised test per unit (71 units, not per cell), limited to the unit's bounding box.
    for i, (minx, miny, maxx, maxy) in enumerate(bounds):
        box = np.flatnonzero((x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy))
        box = box[out[box] < 0]
        out[box[shapely.intersects_xy(geoms[i], x[box], y[box])]] = i
    return out


def population_grid(
    quartiers: gpd.GeoDataFrame,
    facilities: pd.DataFrame,
    *,
    cell_m: float = CELL_M,
    method: str | None = None,
    kernel_m: float = DASYMETRIC_KERNEL_M,
) -> PopulationGrid:
    """Spread each quartier's ``pop_estimate`` over a regular grid of ``cell_m`` metres (EPSG:32629).

    Parameters
    ----------
    quartiers
        The quartiers layer (``pcode``, ``commune_pcode``, ``pop_estimate``,
        ``area_km2``, ``pop_method``; any CRS, polygons).
    facilities
        The facilities layer (for the dasymetric weights: ``kind``,
        ``quartier_pcode``, ``in_analysis``, points in EPSG:4326).
    cell_m
        Cell side in metres, within ``CELL_M_RANGE``; the raster origin is a
        multiple of it, so grids of one size always align.
    method
        A key of ``CELL_WEIGHTS``; default the quartiers' ``pop_method``.
    kernel_m
        Radius (metres) of the school kernel of the dasymetric method.

    Returns
    -------
    PopulationGrid
        One row per cell whose centre lies in a unit, plus one per sliver unit.
    """
    try:
        cell_m = float(cell_m)
    except (TypeError, ValueError):
        raise InvalidParameter("cell_m", f"expected a number of metres, got {cell_m!r}") from None
    if not CELL_M_RANGE[0] <= cell_m <= CELL_M_RANGE[1]:
        raise InvalidParameter("cell_m", f"must be within {CELL_M_RANGE[0]:g}–{CELL_M_RANGE[1]:g} m, got {cell_m:g}")
    chosen = _method(quartiers, method)
    units = _check_units(quartiers)
    geoms = units.geometry.to_numpy()
    n_units = len(units)

    x0, y0, n_cols, n_rows = _raster(units.total_bounds, cell_m)
    cols, rows = np.meshgrid(np.arange(n_cols), np.arange(n_rows))
    cols, rows = cols.ravel(), rows.ravel()
    x, y = x0 + (cols + 0.5) * cell_m, y0 + (rows + 0.5) * cell_m
    unit = _assign_centres(geoms, x, y)
    keep = unit >= 0
    x, y, unit, cols, rows = x[keep], y[keep], unit[keep], cols[keep], rows[keep]

    slivers = np.setdiff1d(np.arange(n_units), unit)
    if len(slivers):
        rep = shapely.point_on_surface(geoms[slivers])
        log.debug("%d units hold no cell centre at %g m: one cell at their representative point", len(slivers), cell_m)
        x = np.concatenate([x, shapely.get_x(rep)])
        y = np.concatenate([y, shapely.get_y(rep)])
        unit = np.concatenate([unit, slivers])
        cols = np.concatenate([cols, np.full(len(slivers), -1)])
        rows = np.concatenate([rows, np.full(len(slivers), -1)])

    cells = _Cells(x, y, unit, n_units)
    weight = CELL_WEIGHTS[chosen](cells, units, facilities, kernel_m=kernel_m)
    unit_weight = np.bincount(unit, weights=weight, minlength=n_units)
    # A unit whose weights all vanish (alpha = 0 and no school) falls back to even spreading.
    flat = unit_weight[unit] <= 0
    weight = np.where(flat, 1.0, weight)
    unit_weight = np.bincount(unit, weights=weight, minlength=n_units)
    unit_pop = units["pop_estimate"].to_numpy(dtype=float)
    pop = unit_pop[unit] * (weight / unit_weight[unit])

    log.info("population grid: %d cells of %g m, method %s, %.0f people", len(pop), cell_m, chosen, pop.sum())
    return PopulationGrid(
        cell_m=cell_m,
        x=x,
        y=y,
        pop=pop,
        unit=unit,
        quartier_pcodes=units["pcode"].to_numpy(dtype=str),
        commune_of_unit=units["commune_pcode"].to_numpy(dtype=str),
        unit_geometry=geoms,
        method=chosen,
        origin_x=x0,
        origin_y=y0,
        n_cols=n_cols,
        n_rows=n_rows,
        col=cols,
        row=rows,
    )
