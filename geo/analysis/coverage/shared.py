"""Population grids and their distance caches shared by the map's coverage indicators and the coverage view.

One grid per input (units, facilities, cell size — fingerprinted), kept in the one bounded LRU cache
(``geo.cache``), so the map (``geo.analysis.map_indicators``) and the coverage service build it once.
"""

from __future__ import annotations

import hashlib

import geopandas as gpd
import shapely

from geo.analysis.coverage.grid import population_grid
from geo.cache import LRUCache
from geo.errors import InvalidParameter

#: Population grids kept (one per set of units, facilities and cell size).
_GRID_CACHE_SIZE = 2
#: Kind groups whose distances are kept per grid.
_DISTANCE_CACHE_SIZE = 64
_grid_cache: LRUCache[tuple[object, LRUCache]] = LRUCache(_GRID_CACHE_SIZE, None, single_flight="key")


def _fingerprint(units: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, cell_m: float) -> str:
    """Return a digest of what a population grid and its distances depend on."""
    digest = hashlib.sha256(f"{cell_m}|{units.crs}|{facilities.crs}".encode())
    for column in ("pcode", "commune_pcode", "pop_estimate", "pop_method"):
        if column in units.columns:
            digest.update("\x1f".join(map(str, units[column].tolist())).encode())
    digest.update(b"".join(shapely.to_wkb(units.geometry.to_numpy())))
    for column in ("id", "kind", "in_analysis", "location_precision", "quartier_pcode", "commune_pcode"):
        if column in facilities.columns:
            digest.update("\x1f".join(map(str, facilities[column].tolist())).encode())
    geoms = facilities.geometry.to_numpy()
    digest.update(b"".join(w for w in shapely.to_wkb(geoms) if w is not None))
    return digest.hexdigest()


def grid_and_distances(units: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, cell_m: float):
    """Return the population grid of ``units`` and its per-kinds distance cache, built once per input."""
    if not isinstance(units, gpd.GeoDataFrame) or not isinstance(facilities, gpd.GeoDataFrame):
        raise InvalidParameter(
            "units", "coverage indicators need the unit polygons and facility points (GeoDataFrames)"
        )
    key = _fingerprint(units, facilities, cell_m)

    def build():
        frame = units if "commune_pcode" in units.columns else units.assign(commune_pcode=units["pcode"])
        distances = LRUCache(_DISTANCE_CACHE_SIZE, None, single_flight="key")
        return population_grid(frame, facilities, cell_m=cell_m), distances

    return _grid_cache.get(key, build)


def shared_grid(quartiers: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, *, cell_m: float):
    """Return the population grid of ``quartiers`` (cells of ``cell_m`` metres, EPSG:32629), built once per input.

    The map's coverage indicators and the coverage view share it (one grid per store version).
    """
    return grid_and_distances(quartiers, facilities, cell_m)[0]
