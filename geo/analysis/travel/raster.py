"""The raster behind a population grid: cell indices, centres and cells near a geometry (EPSG:32629)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from geo.analysis.coverage.grid import PopulationGrid
from geo.errors import InvalidParameter


@dataclass(frozen=True)
class Raster:
    """A regular raster in EPSG:32629: lower-left corner (metres), cell side (metres), size; row 0 at the bottom."""

    origin_x: float
    origin_y: float
    cell_m: float
    n_rows: int
    n_cols: int

    @classmethod
    def of(cls, grid: PopulationGrid) -> Raster:
        """Return the raster the cells of ``grid`` come from."""
        if grid.col is None or grid.n_rows <= 0 or grid.n_cols <= 0:
            raise InvalidParameter("grid", "this grid carries no raster positions; build it with population_grid")
        return cls(float(grid.origin_x), float(grid.origin_y), float(grid.cell_m), int(grid.n_rows), int(grid.n_cols))

    @property
    def shape(self) -> tuple[int, int]:
        """Return (rows, columns)."""
        return self.n_rows, self.n_cols

    def centres(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the centres (metres) of the cells at ``rows``, ``cols``."""
        return self.origin_x + (cols + 0.5) * self.cell_m, self.origin_y + (rows + 0.5) * self.cell_m

    def locate(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the row and column of the cells holding points (metres), clipped to the raster."""
        col = np.clip(np.floor((np.asarray(x) - self.origin_x) / self.cell_m), 0, self.n_cols - 1).astype(np.int64)
        row = np.clip(np.floor((np.asarray(y) - self.origin_y) / self.cell_m), 0, self.n_rows - 1).astype(np.int64)
        return row, col

    def near(self, geometry: shapely.Geometry, distance_m: float) -> np.ndarray:
        """Return a (rows, columns) mask of the cells whose centre lies within ``distance_m`` of ``geometry``."""
        mask = np.zeros(self.shape, dtype=bool)
        if geometry is None or shapely.is_empty(geometry):
            return mask
        minx, miny, maxx, maxy = shapely.bounds(geometry)
        r0, c0 = self.locate(minx - distance_m, miny - distance_m)
        r1, c1 = self.locate(maxx + distance_m, maxy + distance_m)
        rows, cols = np.meshgrid(np.arange(r0, r1 + 1), np.arange(c0, c1 + 1), indexing="ij")
        rows, cols = rows.ravel(), cols.ravel()
        x, y = self.centres(rows, cols)
        shapely.prepare(geometry)
        hit = shapely.dwithin(geometry, shapely.points(x, y), distance_m)
        mask[rows[hit], cols[hit]] = True
        return mask
