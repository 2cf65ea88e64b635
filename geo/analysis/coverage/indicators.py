"""Coverage indicators per quartier, commune and District, and planning gaps.

For a set of facility points and a distance threshold (metres, straight line
in EPSG:32629), each unit gets:

``pop``
    people (from the population grid);
``pop_covered``, ``share_covered``, ``pop_uncovered``
    people whose cell centre lies within ``threshold_m`` of a facility, their
    share of ``pop`` and the rest;
``mean_distance_m``, ``median_distance_m``, ``median_walk_min``
    population-weighted distance to the nearest facility and the walking time
    of the median (``walk_minutes``); NaN when there is no facility at all;
``facilities``, ``per_10k``
    facilities located in the unit (store P-codes: a facility placed only to
    its commune counts in the commune and the District, not in a quartier) and
    per 10 000 people;
``pop_depending_on_approximate``, ``share_depending_on_approximate``
    covered people who would not be covered by the exactly placed facilities
    alone (their cover rests on a position known only to the quartier or
    commune), and their share of ``pop_covered``;
``pop_depending_on_unsurveyed``, ``share_depending_on_unsurveyed``
    covered people who would not be covered by the facilities placed by a GPS
    survey alone (``location_precision`` other than ``gps_survey``: a typed
    sheet coordinate, a quartier or commune centre…), and their share of
    ``pop_covered``;
``has_facility_data``
    False where the kind's data is a knowingly partial list (``Kind.data``
    "partial") and the unit holds none of its facilities: there, "not covered"
    means "no data", not "no facility".

Everything is vectorised over cells with ``numpy.bincount``: no loop over units.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis.coverage.access import (
    Access,
    FacilityPoints,
    access,
    data_complete,
    facility_points,
    resolve_kinds,
    walk_minutes,
)
from geo.analysis.coverage.grid import PopulationGrid
from geo.errors import InvalidParameter
from geo.settings import ENV_PREFIX, Settings, resolve

log = logging.getLogger(__name__)

#: Unit levels of the indicators.
UNIT_LEVELS = ("quartier", "commune", "district")
#: Largest accepted threshold (metres): the District spans about 25 km.
MAX_THRESHOLD_M = 50_000.0
#: Inhabitants per which facility ratios are given.
PER_INHABITANTS = 10_000
#: A cell exactly at the threshold is covered; this slack (metres) absorbs the
#: nanometre noise of the lon/lat ↔ UTM round trip of stored points.
THRESHOLD_TOLERANCE_M = 1e-3

#: Columns of ``coverage``, in order.
COVERAGE_COLUMNS = (
    "unit",
    "pcode",
    "kind",
    "threshold_m",
    "pop",
    "pop_covered",
    "share_covered",
    "pop_uncovered",
    "mean_distance_m",
    "median_distance_m",
    "median_walk_min",
    "facilities",
    "per_10k",
    "pop_depending_on_approximate",
    "share_depending_on_approximate",
    "pop_depending_on_unsurveyed",
    "share_depending_on_unsurveyed",
    "has_facility_data",
)


@dataclass(frozen=True)
class CoverageSpec:
    """One kind (a group or kind key) and its distance thresholds (metres)."""

    kind: str
    thresholds_m: tuple[float, ...]


def parse_specs(text: str, *, parameter: str = ENV_PREFIX + "COVERAGE_THRESHOLDS_M") -> tuple[CoverageSpec, ...]:
    """Parse ``"cscom=1000,2000,5000;claec=1000,2000"`` into coverage specs.

    Raises InvalidParameter ``parameter`` for a malformed entry, an unknown kind
    or a threshold out of range.
    """
    specs = []
    for entry in (e.strip() for e in str(text).split(";")):
        if not entry:
            continue
        key, sep, values = entry.partition("=")
        if not sep or not key.strip() or not values.strip():
            raise InvalidParameter(parameter, f"expected kind=metres,metres…; got {entry!r}")
        try:
            resolve_kinds(key.strip())
            thresholds = tuple(check_threshold(v, parameter=parameter) for v in values.split(","))
        except InvalidParameter as exc:
            raise InvalidParameter(parameter, f"{entry!r}: {exc.message}") from None
        specs.append(CoverageSpec(key.strip(), tuple(sorted(set(thresholds)))))
    if not specs:
        raise InvalidParameter(parameter, "no kind=thresholds entry")
    return tuple(specs)


def parse_norms(text: str, *, parameter: str = ENV_PREFIX + "COVERAGE_NORMS_PER_10K") -> dict[str, float]:
    """Parse ``"cscom=1"`` into ``{kind: facilities per 10 000 inhabitants}``."""
    norms = {}
    for entry in (e.strip() for e in str(text).split(";")):
        if not entry:
            continue
        key, sep, value = entry.partition("=")
        try:
            if not sep:
                raise ValueError
            resolve_kinds(key.strip())
            norms[key.strip()] = check_norm(value)
        except (ValueError, InvalidParameter):
            raise InvalidParameter(parameter, f"expected kind=facilities per 10 000; got {entry!r}") from None
    return norms


def default_specs(settings: Settings | Mapping[str, Any] | None = None) -> tuple[CoverageSpec, ...]:
    """Return the default kinds and thresholds: setting ``COVERAGE_THRESHOLDS_M`` of ``settings``.

    5 km is the radius of Mali's health-map accessibility indicator, the share
    of people living within 5 km of a health centre offering the minimum
    package of activities (PRODESS; 46 % nationally at the end of 2003, cited by
    Audibert & de Roodenbeke, "Utilisation des services de santé de premier
    niveau au Mali", World Bank 2005). 1 and 2 km are walking-scale steps for a
    dense city.
    """
    return parse_specs(resolve(settings)["COVERAGE_THRESHOLDS_M"])


def default_norms(settings: Settings | Mapping[str, Any] | None = None) -> dict[str, float]:
    """Return the planning norms (facilities per 10 000 inhabitants): setting ``COVERAGE_NORMS_PER_10K``.

    The declared default, one CSCOM per 10 000 inhabitants, is illustrative:
    Mali's first-level health areas were planned around a CSCOM for a
    population of the order of 5 000–10 000 (rural aires de santé); Bamako's
    urban areas are far larger, so most quartiers fall below it. Set the norm
    of the plan you work with.
    """
    return parse_norms(resolve(settings)["COVERAGE_NORMS_PER_10K"])


def check_threshold(threshold_m: Any, *, parameter: str = "threshold_m") -> float:
    """Return ``threshold_m`` as a float or raise InvalidParameter unless 0 < value ≤ 50 000 m."""
    try:
        value = float(threshold_m)
    except (TypeError, ValueError):
        raise InvalidParameter(parameter, f"expected a distance in metres, got {threshold_m!r}") from None
    if not 0 < value <= MAX_THRESHOLD_M:
        raise InvalidParameter(parameter, f"must be > 0 and <= {MAX_THRESHOLD_M:.0f} m, got {threshold_m}")
    return value


def check_norm(value: Any, *, parameter: str = "per_10k_norm") -> float:
    """Return a facilities-per-10 000 norm as a float or raise InvalidParameter unless it is > 0."""
    try:
        norm = float(value)
    except (TypeError, ValueError):
        raise InvalidParameter(parameter, f"expected facilities per 10 000 inhabitants, got {value!r}") from None
    if not 0 < norm < 1e6:
        raise InvalidParameter(parameter, f"must be > 0, got {value}")
    return norm


def check_unit(unit: Any) -> str:
    """Return ``unit`` if it is a level of ``UNIT_LEVELS``, else raise InvalidParameter ``unit``."""
    if unit not in UNIT_LEVELS:
        raise InvalidParameter("unit", f"unknown unit {unit!r}; allowed: {', '.join(UNIT_LEVELS)}")
    return unit


def _quartier_level(grid: PopulationGrid, acc: Access) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return grid.unit, grid.quartier_pcodes, acc.point_unit


def _commune_level(grid: PopulationGrid, acc: Access) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return grid.commune, grid.commune_pcodes, acc.point_commune


def _district_level(grid: PopulationGrid, acc: Access) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    one = np.zeros(len(grid), dtype=np.int64)
    return one, np.array([grid.district_pcode]), np.zeros(len(acc.points), dtype=np.int64)


#: Unit levels: (grid, access) → (group of each cell, group P-codes, group of each facility, -1 where unknown).
LEVELS = {"quartier": _quartier_level, "commune": _commune_level, "district": _district_level}


def _weighted_median(
    group: np.ndarray, value: np.ndarray, weight: np.ndarray, n_groups: int, *, by_value: np.ndarray | None = None
) -> np.ndarray:
    """Return, per group, the smallest value at which the cumulated weight reaches half the group's weight.

    ``by_value`` is ``argsort(value)`` when already known (shared by every unit level).
    """
    out = np.full(n_groups, np.nan)
    if len(group) == 0:
        return out
    by_value = np.argsort(value, kind="stable") if by_value is None else by_value
    # A stable sort on the small integer group keys keeps the value order inside each group.
    order = by_value[np.argsort(group[by_value], kind="stable")]
    g, v, cum = group[order], value[order], np.cumsum(weight[order])
    ids = np.arange(n_groups)
    first = np.searchsorted(g, ids, side="left")
    last = np.searchsorted(g, ids, side="right") - 1
    present = last >= first
    first_p, last_p = first[present], last[present]
    before = np.where(first_p > 0, cum[np.maximum(first_p - 1, 0)], 0.0)
    total = cum[last_p] - before
    idx = np.clip(np.searchsorted(cum, before + 0.5 * total, side="left"), first_p, last_p)
    out[ids[present]] = np.where(total > 0, v[idx], np.nan)
    return out


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


@dataclass(frozen=True, eq=False)
class _LevelStats:
    """Threshold-independent indicators of one unit level."""

    group: np.ndarray
    codes: np.ndarray
    pop: np.ndarray
    mean_m: np.ndarray
    median_m: np.ndarray
    facilities: np.ndarray


def _level_stats(grid: PopulationGrid, acc: Access, unit: str) -> _LevelStats:
    group, codes, point_group = LEVELS[unit](grid, acc)
    n = len(codes)
    pop = np.bincount(group, weights=grid.pop, minlength=n)
    distance = acc.nearest.distance_m
    if np.isfinite(distance).all():
        mean_m = _divide(np.bincount(group, weights=grid.pop * distance, minlength=n), pop)
        median_m = _weighted_median(group, distance, grid.pop, n, by_value=acc.by_distance)
    else:  # no facility at all: distances are undefined
        mean_m = median_m = np.full(n, np.nan)
    placed = point_group[point_group >= 0]
    facilities = np.bincount(placed, minlength=n).astype(np.int64)
    return _LevelStats(group, codes, pop, mean_m, median_m, facilities)


def _frame(
    grid: PopulationGrid,
    acc: Access,
    stats: _LevelStats,
    *,
    unit: str,
    threshold_m: float,
    kind: str,
    settings: Settings | None = None,
) -> pd.DataFrame:
    n = len(stats.codes)
    reach = threshold_m + THRESHOLD_TOLERANCE_M
    covered_cells = acc.nearest.distance_m <= reach
    depends = covered_cells & (acc.exact_distance_m > reach)
    pop_covered = np.bincount(stats.group, weights=grid.pop * covered_cells, minlength=n)
    pop_depending = np.bincount(stats.group, weights=grid.pop * depends, minlength=n)
    gps_m = acc.surveyed_distance_m if acc.surveyed_distance_m is not None else np.full(len(grid), np.inf)
    pop_unsurveyed = np.bincount(stats.group, weights=grid.pop * (covered_cells & (gps_m > reach)), minlength=n)
    complete = data_complete(acc.points.kinds) if acc.points.kinds else True
    return pd.DataFrame(
        {
            "unit": unit,
            "pcode": stats.codes.astype(object),
            "kind": kind,
            "threshold_m": float(threshold_m),
            "pop": stats.pop,
            "pop_covered": pop_covered,
            "share_covered": _divide(pop_covered, stats.pop),
            "pop_uncovered": np.clip(stats.pop - pop_covered, 0.0, None),
            "mean_distance_m": stats.mean_m,
            "median_distance_m": stats.median_m,
            "median_walk_min": walk_minutes(stats.median_m, settings=settings),
            "facilities": stats.facilities,
            "per_10k": _divide(stats.facilities * float(PER_INHABITANTS), stats.pop),
            "pop_depending_on_approximate": pop_depending,
            "share_depending_on_approximate": _divide(pop_depending, pop_covered),
            "pop_depending_on_unsurveyed": pop_unsurveyed,
            "share_depending_on_unsurveyed": _divide(pop_unsurveyed, pop_covered),
            "has_facility_data": np.full(n, True) if complete else stats.facilities > 0,
        },
        columns=list(COVERAGE_COLUMNS),
    )


def coverage(
    grid: PopulationGrid,
    points: FacilityPoints,
    *,
    threshold_m: float,
    unit: str = "quartier",
    kind: str | None = None,
    access_result: Access | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Return the coverage indicators of ``points`` at ``threshold_m`` metres, one row per unit.

    Parameters
    ----------
    grid
        The population grid (EPSG:32629).
    points
        Facilities (``facility_points``), hypothetical ones included.
    threshold_m
        Straight-line distance (metres), 0 < threshold ≤ ``MAX_THRESHOLD_M``.
    unit
        "quartier", "commune" or "district".
    kind
        Label of the ``kind`` column (default: the points' kinds joined by "+").
    access_result
        ``access(grid, points)`` when already computed (reused across calls).
    settings
        Walking speed and detour of ``median_walk_min`` (default: resolved from the environment).

    Returns
    -------
    DataFrame
        ``COVERAGE_COLUMNS``, units in P-code order (see the module docstring).
    """
    threshold = check_threshold(threshold_m)
    level = check_unit(unit)
    acc = access_result if access_result is not None else access(grid, points)
    label = kind if kind is not None else "+".join(points.kinds)
    stats = _level_stats(grid, acc, level)
    return _frame(grid, acc, stats, unit=level, threshold_m=threshold, kind=label, settings=settings)


def coverage_table(
    grid: PopulationGrid,
    facilities: gpd.GeoDataFrame,
    *,
    specs: Iterable[CoverageSpec] | None = None,
    units: Iterable[str] = UNIT_LEVELS,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Return the coverage indicators of every spec × threshold × unit level in one long table.

    ``specs`` default to ``default_specs(settings)``. Distances are computed
    once per kind; the threshold-independent statistics once per kind and unit level.
    """
    settings = resolve(settings)
    specs = default_specs(settings) if specs is None else specs
    levels = [check_unit(u) for u in units]
    frames = []
    for spec in specs:
        points = facility_points(facilities, spec.kind)
        acc = access(grid, points)
        for level in levels:
            stats = _level_stats(grid, acc, level)
            for threshold in spec.thresholds_m:
                threshold_m = check_threshold(threshold)
                frames.append(
                    _frame(grid, acc, stats, unit=level, threshold_m=threshold_m, kind=spec.kind, settings=settings)
                )
    if not frames:
        return pd.DataFrame(columns=list(COVERAGE_COLUMNS))
    return pd.concat(frames, ignore_index=True)


#: Columns ``rank_gaps`` may rank by (largest first).
GAP_COLUMNS = ("pop_uncovered", "share_uncovered", "median_distance_m", "mean_distance_m")


def rank_gaps(cov_df: pd.DataFrame, *, by: str = "pop_uncovered", include_no_data: bool = False) -> pd.DataFrame:
    """Return the units of a ``coverage`` table ranked by their gap, largest first, with a first ``rank`` column.

    ``by`` is one of ``GAP_COLUMNS`` (``share_uncovered`` = 1 − ``share_covered``);
    ties go by P-code. Units without facility data (``has_facility_data``
    false) have an unknown gap, not a large one: they are left out, or with
    ``include_no_data`` listed after the ranked units with ``rank`` None.
    """
    if by not in GAP_COLUMNS:
        raise InvalidParameter("by", f"unknown ranking {by!r}; allowed: {', '.join(GAP_COLUMNS)}")
    known = (
        cov_df["has_facility_data"].to_numpy(dtype=bool)
        if "has_facility_data" in cov_df
        else np.ones(len(cov_df), bool)
    )
    gap = 1.0 - cov_df["share_covered"] if by == "share_uncovered" else cov_df[by]
    order = cov_df.assign(_unknown=~known, _gap=gap.to_numpy())
    if not include_no_data:
        order = order[known]
    order = order.sort_values(["_unknown", "_gap", "pcode"], ascending=[True, False, True], na_position="last",
                              kind="stable").drop(columns=["_unknown", "_gap"]).reset_index(drop=True)  # fmt: skip
    n_known = int(known.sum())
    order.insert(0, "rank", [i + 1 if i < n_known else None for i in range(len(order))])
    return order


def below_norm(cov_df: pd.DataFrame, *, per_10k_norm: float | Mapping[str, float]) -> pd.DataFrame:
    """Return a ``coverage`` table with ``norm_per_10k``, ``below_norm`` and ``facilities_missing``.

    ``per_10k_norm`` is facilities per 10 000 inhabitants, one number or a
    ``{kind: norm}`` mapping (kinds without a norm get NaN and are never
    below it). ``facilities_missing`` is how many more facilities would bring
    the unit to the norm (0 when it meets it). Units without people are never
    below a norm.
    """
    out = cov_df.copy()
    if isinstance(per_10k_norm, Mapping):
        norms = {k: check_norm(v) for k, v in per_10k_norm.items()}
        out["norm_per_10k"] = out["kind"].map(norms).astype(float)
    else:
        out["norm_per_10k"] = check_norm(per_10k_norm)
    has_people = out["pop"] > 0
    needed = np.ceil(out["norm_per_10k"] * out["pop"] / PER_INHABITANTS - 1e-9)
    out["below_norm"] = (has_people & (out["per_10k"] < out["norm_per_10k"])).to_numpy(dtype=bool)
    out["facilities_missing"] = np.where(out["below_norm"], np.maximum(needed - out["facilities"], 0), 0).astype(int)
    return out
