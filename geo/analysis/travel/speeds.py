"""Travel modes and their speeds per surface class, AccessMod-style, and the friction raster they give.

Surface classes: ``offroad`` (every passable cell) and the road classes of
``ROAD_CLASSES`` when a road raster is given. Walking goes at the setting
``COVERAGE_WALK_SPEED_KMH`` on every surface; off-road it is divided by
``COVERAGE_DETOUR``, the circuity of the unmapped paths between two cells, so
that without a road layer and without the river the travel time equals the
straight-line walking time of ``geo.analysis.coverage.walk_minutes`` (up to the
8-connected raster metric, at most 8 % longer). Motorised modes go at their
speed of ``data/travel_speeds.csv`` on the road classes it lists and walk
everywhere else (to reach the nearest road). Friction is in seconds per metre.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo.analysis.travel.raster import Raster
from geo.errors import DataError, InvalidParameter
from geo.settings import Settings, data_dir, resolve
from geo.vocabulary import METRIC_CRS

#: Mode that needs no road layer.
WALK = "walk"
#: Road classes, most important first (a cell on two roads takes the first); 0 in a road raster is no road.
ROAD_CLASSES = ("trunk", "primary", "secondary", "tertiary", "unclassified", "residential", "service", "track", "path")
#: OpenStreetMap ``highway=*`` values → road class (values not listed are not roads for travel).
HIGHWAY_CLASS = {
    "motorway": "trunk",
    "motorway_link": "trunk",
    "trunk": "trunk",
    "trunk_link": "trunk",
    "primary": "primary",
    "primary_link": "primary",
    "secondary": "secondary",
    "secondary_link": "secondary",
    "tertiary": "tertiary",
    "tertiary_link": "tertiary",
    "unclassified": "unclassified",
    "road": "unclassified",
    "residential": "residential",
    "living_street": "residential",
    "service": "service",
    "track": "track",
    "path": "path",
    "footway": "path",
    "pedestrian": "path",
    "steps": "path",
    "cycleway": "path",
    "bridleway": "path",
}


@cache
def _table(path: Path) -> dict[str, dict[str, float]]:
    speeds: dict[str, dict[str, float]] = {}
    try:
        with path.open(newline="", encoding="utf-8") as f:
            for i, row in enumerate(csv.DictReader(f), start=1):
                mode, surface = (row.get("mode") or "").strip(), (row.get("surface") or "").strip()
                if not mode or mode == WALK:
                    raise DataError(f"{path.name} row {i}: mode must be a motorised mode, got {mode!r}")
                if surface not in ROAD_CLASSES:
                    raise DataError(f"{path.name} row {i}: surface {surface!r} is not one of {', '.join(ROAD_CLASSES)}")
                try:
                    speed = float(row.get("speed_kmh") or "")
                except ValueError:
                    raise DataError(f"{path.name} row {i}: speed_kmh must be a number") from None
                if not 0 < speed <= 130:
                    raise DataError(f"{path.name} row {i}: speed_kmh must be within (0, 130], got {speed}")
                speeds.setdefault(mode, {})[surface] = speed
    except OSError as exc:
        raise DataError(f"{path}: cannot read the speeds ({exc.strerror})") from None
    return speeds


def speed_table(path: Path | str | None = None) -> dict[str, dict[str, float]]:
    """Return ``{mode: {road class: km/h}}`` of the motorised modes (default ``data/travel_speeds.csv``)."""
    return _table(Path(path) if path is not None else data_dir() / "travel_speeds.csv")


def modes(path: Path | str | None = None) -> tuple[str, ...]:
    """Return the travel modes: walking, then the motorised modes of the speed table."""
    return (WALK, *sorted(speed_table(path)))


def check_mode(mode: str, *, has_roads: bool) -> str:
    """Return ``mode`` if known and usable, else raise InvalidParameter ``mode``."""
    allowed = modes()
    if mode not in allowed:
        raise InvalidParameter("mode", f"unknown mode {mode!r}; allowed: {', '.join(allowed)}")
    if mode != WALK and not has_roads:
        raise InvalidParameter("mode", f"mode {mode!r} needs a road layer; without one only {WALK!r} is available")
    return mode


def walking(settings: Settings | None = None) -> tuple[float, float]:
    """Return the walking speed (km/h) and the off-road detour factor of ``settings``."""
    settings = resolve(settings)
    speed, detour = float(settings["COVERAGE_WALK_SPEED_KMH"]), float(settings["COVERAGE_DETOUR"])
    if not 0 < speed <= 20:
        raise InvalidParameter("speed_kmh", f"walking speed must be within (0, 20] km/h, got {speed}")
    if not 1 <= detour <= 3:
        raise InvalidParameter("detour", f"detour factor must be within [1, 3], got {detour}")
    return speed, detour


def friction(
    passable: np.ndarray, mode: str = WALK, *, roads: np.ndarray | None = None, settings: Settings | None = None
) -> np.ndarray:
    """Return the cost of crossing each cell in seconds per metre (inf where not ``passable``).

    ``roads`` is an optional road raster of the same shape: 0 off-road, ``i + 1``
    for ``ROAD_CLASSES[i]`` (``rasterise_roads``).
    """
    mode = check_mode(mode, has_roads=roads is not None)
    speed_kmh, detour = walking(settings)
    walk_s_per_m = 3.6 / speed_kmh
    cost = np.full(passable.shape, walk_s_per_m * detour)
    if roads is not None:
        if roads.shape != passable.shape:
            raise InvalidParameter("roads", f"road raster shape {roads.shape} differs from the grid's {passable.shape}")
        road_speeds = speed_table().get(mode, {})
        for i, name in enumerate(ROAD_CLASSES, start=1):
            cost[roads == i] = 3.6 / road_speeds[name] if name in road_speeds else walk_s_per_m
    cost[~passable] = np.inf
    return cost


def rasterise_roads(lines: gpd.GeoDataFrame, raster: Raster) -> np.ndarray:
    """Return the road raster of ``lines`` (a ``highway`` column, any CRS): 0 off-road, else class index + 1.

    A cell is on a road when its centre lies within half a cell of the line (at
    least one cell per row or column crossed: an 8-connected chain). Where roads
    of several classes meet, the most important class wins.
    """
    if "highway" not in lines.columns:
        raise InvalidParameter("roads", "the road layer needs a 'highway' column (OpenStreetMap highway=*)")
    if lines.crs is None:
        raise InvalidParameter("roads", "the road layer has no CRS")
    metric = lines.to_crs(METRIC_CRS)
    road_class = metric["highway"].astype(str).map(HIGHWAY_CLASS)
    out = np.zeros(raster.shape, dtype=np.int8)
    for i in range(len(ROAD_CLASSES), 0, -1):  # least important first: the more important overwrite
        geoms = metric.geometry[(road_class == ROAD_CLASSES[i - 1]).to_numpy()].to_numpy()
        if len(geoms):
            out[raster.near(shapely.union_all(geoms), raster.cell_m / 2)] = i
    return out
