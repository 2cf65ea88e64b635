"""Lay the planners' facility states over the built store's facilities.

A *state* is what the edit store keeps per facility id (a dict, JSON in
SQLite)::

    {"version": 3, "status": "active" | "retired", "reason": "...",
     "origin": "source" | "created",
     "row": {<SOURCE_FACILITY_COLUMNS>, "lon": ..., "lat": ...},
     "edited": {<field or "position">: <source value seen when the planner edited it>},
     "confirmed_outside": bool}

For a facility of the sources (``origin="source"``) only the ``edited``
fields override the rebuilt source row, so a rebuild still updates every field
no planner touched; ``row`` is the full row as of the last edit and stands in
when the id vanished from the sources. A created facility is ``row`` itself.
Positions are lon/lat in EPSG:4326.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import StoreError
from geo.schema import conform
from geo.spatial.joins import assign_units
from geo.vocabulary import FACILITY_COLUMNS, HEALTH_AREA_COLUMNS, SOURCE_FACILITY_COLUMNS, STORE_CRS

#: Columns of :func:`current`'s result, before ``geometry``.
CURRENT_COLUMNS: tuple[str, ...] = FACILITY_COLUMNS + ("version",)
#: The pseudo-field of ``edited`` that stands for the position (lon, lat).
POSITION = "position"
#: Fields whose change needs the spatial join redone.
_REJOIN_FIELDS = frozenset({POSITION, "location_precision", "commune_declared"})
_NUMERIC = frozenset({"beds", "doctors", "nurses", "pupils"})
#: Two positions closer than this (degrees, about 1 cm) are the same.
_SAME_POSITION_DEG = 1e-7


def normalize(field: str, value: Any) -> Any:
    """Return ``value`` as JSON-friendly Python: counts as int/float or None, text as str, lon/lat as float."""
    if value is None or value is pd.NA or (isinstance(value, float | np.floating) and math.isnan(value)):
        return None if field in _NUMERIC or field in ("lon", "lat") else ""
    if field in ("lon", "lat"):
        return float(value)
    if field in _NUMERIC:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return str(value) or None
        if math.isnan(number):
            return None
        return int(number) if number.is_integer() else number
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    return str(value)


def same(field: str, a: Any, b: Any) -> bool:
    """Return whether two values of ``field`` are equal once normalised (positions within about 1 cm)."""
    if field == POSITION:
        if a is None or b is None:
            return a is None and b is None
        return abs(a[0] - b[0]) <= _SAME_POSITION_DEG and abs(a[1] - b[1]) <= _SAME_POSITION_DEG
    return normalize(field, a) == normalize(field, b)


def position_of(row: Mapping[str, Any]) -> list[float] | None:
    """Return ``[lon, lat]`` of a state row, or None when it has no position."""
    if row.get("lon") is None or row.get("lat") is None:
        return None
    return [row["lon"], row["lat"]]


def base_row(base: gpd.GeoDataFrame, position: int) -> dict[str, Any]:
    """Return row ``position`` (0-based) of the base facilities as a state row."""
    record = base.iloc[position]
    row = {c: normalize(c, record.get(c)) for c in SOURCE_FACILITY_COLUMNS}
    geom = record.geometry
    empty = geom is None or geom.is_empty
    row["lon"], row["lat"] = (None, None) if empty else (float(geom.x), float(geom.y))
    return row


def field_value(row: Mapping[str, Any], field: str) -> Any:
    """Return the value of ``field`` (or the ``position`` pseudo-field) in a state row."""
    return position_of(row) if field == POSITION else row.get(field)


def _coerce(values: list[Any], dtype: Any) -> Any:
    """Return ``values`` ready to be assigned into a column of ``dtype`` (None becomes NaN / NA)."""
    if pd.api.types.is_float_dtype(dtype):
        return np.array([np.nan if v is None or v == "" else float(v) for v in values], dtype=float)
    if pd.api.types.is_bool_dtype(dtype):
        return np.array([bool(v) for v in values], dtype=bool)
    if isinstance(dtype, pd.StringDtype):
        return pd.array([pd.NA if v is None else str(v) for v in values], dtype=dtype)
    return values


def _assign(frame: pd.DataFrame, column: str, positions: list[int], values: Any) -> None:
    """Set ``frame[column]`` at row ``positions`` by replacing the whole column (much cheaper than ``.loc``)."""
    array = frame[column].array.copy()
    array[positions] = values
    frame[column] = array


def _points(rows: list[Mapping[str, Any]]) -> np.ndarray:
    lon = np.array([np.nan if r.get("lon") is None else r["lon"] for r in rows], dtype=float)
    lat = np.array([np.nan if r.get("lat") is None else r["lat"] for r in rows], dtype=float)
    points = shapely.points(lon, lat)
    missing = np.isnan(lon) | np.isnan(lat)
    points[missing] = shapely.Point()  # empty: assign_units marks it unlocated
    return points


#: Columns :func:`geo.spatial.joins.assign_units` derives.
JOIN_COLUMNS = ("commune_pcode", "quartier_pcode", "join_status", "in_analysis")
JoinKey = tuple[float | None, float | None, str, str]  # lon, lat, location_precision, commune_declared


class JoinCache:
    """Results of :func:`geo.spatial.joins.assign_units` for one quartiers layer, by the inputs they depend on.

    The join of a point depends only on its position, precision and declared
    commune, so a result is reused for as long as the same quartiers object is
    passed; a new quartiers layer empties the cache. ``assign_units`` has a
    fixed cost of several milliseconds, so :func:`current` calls it once, on
    the positions it has never joined.
    """

    def __init__(self) -> None:
        self._quartiers: gpd.GeoDataFrame | None = None
        self._results: dict[JoinKey, tuple[Any, ...]] = {}

    def lookup(self, keys: list[JoinKey], quartiers: gpd.GeoDataFrame | None) -> list[tuple[Any, ...]]:
        """Return ``JOIN_COLUMNS`` values for each key, joining the unseen ones in one call."""
        if quartiers is not self._quartiers:
            self._quartiers, self._results = quartiers, {}
        missing = list(dict.fromkeys(k for k in keys if k not in self._results))
        if missing:
            if quartiers is None:
                raise StoreError("moved or new facilities need the quartiers layer to be joined; pass quartiers=")
            probe = gpd.GeoDataFrame(
                {c: [""] * len(missing) for c in FACILITY_COLUMNS},
                geometry=_points([{"lon": k[0], "lat": k[1]} for k in missing]),
                crs=STORE_CRS,
            )
            probe["location_precision"] = [k[2] for k in missing]
            probe["commune_declared"] = [k[3] for k in missing]
            joined = assign_units(probe, quartiers)
            columns = [[None if pd.isna(v) else v for v in joined[c].tolist()] for c in JOIN_COLUMNS]
            self._results.update(zip(missing, zip(*columns, strict=True), strict=True))
        return [self._results[k] for k in keys]


def _key(lon: Any, lat: Any, precision: Any, commune_declared: Any) -> JoinKey:
    def coordinate(v: Any) -> float | None:
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)

    return (
        coordinate(lon),
        coordinate(lat),
        normalize("location_precision", precision),
        normalize("commune_declared", commune_declared),
    )


def current(
    base: gpd.GeoDataFrame,
    states: Mapping[str, Mapping[str, Any]],
    quartiers: gpd.GeoDataFrame | None,
    *,
    joins: JoinCache | None = None,
) -> gpd.GeoDataFrame:
    """Return ``base`` with the planners' states applied, retired facilities removed.

    Edited fields of source facilities replace the base values, moved points and
    new facilities are joined again to ``quartiers`` (EPSG:4326) with
    :func:`geo.spatial.joins.assign_units` (through ``joins``, a cache kept by the
    caller), created facilities (and source facilities whose id vanished from
    ``base``) are appended in the order they were first saved. The result has
    exactly ``FACILITY_COLUMNS + ("version", "geometry")`` in EPSG:4326;
    never-edited facilities have version 1.
    """
    joins = JoinCache() if joins is None else joins
    out = base.reset_index(drop=True).copy()
    out["version"] = np.ones(len(out), dtype="int64")
    position_of_id = dict(zip(out["id"].tolist(), range(len(out)), strict=True))
    by_field: dict[str, tuple[list[int], list[Any]]] = {}
    versions: tuple[list[int], list[int]] = ([], [])
    retired: list[int] = []
    rejoin: set[int] = set()
    extra: list[Mapping[str, Any]] = []
    extra_versions: list[int] = []
    for fid, state in states.items():
        at = position_of_id.get(fid) if state["origin"] == "source" else None
        if at is None:
            if state["status"] == "active":
                extra.append(state["row"])
                extra_versions.append(state["version"])
            continue
        if state["status"] != "active":
            retired.append(at)
            continue
        versions[0].append(at)
        versions[1].append(state["version"])
        for field in state["edited"]:
            targets, values = by_field.setdefault(field, ([], []))
            targets.append(at)
            values.append(position_of(state["row"]) if field == POSITION else state["row"].get(field))
            if field in _REJOIN_FIELDS:
                rejoin.add(at)

    for field, (targets, values) in by_field.items():
        if field == POSITION:
            _assign(out, "geometry", targets, _points([{"lon": v[0], "lat": v[1]} if v else {} for v in values]))
        else:
            _assign(out, field, targets, _coerce(values, out[field].dtype))
    if versions[0]:
        _assign(out, "version", versions[0], np.array(versions[1], dtype="int64"))

    rows = sorted(rejoin)
    geoms = out.geometry.values[rows]
    empty = shapely.is_empty(geoms) | shapely.is_missing(geoms)
    xs, ys = np.where(empty, np.nan, shapely.get_x(geoms)), np.where(empty, np.nan, shapely.get_y(geoms))
    keys = [
        _key(x, y, p, c)
        for x, y, p, c in zip(
            xs, ys, out["location_precision"].values[rows], out["commune_declared"].values[rows], strict=True
        )
    ]
    keys += [_key(r.get("lon"), r.get("lat"), r.get("location_precision"), r.get("commune_declared")) for r in extra]
    found = joins.lookup(keys, quartiers)
    if rows:
        for column, values in zip(JOIN_COLUMNS, zip(*found[: len(rows)], strict=True), strict=True):
            _assign(out, column, rows, _coerce(list(values), out[column].dtype))
    if retired:
        keep = np.ones(len(out), dtype=bool)
        keep[retired] = False
        out = out[keep]
    if extra:
        # A created facility has no SNISI health area: only the reconciliation of the sources sets one.
        table = {c: [r.get(c) for r in extra] for c in (*SOURCE_FACILITY_COLUMNS, *HEALTH_AREA_COLUMNS)}
        table.update(zip(JOIN_COLUMNS, (list(v) for v in zip(*found[len(rows) :], strict=True)), strict=True))
        table["version"] = extra_versions
        new = gpd.GeoDataFrame(
            {c: _coerce(table[c], out[c].dtype) for c in CURRENT_COLUMNS}, geometry=_points(extra), crs=STORE_CRS
        )
        out = pd.concat([out, new], ignore_index=True)
    out = out.reset_index(drop=True)[list(CURRENT_COLUMNS) + ["geometry"]]
    out = out if isinstance(out, gpd.GeoDataFrame) else gpd.GeoDataFrame(out, geometry="geometry", crs=STORE_CRS)
    if not (by_field or retired or extra):
        return out
    return conform(out, "facilities")  # edited texts left empty are nulls, counts integers, as in the store


class _Columns:
    """Read single values of ``base`` by (field, row position) without a per-row ``iloc`` (columns listed once)."""

    def __init__(self, base: gpd.GeoDataFrame):
        self._base = base
        self._lists: dict[str, list[Any]] = {}

    def value(self, field: str, at: int) -> Any:
        if field not in self._lists:
            if field == POSITION:
                geoms = self._base.geometry.values
                empty = shapely.is_empty(geoms) | shapely.is_missing(geoms)
                xs, ys = shapely.get_x(geoms).tolist(), shapely.get_y(geoms).tolist()
                self._lists[field] = [None if e else [x, y] for e, x, y in zip(empty, xs, ys, strict=True)]
            else:
                self._lists[field] = [normalize(field, v) for v in self._base[field].tolist()]
        return self._lists[field][at]


def conflicts(base: gpd.GeoDataFrame, states: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """List planner corrections the rebuilt sources now disagree with.

    One entry per (active source facility, edited field) whose value in
    ``base`` differs from the value the planner saw when editing it
    (``problem="source_changed"``: ``seen``, ``source`` now, ``planner`` kept),
    and one per active source facility whose id is no longer in ``base``
    (``problem="vanished"``, ``field=None``: the planner's row is kept).
    """
    position_of_id = dict(zip(base["id"].tolist(), range(len(base)), strict=True))
    columns = _Columns(base)
    found: list[dict[str, Any]] = []
    for fid, state in states.items():
        if state["origin"] != "source" or state["status"] != "active":
            continue
        entry = {"facility_id": fid, "name": state["row"].get("name", ""), "version": state["version"]}
        at = position_of_id.get(fid)
        if at is None:
            found.append({**entry, "problem": "vanished", "field": None, "seen": None, "source": None, "planner": None})
            continue
        for field, seen in state["edited"].items():
            source = columns.value(field, at)
            if not same(field, seen, source):
                planner = field_value(state["row"], field)
                found.append(
                    {
                        **entry,
                        "problem": "source_changed",
                        "field": field,
                        "seen": seen,
                        "source": source,
                        "planner": planner,
                    }
                )
    return found
