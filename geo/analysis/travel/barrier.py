"""The Niger as a barrier on the population raster, derived from the boundary data (EPSG:32629).

COD-AB's units cover the river: the left-bank communes I–IV and the right-bank
communes V–VI meet along one line (16.7 km in the District), the river's
course as the boundary data draw it. That line is rasterised as impassable
with every cell it touches (cell centres within half a diagonal of it): such a
band is 4-connected, so no 8-connected step slips diagonally through it. Its
ends are prolonged beyond the District outline so no path rounds a tip. Each
open crossing reopens the cells within ``1.5 × cell`` of its point snapped to
the line: a corridor at least three cells wide across the band.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection

import numpy as np
import shapely

from geo.analysis.coverage.grid import PopulationGrid
from geo.analysis.travel.raster import Raster
from geo.errors import DataError

log = logging.getLogger(__name__)

#: Communes on the right bank of the Niger (V and VI); the others are on the left bank.
RIGHT_BANK_COMMUNES = ("ML090105", "ML090106")
#: A crossing farther than this (metres) from the bank line is a data error, not a crossing.
MAX_SNAP_M = 1000.0
#: Radius of the corridor opened at a crossing, in cells.
OPENING_CELLS = 1.5
#: Prolongation of the line's ends that meet the District outline, in cells.
TIP_CELLS = 5.0


def bank_line(grid: PopulationGrid, *, right_bank: Collection[str] = RIGHT_BANK_COMMUNES) -> shapely.Geometry:
    """Return the boundary shared by the left-bank and right-bank units of ``grid`` (EPSG:32629), maybe empty."""
    if grid.unit_geometry is None:
        return shapely.LineString()
    right = np.isin(grid.commune_of_unit.astype(str), list(right_bank))
    if right.all() or not right.any():
        return shapely.LineString()
    left_area = shapely.union_all(grid.unit_geometry[~right])
    right_area = shapely.union_all(grid.unit_geometry[right])
    shared = shapely.intersection(shapely.boundary(left_area), shapely.boundary(right_area))
    lines = [g for g in shapely.get_parts(shared) if g.geom_type in ("LineString", "MultiLineString")]
    if not lines:
        return shapely.LineString()
    merged = shapely.line_merge(shapely.union_all(lines))
    return _prolong_tips(merged, shapely.boundary(shapely.union(left_area, right_area)), TIP_CELLS * grid.cell_m)


def _prolong_tips(line: shapely.Geometry, outline: shapely.Geometry, length_m: float) -> shapely.Geometry:
    """Return ``line`` with each end that lies on ``outline`` prolonged outwards by ``length_m``."""
    parts = []
    for part in shapely.get_parts(line):
        xy = shapely.get_coordinates(part)
        for end, before in ((0, 1), (-1, -2)):
            if len(xy) < 2 or shapely.distance(shapely.Point(xy[end]), outline) > 1e-6:
                continue
            step = xy[end] - xy[before]
            norm = math.hypot(*step)
            if norm > 0:
                tip = xy[end] + step / norm * length_m
                xy = np.vstack([tip, xy]) if end == 0 else np.vstack([xy, tip])
        parts.append(shapely.LineString(xy))
    return shapely.multilinestrings(parts) if len(parts) > 1 else parts[0]


def snap_crossings(line: shapely.Geometry, x: np.ndarray, y: np.ndarray, names: list[str]) -> np.ndarray:
    """Return the crossings (metres) snapped to the bank line as an (n, 2) array.

    Raises DataError naming a crossing farther than ``MAX_SNAP_M`` from the line.
    """
    points = shapely.points(x, y)
    distance = shapely.distance(line, points)
    far = np.flatnonzero(~(distance <= MAX_SNAP_M))
    if len(far):
        i = far[0]
        raise DataError(f"crossings: {names[i]!r} lies {distance[i]:.0f} m from the bank line (> {MAX_SNAP_M:.0f} m)")
    snapped = shapely.line_interpolate_point(line, shapely.line_locate_point(line, points))
    return shapely.get_coordinates(snapped).reshape(-1, 2)


def barrier_mask(raster: Raster, line: shapely.Geometry, openings_xy: np.ndarray) -> np.ndarray:
    """Return a (rows, columns) mask of the impassable cells: every cell ``line`` touches, minus the openings.

    ``openings_xy`` are crossing points (metres) on the line.
    """
    blocked = raster.near(line, raster.cell_m * math.sqrt(0.5) + 1e-6)
    for x, y in np.asarray(openings_xy, dtype=float).reshape(-1, 2):
        blocked &= ~raster.near(shapely.Point(x, y), OPENING_CELLS * raster.cell_m)
    log.debug("barrier: %d cells, %d openings", int(blocked.sum()), len(openings_xy))
    return blocked
