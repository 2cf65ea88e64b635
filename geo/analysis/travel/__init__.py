"""Travel time that respects the Niger and its crossings, on the coverage population grid (EPSG:32629).

A pure library, the engine of issue 11 (river-aware walking time)::

    grid = population_grid(atlas["quartiers"], atlas["facilities"], cell_m=100)
    points = facility_points(atlas["facilities"], "cscom")
    surface = cached_travel_time(grid, points)              # minutes + fastest facility per cell
    table = travel_coverage(grid, points, surface, threshold_min=15, unit="commune")

The Niger is the boundary between the left-bank communes (I–IV) and the right-bank
ones (V–VI), impassable except at the crossings of ``data/crossings.csv``
(the Sotuba causeway in the dry season only: setting ``TRAVEL_SEASON``).
With a ``RoadLayer`` (``roads=``, e.g. the planners' imported OpenStreetMap
ways, ``geo.planning.imports.current_road_layer``) travel follows the roads:
road cells at their class's speed, off-road walking to reach them.
"""

from geo.analysis.travel.barrier import RIGHT_BANK_COMMUNES, bank_line, barrier_mask
from geo.analysis.travel.crossings import CROSSING_KINDS, SEASONS, Crossing, open_crossings, read_crossings
from geo.analysis.travel.indicators import (
    METHOD,
    TRAVEL_COVERAGE_COLUMNS,
    default_thresholds,
    travel_coverage,
    travel_coverage_table,
)
from geo.analysis.travel.planning import method_difference, suggest_sites_minutes, travel_catchments
from geo.analysis.travel.raster import Raster
from geo.analysis.travel.roads import RoadLayer
from geo.analysis.travel.speeds import ROAD_CLASSES, WALK, friction, modes, rasterise_roads, speed_table
from geo.analysis.travel.surface import (
    Network,
    TravelTime,
    build_network,
    cached_network,
    cached_travel_time,
    travel_time,
)

__all__ = [
    "CROSSING_KINDS",
    "METHOD",
    "RIGHT_BANK_COMMUNES",
    "ROAD_CLASSES",
    "SEASONS",
    "TRAVEL_COVERAGE_COLUMNS",
    "WALK",
    "Crossing",
    "Network",
    "Raster",
    "RoadLayer",
    "TravelTime",
    "bank_line",
    "barrier_mask",
    "build_network",
    "cached_network",
    "cached_travel_time",
    "default_thresholds",
    "friction",
    "method_difference",
    "modes",
    "open_crossings",
    "rasterise_roads",
    "read_crossings",
    "speed_table",
    "suggest_sites_minutes",
    "travel_catchments",
    "travel_coverage",
    "travel_coverage_table",
    "travel_time",
]
