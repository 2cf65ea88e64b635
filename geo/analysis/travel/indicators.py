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
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis.coverage.access import Access, FacilityPoints, access, data_complete, facility_points
from geo.analysis.coverage.grid import PopulationGrid
from geo.analysis.coverage.indicators import LEVELS, PER_INHABITANTS, UNIT_LEVELS, _divide, _weighted_median, check_unit
from geo.analysis.travel.roads import RoadLayer
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


@dataclass(frozen=True, eq=False)
class _LevelTimes:
    """Threshold-independent figures of one unit level."""

    level: str
    group: np.ndarray
    codes: np.ndarray
    pop: np.ndarray
    mean_min: np.ndarray
    median_min: np.ndarray
    facilities: np.ndarray


def _level_times(
    grid: PopulationGrid, acc: Access, surface: TravelTime, level: str, by_minutes: np.ndarray | None = None
) -> _LevelTimes:
    """Return the figures of ``level``; ``by_minutes`` is the argsort of the finite minutes when known."""
    group, codes, point_group = LEVELS[level](grid, acc)
    n = len(codes)
    minutes = surface.minutes
    reach = np.isfinite(minutes)
    g, w, m = group[reach], grid.pop[reach], minutes[reach]
    pop_reach = np.bincount(g, weights=w, minlength=n)
    return _LevelTimes(
        level,
        group,
        codes,
        np.bincount(group, weights=grid.pop, minlength=n),
        _divide(np.bincount(g, weights=w * m, minlength=n), pop_reach),
        _weighted_median(g, m, w, n, by_value=by_minutes),
        np.bincount(point_group[point_group >= 0], minlength=n).astype(np.int64),
    )


def _frame(grid: PopulationGrid, stats: _LevelTimes, surface: TravelTime, *, thresholds: tuple[float, ...],
           kind: str, complete: bool, order: np.ndarray | None = None) -> pd.DataFrame:  # fmt: skip
    """Return the rows of one level for every threshold (threshold-major, units in P-code order).

    ``order`` is the argsort of ``surface.minutes`` when known (shared by the levels).
    """
    n, k = len(stats.codes), len(thresholds)
    order = np.argsort(surface.minutes, kind="stable") if order is None else order
    # people within each threshold per unit: cumulate the cells by increasing time, once for all thresholds
    ranks = np.searchsorted(surface.minutes[order], np.asarray(thresholds), side="right")
    covered = np.zeros((k, n))
    for i, rank in enumerate(ranks):
        covered[i] = np.bincount(stats.group[order[:rank]], weights=grid.pop[order[:rank]], minlength=n)
    pop, facilities = np.tile(stats.pop, k), np.tile(stats.facilities, k)
    covered = covered.ravel()
    return pd.DataFrame(
        {
            "unit": stats.level,
            "pcode": np.tile(stats.codes.astype(object), k),
            "kind": kind,
            "method": METHOD,
            "mode": surface.mode,
            "season": surface.season,
            "threshold_min": np.repeat(np.asarray(thresholds, dtype=float), n),
            "pop": pop,
            "pop_covered": covered,
            "share_covered": _divide(covered, pop),
            "pop_uncovered": np.clip(pop - covered, 0.0, None),
            "mean_min": np.tile(stats.mean_min, k),
            "median_min": np.tile(stats.median_min, k),
            "facilities": facilities,
            "per_10k": _divide(facilities * float(PER_INHABITANTS), pop),
            "has_facility_data": np.full(n * k, True) if complete else facilities > 0,
        },
        columns=list(TRAVEL_COVERAGE_COLUMNS),
    )


def _check_surface(grid: PopulationGrid, surface: TravelTime) -> None:
    if len(surface.minutes) != len(grid):
        raise InvalidParameter("surface", "the travel-time surface was computed on another grid")


def travel_coverage(
    grid: PopulationGrid,
    points: FacilityPoints,
    surface: TravelTime,
    *,
    threshold_min: float,
    unit: str = "quartier",
    kind: str | None = None,
    access_result: Access | None = None,
) -> pd.DataFrame:
    """Return the travel-time coverage of ``points`` within ``threshold_min`` minutes, one row per unit.

    ``surface`` is ``travel_time`` (or ``cached_travel_time``) of the same grid and
    points; ``access_result`` is ``access(grid, points)`` when already computed (it
    places the facilities in their units).
    """
    threshold = check_minutes(threshold_min, parameter="threshold_min")
    level = check_unit(unit)
    _check_surface(grid, surface)
    acc = access_result if access_result is not None else access(grid, points)
    stats = _level_times(grid, acc, surface, level)
    complete = data_complete(points.kinds) if points.kinds else True
    label = kind if kind is not None else "+".join(points.kinds)
    return _frame(grid, stats, surface, thresholds=(threshold,), kind=label, complete=complete)


def travel_coverage_table(
    grid: PopulationGrid,
    facilities: gpd.GeoDataFrame,
    kinds: Iterable[str],
    *,
    mode: str = WALK,
    season: str | None = None,
    thresholds_min: Iterable[float] | None = None,
    units: Iterable[str] = UNIT_LEVELS,
    roads: RoadLayer | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Return the travel-time coverage of every kind × threshold × unit level in one long table.

    Thresholds default to the setting ``TRAVEL_THRESHOLDS_MIN``; surfaces come
    from the cache (computed once per grid, mode, season, road layer version and kind);
    with ``roads`` travel follows the road layer.
    """
    settings = resolve(settings)
    thresholds = default_thresholds(settings) if thresholds_min is None else tuple(thresholds_min)
    thresholds = tuple(check_minutes(t, parameter="thresholds_min") for t in thresholds)
    levels = [check_unit(u) for u in units]
    frames = []
    for kind in kinds:
        points = facility_points(facilities, kind)
        surface = cached_travel_time(grid, points, mode=mode, season=season, roads=roads, settings=settings)
        acc = access(grid, points)
        complete = data_complete(points.kinds) if points.kinds else True
        order = np.argsort(surface.minutes, kind="stable")  # inf (unreachable) last
        n_finite = int(np.isfinite(surface.minutes).sum())
        # the finite cells in time order, as positions among the finite cells: the argsort _level_times needs
        by_minutes = np.searchsorted(np.flatnonzero(np.isfinite(surface.minutes)), order[:n_finite])
        for level in levels:
            stats = _level_times(grid, acc, surface, level, by_minutes)
            frames.append(
                _frame(grid, stats, surface, thresholds=thresholds, kind=kind, complete=complete, order=order)
            )
    if not frames:
        return pd.DataFrame(columns=list(TRAVEL_COVERAGE_COLUMNS))
    return pd.concat(frames, ignore_index=True)
