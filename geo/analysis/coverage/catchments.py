"""Catchments: the area nearer to each facility than to any other, with the people it serves.

Areas are Voronoi polygons of the facility sites (``shapely.voronoi_polygons``)
clipped to the District, in EPSG:32629. The people served are the grid cells
whose nearest facility it is (the same KD-tree as the coverage indicators),
so catchment populations add up to the District's. Facilities sharing one
position (e.g. two placed at the same commune point) share its polygon and
split its people equally.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import shapely

from geo.analysis.coverage.access import FacilityPoints, Nearest, nearest
from geo.analysis.coverage.grid import PopulationGrid
from geo.errors import InvalidParameter
from geo.vocabulary import METRIC_CRS

log = logging.getLogger(__name__)

#: Columns of ``catchments`` (plus geometry).
CATCHMENT_COLUMNS = (
    "id",
    "kind",
    "approximate",
    "hypothetical",
    "co_located",
    "pop_served",
    "share_served",
    "area_km2",
    "max_distance_m",
)


def facility_sites(points: FacilityPoints) -> tuple[np.ndarray, np.ndarray]:
    """Return the distinct positions (n_sites, 2) and each point's site index."""
    sites, inverse = np.unique(points.xy, axis=0, return_inverse=True)
    return sites, np.asarray(inverse).ravel()


def _site_polygons(sites: np.ndarray, district: shapely.Geometry) -> np.ndarray:
    """Return one polygon per site: its Voronoi cell clipped to ``district`` (EPSG:32629)."""
    if len(sites) == 1:
        return np.array([district], dtype=object)
    multipoint = shapely.multipoints(sites)
    try:
        polygons = shapely.get_parts(shapely.voronoi_polygons(multipoint, extend_to=district, ordered=True))
    except TypeError:  # shapely < 2.1 has no ``ordered``: match each cell to the site it contains
        cells = shapely.get_parts(shapely.voronoi_polygons(multipoint, extend_to=district))
        site, cell = shapely.STRtree(cells).query(shapely.points(sites), predicate="intersects")
        first = np.unique(site, return_index=True)[1]
        polygons = np.empty(len(sites), dtype=object)
        polygons[site[first]] = cells[cell[first]]
    if len(polygons) != len(sites):  # GEOS returns one cell per distinct input point
        raise RuntimeError(f"voronoi_polygons returned {len(polygons)} cells for {len(sites)} sites")
    shapely.prepare(district)
    return shapely.intersection(polygons, district)


def catchments(
    grid: PopulationGrid,
    points: FacilityPoints,
    district: shapely.Geometry | None = None,
    *,
    nearest_result: Nearest | None = None,
) -> gpd.GeoDataFrame:
    """Return each facility's nearest-facility area clipped to the District and the people it serves.

    Parameters
    ----------
    grid
        The population grid (EPSG:32629).
    points
        The facilities (``facility_points``).
    district
        The District polygon in EPSG:32629; default the union of the grid's units.
    nearest_result
        ``nearest(grid, points)`` when already computed.

    Returns
    -------
    GeoDataFrame
        ``CATCHMENT_COLUMNS`` in EPSG:32629, one row per facility in the order
        of ``points``: ``pop_served`` (people), ``share_served`` (of the grid's
        people), ``area_km2`` and ``max_distance_m`` (the farthest populated
        cell it serves).
    """
    if district is None:
        district = grid.district
        if district is None:
            raise InvalidParameter("district", "the grid carries no unit polygons: pass the District polygon")
    n = len(points)
    if n == 0:
        return gpd.GeoDataFrame({c: [] for c in CATCHMENT_COLUMNS}, geometry=[], crs=METRIC_CRS)
    near = nearest_result if nearest_result is not None else nearest(grid, points)

    sites, site_of_point = facility_sites(points)
    polygons = _site_polygons(sites, district)

    # People per site: cells go to the site of their nearest point (ties between co-located points are irrelevant).
    cell_site = site_of_point[near.index]
    site_pop = np.bincount(cell_site, weights=grid.pop, minlength=len(sites))
    populated = grid.pop > 0
    site_max = np.zeros(len(sites))
    np.maximum.at(site_max, cell_site[populated], near.distance_m[populated])

    return catchment_frame(
        points, site_of_point, polygons, site_pop, float(grid.pop.sum()), reach=("max_distance_m", site_max)
    )


def catchment_frame(
    points: FacilityPoints,
    site_of_point: np.ndarray,
    polygons: np.ndarray,
    site_pop: np.ndarray,
    total: float,
    *,
    reach: tuple[str, np.ndarray],
) -> gpd.GeoDataFrame:
    """Return one catchment row per facility from per-site outlines, people and reach (``(column, values)``).

    Facilities sharing one site share its outline and split its people and area.
    """
    share = np.bincount(site_of_point, minlength=len(polygons))[site_of_point]
    pop_served = site_pop[site_of_point] / share
    geometry = polygons[site_of_point]
    column, values = reach
    return gpd.GeoDataFrame(
        {
            "id": points.ids,
            "kind": points.kind,
            "approximate": np.asarray(points.approximate, dtype=bool),
            "hypothetical": np.asarray(points.hypothetical, dtype=bool),
            "co_located": share.astype(np.int64),
            "pop_served": pop_served,
            "share_served": pop_served / total if total > 0 else np.nan,
            "area_km2": shapely.area(geometry) / 1e6 / share,
            column: values[site_of_point],
        },
        geometry=geometry,
        crs=METRIC_CRS,
    )
