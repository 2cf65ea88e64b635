"""Coverage analysis: who lives how far from a CSCOM, a CLAEC, a sports ground.

A pure library (no web code). Build the population grid once per store
version, then ask for distances, indicators, catchments and scenarios::

    grid = population_grid(atlas["quartiers"], atlas["facilities"], cell_m=100)
    table = coverage_table(grid, atlas["facilities"])          # every default kind × threshold × unit
    points = facility_points(atlas["facilities"], "cscom")
    quartiers = coverage(grid, points, threshold_m=2000, unit="quartier")
    areas = catchments(grid, points)
    change = compare(grid, atlas["facilities"], "cscom", Scenario.parse("-7.95,12.62"), threshold_m=2000,
                     unit="quartier")

Every distance is a straight line in EPSG:32629 (metres); walking times follow
the settings ``COVERAGE_WALK_SPEED_KMH`` and ``COVERAGE_DETOUR``.
"""

from geo.analysis.coverage.access import (
    Access,
    FacilityPoints,
    Nearest,
    access,
    data_complete,
    facility_points,
    frame_points,
    minutes_to_metres,
    nearest,
    resolve_kinds,
    to_metric,
    walk_minutes,
)
from geo.analysis.coverage.catchments import CATCHMENT_COLUMNS, catchments
from geo.analysis.coverage.grid import CELL_M, CELL_WEIGHTS, PopulationGrid, population_grid
from geo.analysis.coverage.indicators import (
    COVERAGE_COLUMNS,
    GAP_COLUMNS,
    MAX_THRESHOLD_M,
    UNIT_LEVELS,
    CoverageSpec,
    below_norm,
    check_threshold,
    check_unit,
    coverage,
    coverage_table,
    default_norms,
    default_specs,
    parse_norms,
    parse_specs,
    rank_gaps,
)
from geo.analysis.coverage.scenario import MAX_ADD, MAX_REMOVE, Scenario, compare, validate
from geo.analysis.coverage.suggest import MAX_SITES, SUGGESTION_COLUMNS, suggest_sites

__all__ = [
    "MAX_SITES",
    "SUGGESTION_COLUMNS",
    "suggest_sites",
    "CATCHMENT_COLUMNS",
    "CELL_M",
    "CELL_WEIGHTS",
    "COVERAGE_COLUMNS",
    "GAP_COLUMNS",
    "MAX_ADD",
    "MAX_REMOVE",
    "MAX_THRESHOLD_M",
    "UNIT_LEVELS",
    "Access",
    "CoverageSpec",
    "FacilityPoints",
    "Nearest",
    "PopulationGrid",
    "Scenario",
    "access",
    "below_norm",
    "catchments",
    "check_threshold",
    "check_unit",
    "compare",
    "coverage",
    "coverage_table",
    "data_complete",
    "default_norms",
    "default_specs",
    "facility_points",
    "frame_points",
    "minutes_to_metres",
    "nearest",
    "parse_norms",
    "parse_specs",
    "population_grid",
    "rank_gaps",
    "resolve_kinds",
    "to_metric",
    "validate",
    "walk_minutes",
]
