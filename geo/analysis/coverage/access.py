"""Facility points and the distance from every grid cell to the nearest one.

Distances are straight lines in EPSG:32629 (metres). A walking time is derived
from them under two stated assumptions, both settings:

- walking speed ``COVERAGE_WALK_SPEED_KMH`` (default 4 km/h, 1.11 m/s).
  Field measurements put mean free walking speeds at 1.25 m/s (4.5 km/h) for
  adults under 65 and 0.97 m/s (3.5 km/h) for older pedestrians (Knoblauch,
  Pietrucha & Nitzburg 1996, "Field studies of pedestrian walking speed and
  start-up time", Transportation Research Record 1538: 27–38). 4 km/h sits
  between them and allows for heat, unpaved streets and walking with children.
- detour factor ``COVERAGE_DETOUR`` (default 1.3): the ratio of the walked
  route to the straight line. Urban street networks give about 1.2 (Newell
  1980) and 1.21–1.23 around transit stations (O'Sullivan & Morrall 1996),
  summarised in "Transportation Geography and Network Science/Circuity"
  (Wikibooks); pedestrian routes are often more circuitous (Dill 2004). 1.3
  allows for Bamako's irregular blocks. The Niger, crossed by three bridges, is
  not modelled: a straight line across the river understates the real walk.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

from geo.analysis.coverage.grid import PopulationGrid
from geo.errors import DataError, InvalidParameter
from geo.settings import Settings, resolve
from geo.spatial.joins import analysed
from geo.vocabulary import KIND_GROUPS, KINDS, METRIC_CRS, PLACED_PRECISIONS, STORE_CRS, data_level

log = logging.getLogger(__name__)

#: The ``location_precision`` of a position taken on the spot with a GPS (2021 surveys). Every other
#: class (a typed sheet coordinate, a quartier or commune centre…) counts as not surveyed, whatever its name.
SURVEYED_PRECISION = "gps_survey"
#: Id prefix of hypothetical facilities added by a scenario: ``new-1``, ``new-2``…
NEW_ID_PREFIX = "new-"


def resolve_kinds(kinds: str | Iterable[str]) -> tuple[str, ...]:
    """Return the facility kinds of a group key, a kind key or a list of either (sorted, unique).

    Raises InvalidParameter ``kind`` naming the allowed keys.
    """
    keys = [kinds] if isinstance(kinds, str) else list(kinds)
    if not keys:
        raise InvalidParameter("kind", "no facility kind given")
    out: set[str] = set()
    for key in keys:
        if not isinstance(key, str):
            raise InvalidParameter("kind", f"expected a kind key, got {key!r}")
        if key in KIND_GROUPS:
            out.update(KIND_GROUPS[key].kinds)
            continue
        if key not in KINDS:
            allowed = ", ".join(sorted(set(KIND_GROUPS) | set(KINDS)))
            raise InvalidParameter("kind", f"unknown kind {key!r}; allowed: {allowed}")
        out.add(key)
    return tuple(sorted(out))


def data_complete(kinds: Iterable[str]) -> bool:
    """Return True when every kind's data covers the whole District (``Kind.data`` not "partial")."""
    return data_level(kinds) != "partial"


@dataclass(frozen=True, eq=False)
class FacilityPoints:
    """Facilities of some kinds as points in EPSG:32629 (metres), one entry per facility.

    ``approximate`` is true for positions known only to the quartier or commune;
    ``surveyed`` for positions from a GPS survey (``location_precision``
    ``SURVEYED_PRECISION``) and for hypothetical points, which are exact by
    definition; ``hypothetical`` for points added by a scenario. ``quartier_pcode`` and
    ``commune_pcode`` are "" where unknown (hypothetical points are located
    on the grid's units when indicators are computed).
    """

    x: np.ndarray
    y: np.ndarray
    ids: np.ndarray
    approximate: np.ndarray
    kinds: tuple[str, ...] = ()
    kind: np.ndarray | None = None
    quartier_pcode: np.ndarray | None = None
    commune_pcode: np.ndarray | None = None
    hypothetical: np.ndarray | None = None
    surveyed: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.x)
        empty = np.full(n, "", dtype=object)
        for name, default in (
            ("kind", empty),
            ("quartier_pcode", empty),
            ("commune_pcode", empty),
            ("hypothetical", np.zeros(n, dtype=bool)),
            ("surveyed", np.zeros(n, dtype=bool)),
        ):
            if getattr(self, name) is None:
                object.__setattr__(self, name, default.copy())
        lengths = {len(getattr(self, f)) for f in ("x", "y", "ids", "approximate", "kind", "hypothetical")}
        if lengths != {n}:
            raise InvalidParameter("points", f"arrays of different lengths {sorted(lengths)}")

    #: The per-point arrays, in order.
    ARRAYS = ("x", "y", "ids", "approximate", "kind", "quartier_pcode", "commune_pcode", "hypothetical", "surveyed")

    def __len__(self) -> int:
        return len(self.x)

    @cached_property
    def xy(self) -> np.ndarray:
        """Return the points as an (n, 2) array (metres)."""
        return np.column_stack([self.x, self.y]) if len(self.x) else np.empty((0, 2))

    def subset(self, mask: np.ndarray) -> FacilityPoints:
        """Return the points where ``mask`` is true."""
        return FacilityPoints(
            x=self.x[mask],
            y=self.y[mask],
            ids=self.ids[mask],
            approximate=self.approximate[mask],
            kinds=self.kinds,
            kind=self.kind[mask],
            quartier_pcode=self.quartier_pcode[mask],
            commune_pcode=self.commune_pcode[mask],
            hypothetical=self.hypothetical[mask],
            surveyed=self.surveyed[mask],
        )

    @classmethod
    def from_xy(
        cls,
        x: Sequence[float],
        y: Sequence[float],
        *,
        kinds: Collection[str] = (),
        ids: Sequence[str] | None = None,
        approximate: Sequence[bool] | None = None,
    ) -> FacilityPoints:
        """Return hypothetical points at ``x``, ``y`` (metres, EPSG:32629), exact unless ``approximate`` says so."""
        x = np.asarray(x, dtype=float).ravel()
        y = np.asarray(y, dtype=float).ravel()
        ids_ = np.asarray(ids if ids is not None else [f"{NEW_ID_PREFIX}{i + 1}" for i in range(len(x))], dtype=object)
        return cls(
            x=x,
            y=y,
            ids=ids_,
            approximate=np.zeros(len(x), dtype=bool) if approximate is None else np.asarray(approximate, dtype=bool),
            kinds=tuple(kinds),
            hypothetical=np.ones(len(x), dtype=bool),
            surveyed=np.ones(len(x), dtype=bool),
        )

    def concat(self, other: FacilityPoints) -> FacilityPoints:
        """Return these points followed by ``other``'s."""
        return FacilityPoints(
            **{f: np.concatenate([getattr(self, f), getattr(other, f)]) for f in FacilityPoints.ARRAYS},
            kinds=self.kinds,
        )


def to_metric(lon: np.ndarray, lat: np.ndarray, crs: str = STORE_CRS) -> tuple[np.ndarray, np.ndarray]:
    """Return coordinates in ``crs`` (default lon/lat) as x, y in EPSG:32629 (metres)."""
    if crs == METRIC_CRS:
        return lon, lat
    transformer = Transformer.from_crs(crs, METRIC_CRS, always_xy=True)
    x, y = transformer.transform(lon, lat)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def _points_array(points: Iterable[Sequence[float]], parameter: str) -> np.ndarray:
    try:
        arr = np.asarray(list(points), dtype=float)
    except (TypeError, ValueError):
        raise InvalidParameter(parameter, "expected a list of (x, y) coordinate pairs") from None
    if arr.size == 0:
        return np.empty((0, 2))
    if arr.ndim != 2 or arr.shape[1] != 2 or not np.all(np.isfinite(arr)):
        raise InvalidParameter(parameter, "expected a list of finite (x, y) coordinate pairs")
    return arr


def facility_points(
    facilities: gpd.GeoDataFrame,
    kinds: str | Iterable[str],
    *,
    remove_ids: Iterable[str] = (),
    add_points: Iterable[Sequence[float]] = (),
    add_crs: str = STORE_CRS,
) -> FacilityPoints:
    """Return the analysed facilities of ``kinds`` as points in EPSG:32629, with a scenario applied.

    Parameters
    ----------
    facilities
        The facilities layer (points, any CRS; ``id``, ``kind``, ``in_analysis``,
        ``location_precision``, ``quartier_pcode``, ``commune_pcode``).
    kinds
        A key of ``KIND_GROUPS``, a kind key, or a list of them.
    remove_ids
        Ids of analysed facilities of ``kinds`` to leave out (InvalidParameter
        ``remove`` for any other id).
    add_points
        Hypothetical facilities as (x, y) pairs in ``add_crs`` (default lon/lat,
        EPSG:4326); they get ids ``new-1``, ``new-2``… and count as exact.
    """
    wanted = resolve_kinds(kinds)
    missing = [c for c in ("id", "kind", "location_precision") if c not in facilities.columns]
    if missing:
        raise DataError(f"facilities: missing columns {missing}")
    fac = analysed(facilities)
    fac = fac[fac["kind"].isin(wanted).to_numpy()]
    located = ~(fac.geometry.isna() | fac.geometry.is_empty).to_numpy()
    if not located.all():
        log.warning("%d analysed facilities of %s have no geometry and are left out", (~located).sum(), wanted)
        fac = fac[located]

    remove = [str(i) for i in remove_ids]
    unknown = sorted(set(remove) - set(fac["id"]))
    if unknown:
        raise InvalidParameter(
            "remove", f"no analysed facility of kind {'/'.join(wanted)} with id {', '.join(unknown)}"
        )
    fac = fac[~fac["id"].isin(remove).to_numpy()]

    if fac.crs is None:
        raise DataError("facilities: no CRS; expected the store's EPSG:4326")
    geom = fac.geometry.to_crs(METRIC_CRS)
    n = len(fac)

    def text(column: str) -> np.ndarray:
        if column not in fac.columns:
            return np.full(n, "", dtype=object)
        return fac[column].astype(object).where(fac[column].notna(), "").astype(str).to_numpy(dtype=object)

    points = FacilityPoints(
        x=geom.x.to_numpy(dtype=float),
        y=geom.y.to_numpy(dtype=float),
        ids=fac["id"].astype(str).to_numpy(dtype=object),
        approximate=fac["location_precision"].astype(str).isin(PLACED_PRECISIONS).to_numpy(),
        kinds=wanted,
        kind=fac["kind"].astype(str).to_numpy(dtype=object),
        quartier_pcode=text("quartier_pcode"),
        commune_pcode=text("commune_pcode"),
        hypothetical=np.zeros(n, dtype=bool),
        surveyed=(fac["location_precision"].astype(str) == SURVEYED_PRECISION).to_numpy(),
    )
    added = _points_array(add_points, "add")
    if len(added):
        x, y = to_metric(added[:, 0], added[:, 1], add_crs)
        points = points.concat(FacilityPoints.from_xy(x, y, kinds=wanted))
    return points


@dataclass(frozen=True, eq=False)
class Nearest:
    """Distance (metres) from each grid cell to its nearest facility and that facility's index.

    ``distance_m`` is inf and ``index`` -1 where there is no facility at all.
    """

    distance_m: np.ndarray
    index: np.ndarray


def nearest(grid: PopulationGrid, points: FacilityPoints) -> Nearest:
    """Return the straight-line distance (metres) from every cell centre to the nearest point (KD-tree)."""
    n = len(grid)
    if len(points) == 0:
        return Nearest(np.full(n, np.inf), np.full(n, -1, dtype=np.int64))
    distance, index = cKDTree(points.xy).query(grid.xy, k=1)
    return Nearest(np.asarray(distance, dtype=float), np.asarray(index, dtype=np.int64))


@dataclass(frozen=True, eq=False)
class Access:
    """Distances from every cell to the facilities, computed once and reused for every threshold and unit.

    ``exact_distance_m`` is the distance to the nearest *exactly placed*
    facility, ``surveyed_distance_m`` to the nearest one placed by a GPS survey
    (or hypothetical; inf when there is none); ``point_unit`` and ``point_commune`` index each facility's
    quartier and commune in the grid (-1 where unknown).
    """

    points: FacilityPoints
    nearest: Nearest
    exact_distance_m: np.ndarray
    point_unit: np.ndarray
    point_commune: np.ndarray
    surveyed_distance_m: np.ndarray | None = None

    @cached_property
    def by_distance(self) -> np.ndarray:
        """Return the cell indices sorted by distance to the nearest facility."""
        return np.argsort(self.nearest.distance_m, kind="stable")


def _lookup(sorted_codes: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Return the index of each of ``codes`` in ``sorted_codes``, -1 where absent."""
    codes = np.asarray(codes, dtype=str)
    if len(sorted_codes) == 0 or len(codes) == 0:
        return np.full(len(codes), -1, dtype=np.int64)
    idx = np.minimum(np.searchsorted(sorted_codes, codes), len(sorted_codes) - 1)
    return np.where(sorted_codes[idx] == codes, idx, -1).astype(np.int64)


def access(grid: PopulationGrid, points: FacilityPoints) -> Access:
    """Return the nearest-facility distances of every cell: overall, to exact and to surveyed positions only."""
    near = nearest(grid, points)
    approx = np.asarray(points.approximate, dtype=bool)
    exact = near.distance_m if not approx.any() else nearest(grid, points.subset(~approx)).distance_m
    surveyed = np.asarray(points.surveyed, dtype=bool)
    gps = near.distance_m if surveyed.all() else nearest(grid, points.subset(surveyed)).distance_m
    unit = _lookup(grid.quartier_pcodes, points.quartier_pcode)
    commune = _lookup(grid.commune_pcodes, points.commune_pcode)
    # Hypothetical points carry no P-code: locate them on the grid's units.
    unplaced = np.flatnonzero((commune < 0) & np.asarray(points.hypothetical, dtype=bool))
    if len(unplaced) and grid.unit_geometry is not None:
        located = grid.locate(points.x[unplaced], points.y[unplaced])
        unit[unplaced] = located
        commune[unplaced] = np.where(located >= 0, grid.commune_index_of_unit[np.maximum(located, 0)], -1)
    return Access(points, near, exact, unit, commune, gps)


def _walk_assumptions(speed_kmh: float | None, detour: float | None, settings: Settings | None) -> tuple[float, float]:
    if speed_kmh is None or detour is None:
        settings = resolve(settings)
    speed = float(settings["COVERAGE_WALK_SPEED_KMH"] if speed_kmh is None else speed_kmh)
    factor = float(settings["COVERAGE_DETOUR"] if detour is None else detour)
    if not 0 < speed <= 20:
        raise InvalidParameter("speed_kmh", f"walking speed must be within (0, 20] km/h, got {speed}")
    if not 1 <= factor <= 3:
        raise InvalidParameter("detour", f"detour factor must be within [1, 3], got {factor}")
    return speed, factor


def walk_minutes(
    distance_m: np.ndarray | float,
    *,
    speed_kmh: float | None = None,
    detour: float | None = None,
    settings: Settings | None = None,
) -> np.ndarray:
    """Return the estimated walking time (minutes) for straight-line distances (metres).

    ``minutes = distance_m × detour / (speed_kmh × 1000 / 60)``. Defaults: the
    settings ``COVERAGE_WALK_SPEED_KMH`` (4 km/h) and ``COVERAGE_DETOUR`` (1.3)
    of ``settings`` (default: resolved from the environment); see the module
    docstring for their sources.
    """
    speed, factor = _walk_assumptions(speed_kmh, detour, settings)
    return np.asarray(distance_m, dtype=float) * factor / (speed * 1000.0 / 60.0)


def minutes_to_metres(
    minutes: float, *, speed_kmh: float | None = None, detour: float | None = None, settings: Settings | None = None
) -> float:
    """Return the straight-line distance (metres) walked in ``minutes`` (the inverse of ``walk_minutes``)."""
    try:
        minutes = float(minutes)
    except (TypeError, ValueError):
        raise InvalidParameter("threshold_min", f"expected a number of minutes, got {minutes!r}") from None
    if not minutes > 0:
        raise InvalidParameter("threshold_min", f"must be > 0 minutes, got {minutes}")
    speed, factor = _walk_assumptions(speed_kmh, detour, settings)
    return minutes * speed * 1000.0 / 60.0 / factor


def frame_points(points: FacilityPoints) -> pd.DataFrame:
    """Return the points as a table: ``id``, ``kind``, ``x``, ``y`` (metres), flags and unit P-codes."""
    return pd.DataFrame(
        {
            "id": points.ids,
            "kind": points.kind,
            "x": points.x,
            "y": points.y,
            "approximate": points.approximate,
            "hypothetical": points.hypothetical,
            "quartier_pcode": points.quartier_pcode,
            "commune_pcode": points.commune_pcode,
        }
    )
