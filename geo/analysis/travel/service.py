"""The coverage service in minutes: ``mode``, ``minutes`` and ``season`` on top of the straight-line service.

``geo.analysis.coverage.service`` answers in straight-line metres; this module
extends it (travel sits above coverage). ``MinutesQuery`` adds the travel part
of a request (``parse_travel``: none when ``mode``, ``minutes`` and ``season``
are all absent, so straight lines stay the default); ``MinutesCoverageState``
answers a request with one in minutes, tables, scenarios, suggestions,
catchments and the distance image, from one travel-time surface per kind,
mode, season and scenario (``TravelBase``), kept per store version.

Why straight lines stay the default: the travel-time figures rest on the
river barrier drawn from the COD-AB boundary and on crossings placed, for two
of them, by quartier names (``data/crossings.csv``); without a road layer they
equal the straight-line walking time away from the river, so the default
changes nothing but the URL contract the pages and exports already rely on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.analysis.coverage.access import Access, FacilityPoints, walk_minutes
from geo.analysis.coverage.grid import PopulationGrid
from geo.analysis.coverage.methods import PopulationMethods, covered_share_ranges
from geo.analysis.coverage.scenario import Scenario
from geo.analysis.coverage.service import (
    BASE_CACHE_SIZE,
    CHANGES,
    CoverageQuery,
    CoverageState,
    default_threshold,
    joined_param,
    named_codes,
    scenario_key,
)
from geo.analysis.travel.crossings import check_season, default_season
from geo.analysis.travel.indicators import METHOD, check_minutes, default_thresholds, travel_coverage
from geo.analysis.travel.planning import TOLERANCE_S, method_difference, suggest_sites_minutes, travel_catchments
from geo.analysis.travel.roads import RoadLayer
from geo.analysis.travel.speeds import WALK, check_mode, modes, speed_table, walking
from geo.analysis.travel.surface import Network, TravelTime, cached_network, travel_time
from geo.cache import LRUCache
from geo.errors import InvalidParameter
from geo.settings import Settings, resolve

#: Method label of the straight-line figures (the travel-time ones are ``geo.analysis.travel.METHOD``).
STRAIGHT_LINE = "straight_line"
#: Indicators compared before/after a scenario in minutes (each gets a ``_before`` column).
COMPARED_MINUTES = ("pop_covered", "share_covered", "pop_uncovered", "mean_min", "median_min", "facilities", "per_10k")


@dataclass(frozen=True)
class Travel:
    """The travel-time part of a request: mode, season and threshold (minutes)."""

    mode: str
    season: str
    minutes: float

    def params(self) -> dict[str, str]:
        """Return the canonical URL parameters."""
        return {"mode": self.mode, "season": self.season, "minutes": f"{self.minutes:g}"}


@dataclass(frozen=True, eq=False)
class TravelBase:
    """One kind group's facilities (scenario applied) with their straight-line access and travel time."""

    points: FacilityPoints
    access: Access
    network: Network
    surface: TravelTime


def default_minutes(settings: Settings) -> float:
    """Return the default threshold in minutes: the (lower) middle one of ``TRAVEL_THRESHOLDS_MIN`` (15 of 10–60)."""
    thresholds = default_thresholds(settings)
    return thresholds[(len(thresholds) - 1) // 2]


def parse_travel(args: Mapping[str, Any], settings: Settings, *, has_roads: bool = False) -> Travel | None:
    """Read ``mode``, ``minutes`` and ``season``; None (straight line) when none is given.

    ``minutes`` or ``season`` alone mean walking. ``minutes`` must be within
    (0, 600]; it defaults to ``default_minutes``. Raises InvalidParameter naming
    the parameter, also ``threshold_m`` when it is given together with ``mode``
    (metres are the straight-line threshold).
    """

    def given(name: str) -> str | None:
        value = args.get(name)
        return None if value is None or str(value).strip() == "" else str(value).strip()

    mode, minutes, season = given("mode"), given("minutes"), given("season")
    if mode is None and minutes is None and season is None:
        return None
    if given("threshold_m") is not None:
        raise InvalidParameter("threshold_m", "a straight-line distance; with mode, minutes or season give minutes")
    mode = check_mode(mode or WALK, has_roads=has_roads)
    season = check_season(season) if season is not None else default_season(settings)
    threshold = check_minutes(minutes) if minutes is not None else default_minutes(settings)
    return Travel(mode, season, threshold)


def method_info(travel: Travel | None, settings: Settings, roads: RoadLayer | None = None) -> dict[str, Any]:
    """Return how the figures were produced: ``name`` (``straight_line`` or ``travel_time``), mode, season, speeds.

    In minutes, ``roads`` is the road layer followed (its version and number of ways), None without one.
    """
    speed_kmh, detour = walking(settings)
    if travel is None:
        return {"name": STRAIGHT_LINE, "mode": None, "season": None,
                "speeds": {"walk_kmh": speed_kmh, "detour": detour}}  # fmt: skip
    speeds: dict[str, Any] = {"walk_kmh": speed_kmh, "offroad_detour": detour}
    if travel.mode != WALK:
        speeds["road_kmh"] = speed_table().get(travel.mode, {})
    layer = None if roads is None else {"version": roads.version, "ways": len(roads)}
    return {"name": METHOD, "mode": travel.mode, "season": travel.season, "speeds": speeds, "roads": layer}


def covered_cells(surface: TravelTime, minutes: float) -> np.ndarray:
    """Return which cells are within ``minutes`` of a facility (inclusive, exactly as ``travel_coverage``)."""
    return surface.minutes <= minutes


def minutes_table(
    grid: PopulationGrid, base: TravelBase, methods: PopulationMethods, *, minutes: float, unit: str, kind: str
) -> pd.DataFrame:
    """Return ``travel_coverage`` of ``base`` with the share ranges across population methods after ``share_covered``.

    Columns: ``geo.analysis.travel.TRAVEL_COVERAGE_COLUMNS`` with ``share_covered_low``,
    ``share_covered_high`` and ``share_covered_<method>`` inserted after ``share_covered``.
    """
    table = travel_coverage(grid, base.points, base.surface, threshold_min=minutes, unit=unit, kind=kind,
                            access_result=base.access)  # fmt: skip
    covered = covered_cells(base.surface, minutes)
    ranges = covered_share_ranges(grid, base.access, methods, covered, unit=unit)
    at = table.columns.get_loc("share_covered") + 1
    for offset, column in enumerate(["share_covered_low", "share_covered_high", *ranges.columns[1:-2]]):
        table.insert(at + offset, column, ranges[column].to_numpy())
    return table


@dataclass(frozen=True)
class MinutesQuery(CoverageQuery):
    """A coverage request, in minutes of travel time when ``travel`` is set (else straight-line metres)."""

    travel: Travel | None = None

    def params(self, *, unit: bool = True) -> dict[str, str]:
        """Return the canonical URL parameters: ``mode``, ``season`` and ``minutes`` instead of ``threshold_m``."""
        out = super().params(unit=unit)
        if self.travel is not None:
            del out["threshold_m"]
            out = {"kind": out.pop("kind"), **self.travel.params(), **out}
        return out

    @property
    def threshold_label(self) -> str:
        """Return the threshold for file names: ``15min`` or ``1000m``."""
        return f"{self.travel.minutes:g}min" if self.travel is not None else f"{self.threshold_m:g}m"


class MinutesCoverageState(CoverageState):
    """``CoverageState`` that also answers in minutes (see the module docstring).

    With ``roads`` (the planners' imported road layer) travel time follows the
    roads and the motorised modes are accepted; without, only walking.
    """

    def __init__(self, atlas, *, settings: Settings | None = None, roads: RoadLayer | None = None):
        super().__init__(atlas, settings=settings)
        self.roads = roads
        self._travel: LRUCache[TravelBase] = LRUCache(BASE_CACHE_SIZE, None, single_flight="key")

    @property
    def modes(self) -> tuple[str, ...]:
        """Return the travel modes this state answers: walking, and the motorised ones with a road layer."""
        return modes() if self.roads is not None else (WALK,)

    def parse(self, args: Mapping[str, Any], *, default_kind: str = "cscom") -> MinutesQuery:
        """Return the request of ``args``: ``parse_query`` and ``parse_travel`` (400s name the parameter)."""
        travel = parse_travel(args, self.settings, has_roads=self.roads is not None)
        if travel is not None:  # the straight-line threshold is not read: the kind default stands in
            args = {k: args.get(k) for k in ("kind", "unit")} | {"add": joined_param(args, "add", ";"),
                                                                   "remove": joined_param(args, "remove", ",")}  # fmt: skip
        query = super().parse(args, default_kind=default_kind)
        return MinutesQuery(**vars(query), travel=travel)

    # ------------------------------------------------------------- surfaces
    def travel_base(self, query: MinutesQuery) -> TravelBase:
        """Return the facilities of ``query`` (scenario applied), their access and travel time, computed once."""
        travel = query.travel
        if travel is None:
            raise InvalidParameter("mode", "this answer needs a travel mode")
        scenario = tuple(sorted(scenario_key(query.scenario).items()))
        key = (query.kinds, travel.mode, travel.season, scenario)

        def compute() -> TravelBase:
            acc = self.access(query)  # validates the scenario against the store
            network = cached_network(self.grid, mode=travel.mode, season=travel.season, roads=self.roads,
                                     settings=self.settings)  # fmt: skip
            return TravelBase(acc.points, acc, network, travel_time(network, self.grid, acc.points))

        return self._travel.get(key, compute)

    def before(self, query: MinutesQuery) -> TravelBase:
        """Return ``travel_base`` of ``query`` without its scenario."""
        return self.travel_base(dataclasses.replace(query, scenario=Scenario()))

    # --------------------------------------------------------------- answers
    def table(self, query: CoverageQuery, *, unit: str | None = None) -> pd.DataFrame:
        """Return ``CoverageState.table``, or its counterpart in minutes (``travel_coverage`` columns)."""
        travel = getattr(query, "travel", None)
        if travel is None:
            return super().table(query, unit=unit)
        level = unit or query.unit
        after = minutes_table(self.grid, self.travel_base(query), self.methods, minutes=travel.minutes, unit=level,
                              kind=query.kind)  # fmt: skip
        if not query.scenario.is_empty:
            before = minutes_table(self.grid, self.before(query), self.methods, minutes=travel.minutes, unit=level,
                                   kind=query.kind)  # fmt: skip
            for column in COMPARED_MINUTES:
                after[f"{column}_before"] = before[column].to_numpy()
            for column in CHANGES:
                after[f"{column}_change"] = after[column] - after[f"{column}_before"]
        return self.finish_table(after, query, level)

    def suggest(self, query: CoverageQuery, k: int) -> pd.DataFrame:
        """Return ``CoverageState.suggest``, or the sites reaching the most uncovered people within the minutes."""
        travel = getattr(query, "travel", None)
        if travel is None:
            return super().suggest(query, k)
        base = self.travel_base(query)
        sites = suggest_sites_minutes(self.grid, base.network, base.surface, threshold_min=travel.minutes, k=k)
        return self.name_sites(sites)

    def catchments(self, query: CoverageQuery) -> gpd.GeoDataFrame:
        """Return ``CoverageState.catchments``, or each facility's cells where it is the fastest to reach."""
        if getattr(query, "travel", None) is None:
            return super().catchments(query)
        base = self.travel_base(query)
        areas = travel_catchments(self.grid, base.points, base.surface)
        areas.insert(1, "name", named_codes(areas["id"], self.facility_names))
        return areas

    def surface_values(self, query: CoverageQuery) -> tuple[np.ndarray, float, float]:
        """Return the travel time of every cell (minutes), the threshold and its tolerance, or the distances."""
        travel = getattr(query, "travel", None)
        if travel is None:
            return super().surface_values(query)
        return self.travel_base(query).surface.minutes, travel.minutes, TOLERANCE_S / 60.0

    def method(self, query: CoverageQuery) -> dict[str, Any]:
        """Return which method produced ``query``'s figures (``method_info``)."""
        return method_info(getattr(query, "travel", None), self.settings, self.roads)

    def difference(self, query: MinutesQuery, *, unit: str = "commune") -> pd.DataFrame:
        """Return ``method_difference`` of ``query``'s kinds at their default straight-line threshold.

        The travel-time threshold is the walking time of that distance (``walk_minutes``),
        so the difference is the river and the network alone. The scenario applies to both.
        """
        travel = query.travel or parse_travel({"mode": WALK}, self.settings)
        threshold_m = default_threshold(query.kind, self.specs)
        minutes = float(walk_minutes(threshold_m, settings=self.settings))
        at = dataclasses.replace(query, travel=dataclasses.replace(travel, minutes=minutes))
        base = self.travel_base(at)
        table = method_difference(self.grid, base.access, base.surface, threshold_m=threshold_m,
                                  threshold_min=minutes, unit=unit, kind=query.kind)  # fmt: skip
        table.insert(2, "name", named_codes(table["pcode"], self.names[table["unit"].iloc[0]] if len(table) else {}))
        return table


def minutes_coverage_state(
    snapshot, settings: Settings | None = None, *, roads: RoadLayer | None = None
) -> MinutesCoverageState:
    """Return the coverage state (straight line and minutes) of ``snapshot.atlas`` and ``roads``, once per version.

    Kept per store version and road layer version (``roads``: the current road layer, None without one).
    """
    settings = resolve(settings)
    cell_m = float(settings["COVERAGE_CELL_M"])
    version = roads.version if roads is not None else "-"
    return snapshot.memo(f"coverage:state:minutes:{cell_m:g}:{version}",
                         lambda: MinutesCoverageState(snapshot.atlas, settings=settings, roads=roads))  # fmt: skip
