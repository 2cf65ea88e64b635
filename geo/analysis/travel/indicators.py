"""Coverage in minutes: the share of inhabitants within a travel time of a facility, per unit.

Built from a ``TravelTime`` surface with the unit levels and weighted median of
``geo.analysis.coverage.indicators``, so quartier, commune and District figures
aggregate exactly as the straight-line ones do. Columns (``TRAVEL_COVERAGE_COLUMNS``):
``unit``, ``pcode``, ``kind``, ``method`` (``travel_time``), ``mode``, ``season``,
``threshold_min``, ``pop``, ``pop_covered``, ``share_covered``, ``pop_uncovered``,
``mean_min``, ``median_min`` (population-weighted, over the people who can
reach a facility), ``facilities``, ``per_10k``, ``has_facility_data``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis.coverage.access import FacilityPoints, access, data_complete, facility_points
from geo.analysis.coverage.grid import PopulationGrid
from geo.analysis.coverage.indicators import LEVELS, PER_INHABITANTS, UNIT_LEVELS, _divide, _weighted_median, check_unit
from geo.analysis.travel.speeds import WALK
from geo.analysis.travel.surface import TravelTime, cached_travel_time
from geo.errors import InvalidParameter
from geo.settings import ENV_PREFIX, Settings, resolve

#: Largest accepted threshold (minutes).
MAX_THRESHOLD_MIN = 600.0
#: Method label of the travel-time figures (the straight-line ones are ``straight_line``).
METHOD = "travel_time"
TRAVEL_COVERAGE_COLUMNS = (
    "unit",
    "pcode",
    "kind",
    "method",
    "mode",
    "season",
    "threshold_min",
    "pop",
    "pop_covered",
    "share_covered",
    "pop_uncovered",
    "mean_min",
    "median_min",
    "facilities",
    "per_10k",
    "has_facility_data",
)


def check_minutes(value: Any, *, parameter: str = "minutes") -> float:
    """Return ``value`` as minutes or raise InvalidParameter unless 0 < value ≤ ``MAX_THRESHOLD_MIN``."""
    try:
        minutes = float(value)
    except (TypeError, ValueError):
        raise InvalidParameter(parameter, f"expected a number of minutes, got {value!r}") from None
    if not 0 < minutes <= MAX_THRESHOLD_MIN:
        raise InvalidParameter(parameter, f"must be > 0 and <= {MAX_THRESHOLD_MIN:.0f} minutes, got {value}")
    return minutes


def default_thresholds(settings: Settings | None = None) -> tuple[float, ...]:
    """Return the thresholds (minutes) of the setting ``TRAVEL_THRESHOLDS_MIN``, sorted and unique."""
    text = str(resolve(settings)["TRAVEL_THRESHOLDS_MIN"])
    parameter = ENV_PREFIX + "TRAVEL_THRESHOLDS_MIN"
    values = [v.strip() for v in text.split(",") if v.strip()]
    if not values:
        raise InvalidParameter(parameter, "no threshold")
    return tuple(sorted({check_minutes(v, parameter=parameter) for v in values}))


def travel_coverage(
    grid: PopulationGrid,
    points: FacilityPoints,
    surface: TravelTime,
    *,
    threshold_min: float,
    unit: str = "quartier",
    kind: str | None = None,
) -> pd.DataFrame:
    """Return the travel-time coverage of ``points`` within ``threshold_min`` minutes, one row per unit.

    ``surface`` is ``travel_time`` (or ``cached_travel_time``) of the same grid and points.
    """
    threshold = check_minutes(threshold_min, parameter="threshold_min")
    level = check_unit(unit)
    if len(surface.minutes) != len(grid):
        raise InvalidParameter("surface", "the travel-time surface was computed on another grid")
    group, codes, point_group = LEVELS[level](grid, access(grid, points))
    n = len(codes)
    minutes = surface.minutes
    pop = np.bincount(group, weights=grid.pop, minlength=n)
    reach = np.isfinite(minutes)
    pop_reach = np.bincount(group[reach], weights=grid.pop[reach], minlength=n)
    mean = _divide(np.bincount(group[reach], weights=grid.pop[reach] * minutes[reach], minlength=n), pop_reach)
    median = _weighted_median(group[reach], minutes[reach], grid.pop[reach], n)
    covered = np.bincount(group, weights=grid.pop * (minutes <= threshold), minlength=n)
    facilities = np.bincount(point_group[point_group >= 0], minlength=n).astype(np.int64)
    complete = data_complete(points.kinds) if points.kinds else True
    return pd.DataFrame(
        {
            "unit": level,
            "pcode": codes.astype(object),
            "kind": kind if kind is not None else "+".join(points.kinds),
            "method": METHOD,
            "mode": surface.mode,
            "season": surface.season,
            "threshold_min": threshold,
            "pop": pop,
            "pop_covered": covered,
            "share_covered": _divide(covered, pop),
            "pop_uncovered": np.clip(pop - covered, 0.0, None),
            "mean_min": mean,
            "median_min": median,
            "facilities": facilities,
            "per_10k": _divide(facilities * float(PER_INHABITANTS), pop),
            "has_facility_data": np.full(n, True) if complete else facilities > 0,
        },
        columns=list(TRAVEL_COVERAGE_COLUMNS),
    )


def travel_coverage_table(
    grid: PopulationGrid,
    facilities: gpd.GeoDataFrame,
    kinds: Iterable[str],
    *,
    mode: str = WALK,
    season: str | None = None,
    thresholds_min: Iterable[float] | None = None,
    units: Iterable[str] = UNIT_LEVELS,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Return the travel-time coverage of every kind × threshold × unit level in one long table.

    Thresholds default to the setting ``TRAVEL_THRESHOLDS_MIN``; surfaces come
    from the cache (computed once per grid, mode, season and kind).
    """
    settings = resolve(settings)
    thresholds = default_thresholds(settings) if thresholds_min is None else tuple(thresholds_min)
    frames = []
    for kind in kinds:
        points = facility_points(facilities, kind)
        surface = cached_travel_time(grid, points, mode=mode, season=season, settings=settings)
        for level in units:
            for threshold in thresholds:
                frames.append(travel_coverage(grid, points, surface, threshold_min=threshold, unit=level, kind=kind))
    if not frames:
        return pd.DataFrame(columns=list(TRAVEL_COVERAGE_COLUMNS))
    return pd.concat(frames, ignore_index=True)
