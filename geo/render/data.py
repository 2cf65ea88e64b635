"""The static map layers of one store version, projected once to UTM 29N.

``prepare`` turns the atlas layers (EPSG:4326) into matplotlib paths and point
arrays in EPSG:32629 so every render of that store version only draws.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.path import Path as MplPath
from shapely.ops import polylabel

from geo.analysis import map_indicators as indicators
from geo.errors import InvalidParameter
from geo.publication import mapdata as display
from geo.publication.viewstate import FACILITY_LAYERS
from geo.settings import Settings
from geo.spatial.district import district_outline
from geo.vocabulary import METRIC_CRS, PLACED_PRECISIONS, STORE_CRS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Choropleth:
    """One indicator per quartier with the web map's classes (geo.publication.mapdata.classify).

    ``values`` follow the quartiers' order, rounded to the indicator's display
    decimals; ``index`` is each quartier's class (-1: no value); ``bins`` the
    inclusive upper bounds of the classes.
    """

    key: str
    kind: str | None  # facility layer the indicator is computed for, if any
    values: np.ndarray
    index: np.ndarray
    bins: tuple[float, ...]
    decimals: int
    colors: tuple[str, ...] | None = None  # the indicator's own fills, one per class (else the ramp)

    @property
    def bounds(self) -> tuple[float, ...]:
        """Return the class bounds from the smallest value to the last bin (len = classes + 1)."""
        finite = self.values[np.isfinite(self.values)]
        return (float(finite.min()), *self.bins) if len(finite) else ()


def choropleth(
    quartiers: pd.DataFrame, counted: pd.DataFrame, key: str, kind: str | None, *, settings: Settings | None = None
) -> Choropleth:
    """Compute indicator ``key`` per quartier and classify it exactly as the web map does.

    ``counted`` are the located facilities that count in analyses; ``kind`` a
    facility layer key, required by indicators computed per kind of facility;
    ``settings`` those of the coverage indicators.
    """
    indicator = indicators.indicator_or_raise(key)
    kinds = FACILITY_LAYERS[kind] if indicator.needs_kinds and kind else ()
    values = indicators.compute(key, quartiers, counted, kinds=kinds, settings=settings)
    values = values.round(indicator.decimals).to_numpy(dtype=float)
    classes = display.classify(values, fixed=indicator.fixed_bins)
    return Choropleth(key, kind if kinds else None, values, classes.classes, classes.bins, indicator.decimals,
                      indicator.fixed_colors)  # fmt: skip


def polygon_paths(geoms: gpd.GeoSeries) -> list[MplPath]:
    """Return one compound matplotlib path per (multi)polygon, holes wound opposite to shells."""
    paths = []
    for geom in shapely.orient_polygons(geoms.to_numpy()):
        rings = []
        for part in shapely.get_parts(geom):
            rings.append(MplPath(np.asarray(part.exterior.coords), closed=True))
            rings.extend(MplPath(np.asarray(r.coords), closed=True) for r in part.interiors)
        paths.append(MplPath.make_compound_path(*rings) if rings else MplPath(np.empty((0, 2))))
    return paths


@dataclass
class MapData:
    """Everything the renderer draws for one store version (coordinates in EPSG:32629 metres)."""

    quartiers: pd.DataFrame  # store columns without geometry, plus label_x, label_y
    quartier_paths: list[MplPath]
    communes: pd.DataFrame  # store columns without geometry, plus label_x, label_y
    commune_paths: list[MplPath]
    district_paths: list[MplPath]
    district_bounds: tuple[float, float, float, float]
    facilities: pd.DataFrame  # store columns without geometry, plus layer, x, y (located ones only)
    qa: pd.DataFrame  # QA columns plus x, y
    pop_year: int | None
    data_date: date | None
    build_id: str
    quartier_bounds: np.ndarray = field(repr=False, default_factory=lambda: np.empty((0, 4)))
    commune_bounds: np.ndarray = field(repr=False, default_factory=lambda: np.empty((0, 4)))
    counted: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)  # located facilities in analysis
    # The web map's inputs to indicators (simplified quartier polygons, counted facilities as points), for
    # indicators that need geometry (the coverage shares): same inputs, same values as the web map.
    geo_quartiers: gpd.GeoDataFrame | None = field(repr=False, default=None)
    geo_counted: gpd.GeoDataFrame | None = field(repr=False, default=None)
    settings: Settings | None = field(repr=False, default=None)  # of the coverage indicators
    built_at: datetime | None = None  # the store's build time: the files' creation date
    _choropleths: dict = field(repr=False, default_factory=dict)
    _lock: threading.Lock = field(repr=False, default_factory=threading.Lock)

    def is_counted(self, rows: pd.DataFrame) -> np.ndarray:
        """Return which of ``rows`` (facilities, with ``id``) count in analyses (inside the District)."""
        return rows["id"].isin(self.counted["id"]).to_numpy() if "id" in self.counted else np.ones(len(rows), bool)

    def choropleth(self, key: str, kind: str | None = None) -> Choropleth:
        """Return indicator ``key`` (for facility layer ``kind`` when it needs one), computed once."""
        with self._lock:
            if (key, kind) not in self._choropleths:
                units = self.quartiers if self.geo_quartiers is None else self.geo_quartiers
                counted = self.counted if self.geo_counted is None else self.geo_counted
                self._choropleths[key, kind] = choropleth(units, counted, key, kind, settings=self.settings)
            return self._choropleths[key, kind]


def approximate(rows: pd.DataFrame) -> np.ndarray:
    """Return which facilities are placed only at their quartier's or commune's centre."""
    if "location_precision" not in rows:
        return np.zeros(len(rows), bool)
    return rows["location_precision"].isin(PLACED_PRECISIONS).to_numpy()


def _points(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return the rows with a point as a plain frame with ``x``, ``y`` in EPSG:32629 metres."""
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty].to_crs(METRIC_CRS)
    out = pd.DataFrame(frame.drop(columns="geometry"))
    out["x"], out["y"] = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
    return out.reset_index(drop=True)


def _label_points(geoms: gpd.GeoSeries, *, tolerance_m: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """Return the pole of inaccessibility of each polygon's largest part (metres, EPSG:32629).

    Not the representative point: facilities without coordinates are placed
    there (geo.spatial.joins.place_unlocated), and their marker must not sit under the name.
    """
    points = []
    for geom in geoms:
        parts = shapely.get_parts(geom)
        largest = parts[int(np.argmax(shapely.area(parts)))]
        points.append(polylabel(largest, tolerance=tolerance_m))
    return np.array([p.x for p in points]), np.array([p.y for p in points])


def _qa_with_points(qa: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the QA findings, those without a point placed at their facility's point (as the web map does)."""
    missing = (qa.geometry.isna() | qa.geometry.is_empty).to_numpy()
    if not missing.any():
        return qa
    located = facilities[~(facilities.geometry.isna() | facilities.geometry.is_empty).to_numpy()]
    points = located.drop_duplicates("id").set_index("id").geometry.to_crs(qa.crs)
    out = qa.copy()
    out.loc[missing, out.geometry.name] = qa.loc[missing, "facility_id"].map(points).to_numpy()
    return out


def prepare(
    layers: Mapping[str, gpd.GeoDataFrame], meta: Mapping[str, object], *, settings: Settings | None = None
) -> MapData:
    """Project the atlas layers to EPSG:32629 and precompute paths and label points.

    Indicator classes are computed on first use (``MapData.choropleth``, with ``settings``).
    """
    quartiers_m = layers["quartiers"].to_crs(METRIC_CRS).reset_index(drop=True)
    communes_m = layers["communes"].to_crs(METRIC_CRS).sort_values("pcode").reset_index(drop=True)
    district = gpd.GeoSeries([district_outline(layers)], crs=STORE_CRS).to_crs(METRIC_CRS).iloc[0]

    quartiers = pd.DataFrame(quartiers_m.drop(columns="geometry"))
    quartiers["label_x"], quartiers["label_y"] = _label_points(quartiers_m.geometry)
    communes = pd.DataFrame(communes_m.drop(columns="geometry"))
    communes["label_x"], communes["label_y"] = _label_points(communes_m.geometry)

    kind_layer = {kind: layer for layer, kinds in FACILITY_LAYERS.items() for kind in kinds}
    facilities = _points(layers["facilities"])
    facilities["layer"] = facilities["kind"].map(kind_layer).fillna("")
    qa = _points(_qa_with_points(layers["qa_findings"], layers["facilities"]))

    geo_quartiers = display.simplify_coverage(layers["quartiers"])  # as geo.publication.mapdata.map_payload does
    geo_quartiers = geo_quartiers.set_geometry(display.quantize(geo_quartiers.geometry), crs=STORE_CRS)
    located = layers["facilities"][~(layers["facilities"].geometry.isna() | layers["facilities"].geometry.is_empty)]

    years = pd.to_numeric(quartiers.get("pop_year"), errors="coerce").dropna()
    built_at = str(meta.get("built_at") or "")
    try:
        built = datetime.fromisoformat(built_at)
    except ValueError:
        built = None
    log.info("static map layers prepared for build %s", meta.get("build_id"))
    return MapData(
        quartiers=quartiers,
        quartier_paths=polygon_paths(quartiers_m.geometry),
        communes=communes,
        commune_paths=polygon_paths(communes_m.geometry),
        district_paths=polygon_paths(gpd.GeoSeries([district])),
        district_bounds=tuple(float(v) for v in shapely.bounds(district)),
        facilities=facilities,
        qa=qa,
        pop_year=int(years.max()) if len(years) else None,
        data_date=built.date() if built else None,
        built_at=built,
        build_id=str(meta.get("build_id", "")),
        quartier_bounds=quartiers_m.geometry.bounds.to_numpy(),
        commune_bounds=communes_m.geometry.bounds.to_numpy(),
        counted=indicators.analysed(facilities),
        geo_quartiers=geo_quartiers,
        geo_counted=indicators.analysed(located),
        settings=settings,
    )


@dataclass(frozen=True)
class Focus:
    """The unit or facility a map centres on."""

    kind: str  # commune | quartier | facility
    key: str
    name: str
    context: str  # e.g. the commune of a quartier
    bounds: tuple[float, float, float, float]
    population: tuple[int, int, int] | None = None  # estimate, low, high (a commune's or quartier's)


def _population(row: pd.Series) -> tuple[int, int, int] | None:
    values = [pd.to_numeric(row.get(c), errors="coerce") for c in ("pop_estimate", "pop_low", "pop_high")]
    if any(pd.isna(v) for v in values):
        return None
    return int(values[0]), int(values[1]), int(values[2])


#: Share of the District's area a view must show to be a map of the whole District.
WHOLE_DISTRICT_SHARE = 0.9


def communes_in_view(data: MapData, extent, *, share: float = 0.25, samples: int = 48) -> list[str]:
    """Return the names of the communes covering at least ``share`` of the District's part of ``extent``.

    Largest first; empty when the extent holds the District, or all of its area but a sliver
    (:data:`WHOLE_DISTRICT_SHARE`): a map of the District, not of a part — the estimated extent of a
    browser's District view may clip an empty corner of its box. ``extent`` is ``(xmin, ymin, xmax, ymax)`` in EPSG:32629
    metres; areas are estimated on a ``samples`` × ``samples`` grid of points.
    """
    x0, y0, x1, y1 = extent
    d = data.district_bounds
    if x0 <= d[0] and y0 <= d[1] and x1 >= d[2] and y1 >= d[3]:
        return []
    gx, gy = np.meshgrid(np.linspace(x0, x1, samples), np.linspace(y0, y1, samples))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    hits = np.array([path.contains_points(grid).sum() for path in data.commune_paths], dtype=float)
    if hits.sum() == 0:
        return []
    shown_m2 = hits.sum() * (x1 - x0) * (y1 - y0) / samples**2
    if shown_m2 >= WHOLE_DISTRICT_SHARE * float(data.communes["area_km2"].sum()) * 1e6:
        return []
    order = np.argsort(-hits, kind="stable")
    return [str(data.communes["name"].iloc[i]) for i in order if hits[i] / hits.sum() >= share]


def resolve_focus(data: MapData, focus: str | None) -> Focus | None:
    """Return the Focus for a commune or quartier P-code or a facility id, or raise InvalidParameter."""
    if not focus:
        return None
    hit = np.flatnonzero(data.communes["pcode"].to_numpy() == focus)
    if len(hit):
        row = data.communes.iloc[hit[0]]
        return Focus("commune", focus, str(row["name"]), "", tuple(data.commune_bounds[hit[0]]), _population(row))
    hit = np.flatnonzero(data.quartiers["pcode"].to_numpy() == focus)
    if len(hit):
        row = data.quartiers.iloc[hit[0]]
        bounds = tuple(data.quartier_bounds[hit[0]])
        return Focus("quartier", focus, str(row["name"]), str(row["commune_name"]), bounds, _population(row))
    hit = np.flatnonzero(data.facilities["id"].to_numpy() == focus)
    if len(hit):
        row = data.facilities.iloc[hit[0]]
        x, y = float(row["x"]), float(row["y"])
        commune = data.communes.loc[data.communes["pcode"] == row["commune_pcode"], "name"]
        return Focus("facility", focus, str(row["name"]), str(commune.iloc[0]) if len(commune) else "", (x, y, x, y))
    raise InvalidParameter(
        "focus", f"{focus!r} is neither a commune or quartier P-code (e.g. ML090101, ML090101001) nor a facility id"
    )
