"""What the coverage view reuses between requests, built once per store version.

The coverage view (``webmap.views.coverage``) answers a changed threshold or a
scenario without redoing what does not change. ``CoverageState`` holds, for one
store version:

- the population grid (setting ``COVERAGE_CELL_M``, 100 m by default) and the
  unit names;
- per kind group, the analysed facility points and the distance from every
  cell to the nearest one (``geo.analysis.coverage.access``), computed on first use;
- the distances of the last few scenarios (the page asks for the table, the
  distance image and the catchments of one scenario in a row);
- the pixel → cell lookup of the distance image;

It is created lazily through the catalog memo (so a rebuilt store gets a new
one) under a lock, and its own caches (``geo.cache.LRUCache``) are thread-safe;
the finished responses are cached by the web layer. Every request is
parsed and validated in full (kind, threshold, unit, scenario) before anything
is stored: a bad request raises ``InvalidParameter`` and leaves no entry behind.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer

from geo.analysis.coverage import (
    Access,
    CoverageSpec,
    PopulationGrid,
    Scenario,
    access,
    below_norm,
    catchments,
    check_threshold,
    check_unit,
    coverage,
    default_norms,
    default_specs,
    facility_points,
    rank_gaps,
    resolve_kinds,
    validate,
)
from geo.analysis.coverage import formats as cf
from geo.analysis.coverage.indicators import THRESHOLD_TOLERANCE_M
from geo.analysis.coverage.methods import PopulationMethods, population_methods, share_ranges
from geo.analysis.coverage.scenario import COMPARED
from geo.analysis.coverage.shared import shared_grid
from geo.analysis.coverage.suggest import MAX_SITES, suggest_sites
from geo.cache import LRUCache
from geo.errors import InvalidParameter
from geo.settings import Settings, resolve
from geo.spatial.district import district_outline
from geo.store import Atlas
from geo.text import whole_number
from geo.vocabulary import DISTRICT_NAME, METRIC_CRS, STORE_CRS, data_level

log = logging.getLogger(__name__)

#: Threshold (metres) of a kind without a default in ``COVERAGE_THRESHOLDS_M``.
FALLBACK_THRESHOLD_M = 2000.0
#: Default number of suggested sites.
DEFAULT_K = 3
#: Scenario distances kept (per store version).
SCENARIO_CACHE_SIZE = 16
#: Kind groups whose distances are kept (per store version).
BASE_CACHE_SIZE = 64
#: Distance image pixels per grid cell side (2: a 100 m cell is 2 × 2 pixels of about 50 m).
SURFACE_PIXELS_PER_CELL = 2
#: Name of the District in unit tables.
#: Columns compared before/after a scenario that also get a ``_change`` column.
CHANGES = ("pop_covered", "share_covered", "pop_uncovered")


def default_threshold(kind: str, specs: Sequence[CoverageSpec] | None = None) -> float:
    """Return the default threshold (metres) of a kind key: the middle one of its entry in ``specs``.

    ``specs`` default to ``default_specs()`` (setting ``COVERAGE_THRESHOLDS_M``).
    With an even number of thresholds the lower middle one (CLAEC at 1 and 2 km: 1 km).
    """
    for spec in default_specs() if specs is None else specs:
        if spec.kind == kind and spec.thresholds_m:
            return float(spec.thresholds_m[(len(spec.thresholds_m) - 1) // 2])
    return FALLBACK_THRESHOLD_M


@dataclass(frozen=True)
class CoverageQuery:
    """One validated coverage request: kind (as asked), its facility kinds, threshold, unit, scenario."""

    kind: str
    kinds: tuple[str, ...]
    threshold_m: float
    unit: str
    scenario: Scenario

    @property
    def data(self) -> str:
        """Return how completely the atlas knows these kinds (``geo.vocabulary.data_level``)."""
        return data_level(self.kinds)

    def params(self, *, unit: bool = True) -> dict[str, str]:
        """Return the canonical URL parameters of this request (scenario ids sorted)."""
        out = {"kind": self.kind, "threshold_m": f"{self.threshold_m:g}"}
        if unit:
            out["unit"] = self.unit
        out.update(scenario_key(self.scenario))
        return out

    def key(self, *parts: object) -> str:
        """Return a cache key for this request and ``parts`` (a format, k…)."""
        canonical = "|".join(f"{k}={v}" for k, v in self.params().items())
        return canonical + "|" + "|".join(map(str, parts))


def scenario_key(scenario: Scenario) -> dict[str, str]:
    """Return the scenario's URL parameters with removed ids sorted (their order does not matter)."""
    params = scenario.as_params()
    if scenario.remove:
        params["remove"] = ",".join(sorted(scenario.remove))
    return params


def joined_param(args: Mapping[str, Any], name: str, sep: str) -> str | None:
    """Return the non-empty values of URL parameter ``name`` joined by ``sep`` (None when there is none)."""
    getlist = getattr(args, "getlist", None)
    values = getlist(name) if getlist else ([args[name]] if name in args else [])
    values = [v for v in values if v is not None and str(v).strip()]
    return sep.join(values) if values else None


def parse_query(
    args: Mapping[str, Any], *, default_kind: str = "cscom", specs: Sequence[CoverageSpec] | None = None
) -> CoverageQuery:
    """Read ``kind``, ``threshold_m``, ``unit``, ``add`` and ``remove`` from URL parameters.

    A missing threshold is the kind's default in ``specs`` (``default_threshold``).

    Raises InvalidParameter naming the parameter for an unknown kind or unit, a
    threshold outside (0, 50 000] m or a malformed scenario. Whether added
    points lie in the District and removed ids exist is checked against the
    store by ``CoverageState.access``.
    """
    kind = args.get("kind") or default_kind
    kinds = resolve_kinds(kind)
    raw = args.get("threshold_m")
    threshold = check_threshold(raw if raw not in (None, "") else default_threshold(kind, specs))
    unit = check_unit(args.get("unit") or "quartier")
    scenario = Scenario.parse(joined_param(args, "add", ";"), joined_param(args, "remove", ","))
    return CoverageQuery(kind, kinds, threshold, unit, scenario)


def parse_k(value: Any) -> int:
    """Return the number of sites to suggest (``k``, default ``DEFAULT_K``) or raise InvalidParameter ``k``."""
    if value is None or value == "":
        return DEFAULT_K
    k = value if isinstance(value, int) and not isinstance(value, bool) else whole_number(str(value))
    if k is None or not 1 <= k <= MAX_SITES:
        raise InvalidParameter("k", f"expected an integer from 1 to {MAX_SITES}, got {value!r}")
    return k


@dataclass(frozen=True)
class Surface:
    """Where the distance image's pixels fall: the grid cell of each pixel (-1 outside), and the image bounds.

    Pixels are evenly spaced in Web Mercator (EPSG:3857), as Leaflet stretches an
    image overlay, and looked up in the UTM grid (nearest cell).
    """

    cell: np.ndarray  # (height, width) int64, row 0 at the north
    bounds: tuple[tuple[float, float], tuple[float, float]]  # ((south, west), (north, east)) degrees


def _surface(grid: PopulationGrid, *, pixels_per_cell: int = SURFACE_PIXELS_PER_CELL) -> Surface:
    """Return the pixel → cell lookup of the distance image of ``grid``."""
    lookup = np.full(grid.n_rows * grid.n_cols, -1, dtype=np.int64)
    rastered = np.flatnonzero(grid.col >= 0)
    lookup[grid.row[rastered] * grid.n_cols + grid.col[rastered]] = rastered
    # The raster's outline, densified, gives its extent in Web Mercator.
    t = np.linspace(0.0, 1.0, 33)
    w, h = grid.n_cols * grid.cell_m, grid.n_rows * grid.cell_m
    ex = grid.origin_x + np.concatenate([t * w, np.full_like(t, w), t * w, np.zeros_like(t)])
    ey = grid.origin_y + np.concatenate([np.zeros_like(t), t * h, np.full_like(t, h), t * h])
    to_merc = Transformer.from_crs(METRIC_CRS, "EPSG:3857", always_xy=True)
    mx, my = to_merc.transform(ex, ey)
    x0, x1, y0, y1 = float(np.min(mx)), float(np.max(mx)), float(np.min(my)), float(np.max(my))
    width = max(1, grid.n_cols * pixels_per_cell)
    pixel = (x1 - x0) / width
    height = max(1, int(round((y1 - y0) / pixel)))
    px = x0 + (np.arange(width) + 0.5) * pixel
    py = y1 - (np.arange(height) + 0.5) * (y1 - y0) / height
    gx, gy = np.meshgrid(px, py)
    ux, uy = Transformer.from_crs("EPSG:3857", METRIC_CRS, always_xy=True).transform(gx.ravel(), gy.ravel())
    col = np.floor((np.asarray(ux) - grid.origin_x) / grid.cell_m).astype(np.int64)
    row = np.floor((np.asarray(uy) - grid.origin_y) / grid.cell_m).astype(np.int64)
    inside = (col >= 0) & (col < grid.n_cols) & (row >= 0) & (row < grid.n_rows)
    cell = np.full(col.shape, -1, dtype=np.int64)
    cell[inside] = lookup[row[inside] * grid.n_cols + col[inside]]
    to_lonlat = Transformer.from_crs("EPSG:3857", STORE_CRS, always_xy=True)
    (west, east), (south, north) = to_lonlat.transform([x0, x1], [y0, y1])
    return Surface(cell.reshape(height, width), ((round(south, 6), round(west, 6)), (round(north, 6), round(east, 6))))


def named_codes(codes: pd.Series, names: Mapping[str, Any]) -> pd.Series:
    """Return the name of each code, None (a real null) where the code or its name is unknown."""
    return pd.Series([names.get(c) if isinstance(c, str) else None for c in codes], index=codes.index, dtype=object)


def _intervals(units: pd.DataFrame) -> dict[str, tuple[int | None, int | None]]:
    """Return ``{pcode: (pop_low, pop_high)}`` of a units layer (None where unknown or without the columns)."""
    if not {"pop_low", "pop_high"} <= set(units.columns):
        return {}

    def whole(value: Any) -> int | None:
        return None if pd.isna(value) else int(value)

    return {
        p: (whole(lo), whole(hi)) for p, lo, hi in zip(units["pcode"], units["pop_low"], units["pop_high"], strict=True)
    }


@dataclass
class KindBase:
    """The facilities of one kind key and their distances, without a scenario."""

    kinds: tuple[str, ...]
    access: Access


class CoverageState:
    """Everything the coverage view reuses for one store version (see the module docstring)."""

    def __init__(self, atlas: Atlas, *, settings: Settings | None = None):
        settings = resolve(settings)
        layers = atlas.layers
        self.settings = settings
        #: Default kinds and thresholds, and planning norms (settings ``COVERAGE_THRESHOLDS_M``, ``…_NORMS_PER_10K``).
        self.specs = default_specs(settings)
        self.norms = default_norms(settings)
        cell_m = float(settings["COVERAGE_CELL_M"])
        self.version = atlas.version
        self.facilities: gpd.GeoDataFrame = layers["facilities"]
        self.quartiers: gpd.GeoDataFrame = layers["quartiers"]
        self.communes: gpd.GeoDataFrame = layers["communes"]
        self.district = district_outline(layers)  # EPSG:4326
        self.grid = shared_grid(self.quartiers, self.facilities, cell_m=cell_m)
        # Each kind group's distances are computed once; different groups concurrently.
        self._bases: LRUCache[KindBase] = LRUCache(BASE_CACHE_SIZE, None, single_flight="key")
        self._scenarios: LRUCache[Access] = LRUCache(SCENARIO_CACHE_SIZE, None, single_flight="key")
        communes = dict(zip(self.communes["pcode"], self.communes["name"], strict=True))
        q = self.quartiers
        self.names = {
            "quartier": dict(zip(q["pcode"], q["name"], strict=True)),
            "commune": communes,
            "district": {self.grid.district_pcode: DISTRICT_NAME},
        }
        self.commune_of = dict(zip(q["pcode"], q["commune_pcode"], strict=True))
        names = self.facilities["name"].astype(object).where(self.facilities["name"].notna(), None)
        self.facility_names = dict(zip(self.facilities["id"], names, strict=True))
        #: Population interval of each unit (quartier estimate interval, commune projection range; None unknown).
        self.intervals = {
            "quartier": _intervals(self.quartiers),
            "commune": _intervals(self.communes),
            "district": {},
        }
        log.info("coverage state for build %s: %d cells of %g m", self.version, len(self.grid), self.grid.cell_m)

    @cached_property
    def methods(self) -> PopulationMethods:
        """Return the people per cell under every population method compared (``geo.analysis.coverage.methods``)."""
        return population_methods(self.grid, self.communes)

    # ----------------------------------------------------------- distances
    def base(self, kinds: tuple[str, ...]) -> KindBase:
        """Return the facilities of ``kinds`` (resolved) and their distances, computed once."""
        return self._bases.get(
            kinds, lambda: KindBase(kinds, access(self.grid, facility_points(self.facilities, kinds)))
        )

    def access(self, query: CoverageQuery) -> Access:
        """Return the distances of ``query``'s kinds with its scenario applied (validated against the store).

        Raises InvalidParameter ``add`` for a point outside the District and
        ``remove`` for an id that is not an analysed facility of the kinds.
        """
        base = self.base(query.kinds)
        if query.scenario.is_empty:
            return base.access
        key = (query.kinds, tuple(sorted(scenario_key(query.scenario).items())))
        return self._scenarios.get(
            key, lambda: access(self.grid, validate(query.scenario, self.grid, self.facilities, query.kinds))
        )

    # --------------------------------------------------------------- tables
    def parse(self, args: Mapping[str, Any], *, default_kind: str = "cscom") -> CoverageQuery:
        """Return ``parse_query(args)`` with this state's default thresholds."""
        return parse_query(args, default_kind=default_kind, specs=self.specs)

    def table(self, query: CoverageQuery, *, unit: str | None = None) -> pd.DataFrame:
        """Return the coverage indicators of every unit, after the scenario, ranked by uncovered people.

        Columns: ``rank`` (1 = most people uncovered among units with facility
        data; None for units without), ``pcode``, ``name``, ``commune_pcode``,
        ``commune_name``, then ``geo.analysis.coverage.COVERAGE_COLUMNS``; with a
        scenario also ``<indicator>_before`` for each compared indicator and
        ``pop_covered_change``, ``share_covered_change``, ``pop_uncovered_change``;
        after ``pop``, ``pop_low`` and ``pop_high`` (the unit's population interval: the
        quartier estimate's, the range of the commune projections; null for the District,
        whose total is fixed); after ``share_covered``, ``share_covered_low``,
        ``share_covered_high`` and ``share_covered_<method>`` for every population method
        compared (``geo.analysis.coverage.methods``); when the kind has a planning norm
        (``norms``) also ``norm_per_10k``, ``below_norm`` and ``facilities_missing``
        (``geo.analysis.coverage.below_norm``).
        """
        level = unit or query.unit
        after_access = self.access(query)
        after = coverage(self.grid, after_access.points, threshold_m=query.threshold_m, unit=level, kind=query.kind,
                         access_result=after_access, settings=self.settings)  # fmt: skip
        if not query.scenario.is_empty:
            base = self.base(query.kinds).access
            before = coverage(self.grid, base.points, threshold_m=query.threshold_m, unit=level, kind=query.kind,
                              access_result=base, settings=self.settings)  # fmt: skip
            for column in COMPARED:
                after[f"{column}_before"] = before[column].to_numpy()
            for column in CHANGES:
                after[f"{column}_change"] = after[column] - after[f"{column}_before"]
        ranges = share_ranges(self.grid, after_access, self.methods, threshold_m=query.threshold_m, unit=level)
        at = after.columns.get_loc("share_covered") + 1
        for offset, column in enumerate(["share_covered_low", "share_covered_high", *ranges.columns[1:-2]]):
            after.insert(at + offset, column, ranges[column].to_numpy())
        return self.finish_table(after, query, level)

    def finish_table(self, after: pd.DataFrame, query: CoverageQuery, level: str) -> pd.DataFrame:
        """Return an indicator table with population intervals, unit names, planning norms and gap ranks."""
        interval = self.intervals[level]
        at = after.columns.get_loc("pop") + 1
        for offset, column in enumerate(("pop_low", "pop_high")):
            values = [interval.get(p, (None, None))[offset] for p in after["pcode"]]
            after.insert(at + offset, column, pd.array(values, dtype="Int64"))
        names = self.names[level]
        after.insert(2, "name", named_codes(after["pcode"], names))
        if level == "quartier":
            communes = after["pcode"].map(self.commune_of)
            after.insert(3, "commune_pcode", communes)
            after.insert(4, "commune_name", named_codes(communes, self.names["commune"]))
        if query.kind in self.norms:
            after = below_norm(after, per_10k_norm=self.norms[query.kind])
        return rank_gaps(after, include_no_data=True)

    def suggest(self, query: CoverageQuery, k: int) -> pd.DataFrame:
        """Return the ``k`` best new sites for ``query`` (with its scenario applied), with unit names."""
        acc = self.access(query)
        sites = suggest_sites(self.grid, acc.points, threshold_m=query.threshold_m, k=k, nearest_result=acc.nearest)
        return self.name_sites(sites)

    def name_sites(self, sites: pd.DataFrame) -> pd.DataFrame:
        """Return suggested ``sites`` with their quartier and commune names."""
        sites.insert(6, "quartier_name", named_codes(sites["quartier_pcode"], self.names["quartier"]))
        sites["commune_name"] = named_codes(sites["commune_pcode"], self.names["commune"])
        return sites

    def catchments(self, query: CoverageQuery) -> gpd.GeoDataFrame:
        """Return the catchments of ``query``'s facilities (scenario applied) in EPSG:32629, with names."""
        acc = self.access(query)
        district_m = gpd.GeoSeries([self.district], crs=STORE_CRS).to_crs(METRIC_CRS).iloc[0]
        areas = catchments(self.grid, acc.points, district=district_m, nearest_result=acc.nearest)
        areas.insert(1, "name", named_codes(areas["id"], self.facility_names))
        return areas

    def scenario_info(self, query: CoverageQuery) -> dict:
        """Return ``query``'s scenario as JSON: added points with their quartier, removed ids with their names."""
        x, y = query.scenario.metric_xy()
        units = self.grid.locate(x, y) if len(x) else np.empty(0, dtype=np.int64)
        pcodes = [str(self.grid.quartier_pcodes[u]) if u >= 0 else None for u in units]
        located = [(p, self.names["quartier"].get(p)) for p in pcodes]
        return cf.scenario_json(query.scenario.add, located, query.scenario.remove, self.facility_names)

    @cached_property
    def surface(self) -> Surface:
        """Return the pixel → cell lookup of the distance image (built on first use)."""
        return _surface(self.grid)

    def surface_bands(self, query: CoverageQuery, bands: tuple[float, ...]) -> np.ndarray:
        """Return the distance image as band indices (uint8): 0 within the threshold or outside the District.

        Band ``i`` (1…) holds cells farther than ``bands[i - 1] × threshold_m``
        (inclusive upper bounds, with the same tolerance as ``coverage``).
        """
        values, threshold, tolerance = self.surface_values(query)
        cell = self.surface.cell
        limits = np.asarray(bands, dtype=float) * threshold + tolerance
        values = np.where(cell >= 0, values[np.maximum(cell, 0)], 0.0)
        return np.searchsorted(limits, values, side="left").astype(np.uint8)

    def surface_values(self, query: CoverageQuery) -> tuple[np.ndarray, float, float]:
        """Return what the distance image shows per cell (metres), the threshold and its tolerance."""
        return self.access(query).nearest.distance_m, query.threshold_m, THRESHOLD_TOLERANCE_M

    @cached_property
    def unit_geometry(self) -> dict[str, gpd.GeoSeries]:
        """Return the unit polygons (EPSG:4326) of each level, indexed by P-code."""
        district = gpd.GeoSeries([self.district], index=[self.grid.district_pcode], crs=STORE_CRS)
        return {
            "quartier": self.quartiers.set_index("pcode").geometry,
            "commune": self.communes.set_index("pcode").geometry,
            "district": district,
        }


def coverage_state(snapshot, settings: Settings | None = None) -> CoverageState:
    """Return the coverage state of ``snapshot.atlas``, built once per version through ``snapshot.memo``.

    ``snapshot`` has ``atlas`` and ``memo(key, compute)`` (the web request's snapshot); ``settings`` are
    the resolved settings (default: declared defaults and the environment).
    """
    settings = resolve(settings)
    cell_m = float(settings["COVERAGE_CELL_M"])
    return snapshot.memo(f"coverage:state:{cell_m:g}", lambda: CoverageState(snapshot.atlas, settings=settings))
