"""Readers of the upload formats: bytes → candidate rows (allow-listed text columns and x/y).

Each reader returns an :class:`Extract` whose frame holds a line reference
(``ref``), the columns of :data:`COLUMN_ALIASES` found in the file as text,
``x``/``y`` (EPSG:4326 whenever the file declares its CRS; as read otherwise)
and ``coord_state`` ("ok", "missing", "unparseable", "invalid"). Every other
column is ignored (and listed), so no personal field of a survey export can
slip in. Whole-file problems raise :class:`geo.errors.InvalidParameter` on
parameter ``"file"`` with a stable ``code``.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
import sqlite3
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry import shape

from geo.errors import InvalidParameter
from geo.pipeline.ingest.dms import parse_dms
from geo.planning.edits.validate import storable_text
from geo.planning.imports.osm import OSM_LICENCE, OSM_SOURCE, read_osm
from geo.text import compact_name
from geo.vocabulary import METRIC_CRS, STORE_CRS

#: Source key of rows imported from a file (OpenStreetMap rows use ``"osm"``).
IMPORT_SOURCE = "import"


#: Canonical column → accepted spellings (compared with ``compact_name``). Nothing else is read.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "nom", "facility_name", "nom_structure", "libelle"),
    "kind": ("kind", "type", "categorie", "category", "genre"),
    "lat": ("lat", "latitude", "y"),
    "lon": ("lon", "lng", "long", "longitude", "x"),
    "quartier": ("quartier", "quartier_declared", "neighbourhood", "neighborhood"),
    "commune": ("commune", "commune_declared"),
    "operator_type": ("operator_type", "statut", "operateur"),
    "beds": ("beds", "lits"),
    "doctors": ("doctors", "medecins"),
    "nurses": ("nurses", "infirmiers"),
    "pupils": ("pupils", "eleves"),
    "opening_hours": ("opening_hours", "horaires"),
    "note": ("note", "notes", "remarque", "commentaire"),
}
_ALIAS = {compact_name(a): canon for canon, aliases in COLUMN_ALIASES.items() for a in aliases}
_ATTRIBUTES = tuple(c for c in COLUMN_ALIASES if c not in ("lat", "lon"))


@dataclass
class Extract:
    """What a reader returns: candidate rows as text plus x/y, and how the file was read.

    ``frame`` has ``ref`` (line reference), any of :data:`COLUMN_ALIASES` but
    lat/lon as text, ``x``/``y`` (float, NaN when missing), ``coord_state``
    ("ok", "missing", "unparseable", "invalid") and ``coord_text`` (for messages).
    """

    frame: pd.DataFrame
    source_crs: str | None = None
    encoding: str | None = None
    licence: str | None = None
    source: str = IMPORT_SOURCE
    skip_outside: bool = False  # extracts cover more than the District: drop, don't report
    skipped: dict[str, int] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)


def file_error(code: str, message: str) -> InvalidParameter:
    """Return the InvalidParameter raised for a whole-file problem."""
    return InvalidParameter("file", message, code=code)


def _check_rows(count: int, filename: str, max_rows: int) -> None:
    if count > max_rows:
        raise file_error(
            "too_many_rows", f"{filename}: {count:,} rows, more than the {max_rows:,} accepted; split the file"
        )


# --- coordinates --------------------------------------------------------------------------------------------


def _numbers(text: pd.Series) -> pd.Series:
    """Return decimal numbers from text ("12.65", "12,65", DMS such as 12°39'N), NaN where unreadable."""
    text = text.fillna("").astype(str).str.strip()
    value = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    retry = value.isna() & (text != "")
    for idx in value.index[retry]:  # only the rare non-decimal spellings
        try:
            value[idx] = parse_dms(text[idx])
        except InvalidParameter:
            pass
    return value.astype(float)


def _coords_from_text(frame: pd.DataFrame, lon_text: pd.Series, lat_text: pd.Series) -> None:
    """Set ``x``, ``y``, ``coord_state`` and ``coord_text`` of ``frame`` from two text columns."""
    lon_text = lon_text.fillna("").astype(str).str.strip()
    lat_text = lat_text.fillna("").astype(str).str.strip()
    x, y = _numbers(lon_text), _numbers(lat_text)
    given = (lon_text != "") | (lat_text != "")
    ok = x.notna() & y.notna() & np.isfinite(x) & np.isfinite(y)
    frame["x"], frame["y"] = x.where(ok), y.where(ok)
    frame["coord_state"] = np.where(ok, "ok", np.where(given, "unparseable", "missing"))
    frame["coord_text"] = (lat_text + ", " + lon_text).where(given, "")


def _reproject(frame: pd.DataFrame, crs: CRS | None) -> None:
    """Reproject ``x``/``y`` of the readable rows from ``crs`` to EPSG:4326 (lon/lat) in place."""
    if crs is None or crs.equals(CRS.from_user_input(STORE_CRS), ignore_axis_order=True):
        return
    ok = (frame["coord_state"] == "ok").to_numpy()
    if not ok.any():
        return
    transformer = Transformer.from_crs(crs, STORE_CRS, always_xy=True)
    x, y = transformer.transform(frame.loc[ok, "x"].to_numpy(), frame.loc[ok, "y"].to_numpy())
    frame.loc[ok, "x"], frame.loc[ok, "y"] = x, y
    bad = ok & ~(np.isfinite(frame["x"]) & np.isfinite(frame["y"])).to_numpy()
    frame.loc[bad, "coord_state"] = "unparseable"


def _parse_crs(value: object, filename: str) -> CRS:
    try:
        return CRS.from_user_input(value)
    except CRSError:
        raise file_error("unknown_crs", f"{filename}: unknown coordinate reference system {value!r}") from None


def _assumed_crs(options: dict[str, Any], filename: str) -> CRS | None:
    """Return the CRS the caller says to assume when the file declares none."""
    return _parse_crs(options["crs"], filename) if options.get("crs") else None


def _canonical(columns: list[str]) -> tuple[dict[str, str], list[str]]:
    """Return ({canonical: column as written}, ignored columns): the first spelling of each wins."""
    found: dict[str, str] = {}
    ignored: list[str] = []
    for col in columns:
        canon = _ALIAS.get(compact_name(col))
        if canon is not None and canon not in found:
            found[canon] = col
        else:
            ignored.append(str(col))
    return found, ignored


def _attribute_frame(
    table: pd.DataFrame, refs: list[str] | pd.Series
) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Return the allow-listed attribute columns of ``table`` as text, with their ``ref``."""
    found, ignored = _canonical(list(table.columns))
    frame = pd.DataFrame({"ref": list(refs)}, index=table.index)
    for canon in _ATTRIBUTES:
        if canon in found:
            col = table[found[canon]]
            frame[canon] = col.where(col.notna(), "").map(_cell_text).str.strip().to_numpy()
    return frame, found, [storable_text(name) for name in ignored]


def _cell_text(value: object) -> str:
    """Return a cell as text: nested objects and lists (GeoJSON properties) as JSON, never a Python repr."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)
    return str(value)


# --- readers --------------------------------------------------------------------------------------------------

# C1 controls: text that holds them was read with the wrong single-byte encoding.
_C1 = re.compile(r"[\x80-\x9f]")


def _decode(data: bytes, filename: str) -> tuple[str, str]:
    """Return (text, encoding used): UTF-16 with BOM, UTF-8 (with or without BOM), cp1252, Latin-1.

    NUL bytes (a binary file, UTF-16 without BOM) and C1 control characters
    (no single-byte Western encoding fits) refuse the file as ``bad_encoding``.
    """
    refused = file_error(
        "bad_encoding", f"{filename}: not a text file in UTF-8, Windows-1252 or Latin-1; save the CSV as UTF-8"
    )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise file_error("bad_encoding", f"{filename}: broken UTF-16 text; save the file as UTF-8") from None
    if b"\x00" in data:
        raise refused
    for encoding, label in (("utf-8-sig", "utf-8"), ("cp1252", "cp1252"), ("latin-1", "latin-1")):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if label == "latin-1" and _C1.search(text):
            break
        if label == "utf-8" and data.startswith(codecs.BOM_UTF8):
            label = "utf-8 (BOM)"
        return text, label
    raise refused


def read_csv(data: bytes, filename: str, options: dict[str, Any]) -> Extract:
    """Read a CSV: header row, delimiter ``;``, ``,``, tab or ``|``; references are physical line numbers."""
    text, encoding = _decode(data, filename)
    if not text.strip():
        raise file_error("empty_file", f"{filename}: the file is empty")
    header_line = text.lstrip("\r\n").splitlines()[0]
    delimiter = max(";,\t|", key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    refs: list[str] = []
    try:
        header = next(reader)
        previous = reader.line_num
        for record in reader:
            if any(cell.strip() for cell in record):
                records.append(record)
                refs.append(f"line {previous + 1}")
                _check_rows(len(records), filename, options["max_rows"])
            previous = reader.line_num
    except csv.Error as exc:
        raise file_error("bad_csv", f"{filename}: line {reader.line_num}: {exc}") from None
    width = len(header)
    table = pd.DataFrame([(r + [""] * width)[:width] for r in records], columns=range(width), dtype=object)
    table.columns = [h.strip() for h in header]
    table = table.loc[:, ~table.columns.duplicated()]
    frame, found, ignored = _attribute_frame(table, refs)
    _require(found, filename, location=("lat" in found and "lon" in found) or "quartier" in found)
    _coords_from_text(
        frame,
        table[found["lon"]] if "lon" in found else pd.Series("", index=table.index),
        table[found["lat"]] if "lat" in found else pd.Series("", index=table.index),
    )
    crs = _assumed_crs(options, filename)
    _reproject(frame, crs)
    return Extract(frame.reset_index(drop=True), crs.to_string() if crs else None, encoding, ignored_columns=ignored)


def _require(found: dict[str, str], filename: str, *, location: bool) -> None:
    missing = [c for c in ("name", "kind") if c not in found]
    if not location:
        missing.append("lat/lon or quartier")
    if missing:
        raise file_error(
            "missing_columns",
            f"{filename}: missing column(s) {', '.join(missing)}; expected name, kind and lat/lon "
            "(or latitude/longitude, x/y) or a quartier",
        )


def _legacy_crs(member: object, filename: str) -> CRS | None:
    """Return the CRS named by a GeoJSON 2008 ``crs`` member, or None when absent."""
    if member is None:
        return None
    props = member.get("properties") if isinstance(member, dict) else None
    if not isinstance(props, dict):
        raise file_error("unknown_crs", f"{filename}: the 'crs' member has no properties")
    if member.get("type") == "EPSG" and "code" in props:
        return _parse_crs(f"EPSG:{props['code']}", filename)
    return _parse_crs(props.get("name"), filename)


def _feature_point(geometry: object) -> tuple[float, float, str]:
    """Return (x, y, state) of a GeoJSON geometry: points as given, other shapes at their centroid."""
    if geometry is None:
        return math.nan, math.nan, "missing"
    try:
        if geometry.get("type") == "Point":
            x, y = (float(v) for v in geometry["coordinates"][:2])
        else:
            center = shape(geometry).centroid
            x, y = center.x, center.y
    except Exception:  # any malformed geometry is this row's problem only
        return math.nan, math.nan, "unparseable"
    if not (math.isfinite(x) and math.isfinite(y)):
        return math.nan, math.nan, "unparseable"
    return x, y, "ok"


def read_geojson(data: bytes, filename: str, options: dict[str, Any]) -> Extract:
    """Read a GeoJSON FeatureCollection or Feature (RFC 7946, or a legacy ``crs`` member); references are 1-based."""
    if not data.strip():
        raise file_error("empty_file", f"{filename}: the file is empty")
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise file_error("bad_encoding", f"{filename}: GeoJSON must be UTF-8 (RFC 7946)") from None
    except json.JSONDecodeError as exc:
        raise file_error(
            "invalid_json", f"{filename}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise file_error("invalid_json", f"{filename}: JSON nested too deeply") from None
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "Feature":
        features = [doc]
    elif kind == "FeatureCollection" and isinstance(doc.get("features"), list):
        features = doc["features"]
    else:
        raise file_error("invalid_geojson", f"{filename}: expected a GeoJSON FeatureCollection or Feature")
    _check_rows(len(features), filename, options["max_rows"])
    crs = _legacy_crs(doc.get("crs"), filename) or _assumed_crs(options, filename)
    valid = [isinstance(f, dict) and f.get("type") == "Feature" for f in features]
    props = [(f.get("properties") or {}) if ok else {} for f, ok in zip(features, valid, strict=True)]
    props = [p if isinstance(p, dict) else {} for p in props]
    table = pd.DataFrame.from_records(props, index=range(len(features))) if features else pd.DataFrame()
    table = table.astype(object).where(table.notna(), None) if len(table.columns) else table
    frame, found, ignored = _attribute_frame(table, [f"feature {i + 1}" for i in range(len(features))])
    points = [
        _feature_point(f.get("geometry")) if ok else (math.nan, math.nan, "invalid")
        for f, ok in zip(features, valid, strict=True)
    ]
    frame["x"] = [p[0] for p in points]
    frame["y"] = [p[1] for p in points]
    frame["coord_state"] = [p[2] for p in points]
    frame["coord_text"] = [_geometry_text(f) for f in features]
    if len(frame) and (frame["coord_state"] == "missing").all():
        _coords_from_text(frame, _column(table, found, "lon"), _column(table, found, "lat"))
    _reproject(frame, crs)
    return Extract(frame, crs.to_string() if crs else None, "utf-8", ignored_columns=ignored)


def _column(table: pd.DataFrame, found: dict[str, str], canon: str) -> pd.Series:
    if canon not in found:
        return pd.Series("", index=table.index)
    column = table[found[canon]]
    return column.where(column.notna(), "").astype(str)


def _geometry_text(feature: object) -> str:
    geometry = feature.get("geometry") if isinstance(feature, dict) else None
    if isinstance(geometry, dict) and geometry.get("type") == "Point":
        return json.dumps(geometry.get("coordinates"))[:80]
    return str(geometry.get("type")) if isinstance(geometry, dict) else ""


_GPKG_MAGIC = b"SQLite format 3\x00"


def _unreadable(filename: str, what: str, code: str) -> InvalidParameter:
    return file_error(code, f"{filename}: not a readable {what} (truncated or corrupt file)")


def _gdal_failure(exc: Exception, filename: str, what: str, code: str) -> Exception:
    """Return the error to raise for a GDAL failure: MemoryError when GDAL ran out of memory, else unreadable."""
    text = str(exc).lower()
    if isinstance(exc, MemoryError) or "out of memory" in text or "cannot allocate" in text:
        return MemoryError(f"{filename}: GDAL ran out of memory")
    return _unreadable(filename, what, code)


#: Most seconds the SQLite checks of an uploaded GeoPackage may take (integrity, counts) before it is refused.
GPKG_CHECK_SECONDS = 10.0
#: Virtual table modules a GeoPackage may use (the spatial index); any other is refused.
_SAFE_VIRTUAL = re.compile(r"^\s*CREATE\s+VIRTUAL\s+TABLE\s+\S+\s+USING\s+rtree\s*\(", re.IGNORECASE)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def gpkg_row_counts(path: Path, filename: str, *, seconds: float | None = None) -> dict[str, int]:
    """Return {table: rows counted in the data} of every layer of a GeoPackage, refusing unsafe files.

    The file is opened read-only with SQLite before GDAL sees it. Refused with
    ``unsafe_geopackage``: SQL views (a view can run unbounded recursive SQL
    every time a layer is read) and virtual tables other than the R-tree
    spatial index. ``gpkg_ogr_contents.feature_count`` is never trusted: rows
    are counted with ``COUNT(*)``. Every statement runs under a progress
    handler that aborts after ``seconds`` (default :data:`GPKG_CHECK_SECONDS`;
    ``geopackage_too_slow``).
    """
    seconds = GPKG_CHECK_SECONDS if seconds is None else seconds
    deadline = time.monotonic() + seconds
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        conn.execute("PRAGMA trusted_schema = OFF")
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise _unreadable(filename, "GeoPackage", "unreadable_geopackage")
        schema = conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
        views = sorted(str(name) for kind, name, _sql in schema if kind == "view")
        if views:
            raise file_error(
                "unsafe_geopackage",
                f"{filename}: the GeoPackage holds SQL views ({', '.join(views[:5])}), which are not accepted; "
                "save the layer as a plain table (e.g. ogr2ogr out.gpkg in.gpkg)",
            )
        virtual = sorted(
            str(name)
            for kind, name, sql in schema
            if kind == "table"
            and str(sql or "").lstrip().upper().startswith("CREATE VIRTUAL")
            and not _SAFE_VIRTUAL.match(str(sql))
        )
        if virtual:
            raise file_error(
                "unsafe_geopackage",
                f"{filename}: the GeoPackage holds virtual tables ({', '.join(virtual[:5])}), which are not accepted",
            )
        try:
            tables = [str(r[0]) for r in conn.execute("SELECT table_name FROM gpkg_contents")]
        except sqlite3.DatabaseError:
            raise _unreadable(filename, "GeoPackage", "unreadable_geopackage") from None
        return {t: int(conn.execute(f"SELECT COUNT(*) FROM {_quoted(t)}").fetchone()[0]) for t in tables}
    except sqlite3.OperationalError as exc:
        if "interrupt" in str(exc).lower():
            raise file_error(
                "geopackage_too_slow", f"{filename}: checking the GeoPackage took more than {seconds:g} s; refused"
            ) from None
        raise _unreadable(filename, "GeoPackage", "unreadable_geopackage") from None
    except sqlite3.DatabaseError:
        raise _unreadable(filename, "GeoPackage", "unreadable_geopackage") from None
    finally:
        conn.close()


def read_gpkg(data: bytes, filename: str, options: dict[str, Any]) -> Extract:
    """Read one layer of a GeoPackage (``options["layer"]`` or the first point layer); references are feature ids.

    The file is checked with :func:`gpkg_row_counts` first (no views, rows counted
    in the data, a time budget); GDAL then reads at most ``max_rows + 1`` features.
    """
    if not data:
        raise file_error("empty_file", f"{filename}: the file is empty")
    if not data.startswith(_GPKG_MAGIC):
        raise _unreadable(filename, "GeoPackage", "unreadable_geopackage")
    max_rows = options["max_rows"]
    with tempfile.TemporaryDirectory(prefix="atlas-import-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's notes on foreign files: refused below anyway
        path = Path(tmp) / "upload.gpkg"
        path.write_bytes(data)
        counts = gpkg_row_counts(path, filename)
        try:
            layers = [(str(n), str(t)) for n, t in pyogrio.list_layers(path)]
            layer = _choose_layer(layers, options.get("layer"), filename)
            _check_rows(counts.get(layer, 0), filename, max_rows)
            table = pyogrio.read_dataframe(path, layer=layer, fid_as_index=True, max_features=max_rows + 1)
            _check_rows(len(table), filename, max_rows)
            if table.crs is None and options.get("crs") and "geometry" in table:
                table = table.set_crs(_assumed_crs(options, filename))
        except InvalidParameter:
            raise
        except Exception as exc:  # GDAL errors are not typed usefully
            raise _gdal_failure(exc, filename, "GeoPackage", "unreadable_geopackage") from None
    refs = [f"feature {fid}" for fid in table.index]
    columns = table.drop(columns="geometry") if "geometry" in table else table
    frame, found, ignored = _attribute_frame(columns, refs)
    frame = frame.reset_index(drop=True)
    geoms = gpd.GeoSeries(table.geometry.to_numpy(), crs=table.crs) if "geometry" in table else None
    if geoms is None or geoms.isna().all():
        _coords_from_text(
            frame,
            _column(columns, found, "lon").reset_index(drop=True),
            _column(columns, found, "lat").reset_index(drop=True),
        )
        return Extract(frame, None, ignored_columns=ignored)
    x, y, present = _points_xy(geoms)
    frame["x"], frame["y"] = x, y
    frame["coord_state"] = np.where(present, "ok", "missing")
    frame["coord_text"] = ""
    crs = table.crs.to_string() if table.crs is not None else None
    return Extract(frame, crs, ignored_columns=ignored)


def _points_xy(geoms: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return x, y (EPSG:4326 when the CRS is known; areas and lines at their UTM 29N centroid) and presence."""
    present = ~(geoms.isna() | geoms.is_empty).to_numpy()
    known = geoms.crs is not None
    points = geoms.to_crs(STORE_CRS) if known else geoms.copy()
    areas = present & (geoms.geom_type != "Point").to_numpy()
    if areas.any():
        centers = geoms[areas].to_crs(METRIC_CRS).centroid.to_crs(STORE_CRS) if known else geoms[areas].centroid
        points[areas] = centers
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    x[present] = shapely.get_x(points[present].to_numpy())
    y[present] = shapely.get_y(points[present].to_numpy())
    return x, y, present


def _choose_layer(layers: list[tuple[str, str]], wanted: str | None, filename: str) -> str:
    """Return ``wanted``, else the first point layer, else the first layer with geometry, else the first."""
    if not layers:
        raise file_error("empty_file", f"{filename}: the GeoPackage has no layer")
    names = [n for n, _ in layers]
    if wanted is not None:
        if wanted not in names:
            raise file_error("unknown_layer", f"{filename}: no layer {wanted!r}; layers: {', '.join(names)}")
        return wanted
    for test in (lambda t: "Point" in t, lambda t: t not in ("", "None")):
        for name, geom_type in layers:
            if test(geom_type):
                return name
    return names[0]


_PBF_BLOB = b"OSMHeader"
T = TypeVar("T")


def read_osm_extract(data: bytes, filename: str, reader: Callable[[Path], T]) -> T:
    """Return ``reader(path)`` of an uploaded OSM extract (XML or PBF, chosen by the name's ending).

    The bytes are checked to look like that format, then written to a temporary file GDAL can open; an empty
    file is ``empty_file``, anything unreadable ``unreadable_osm`` (GDAL's errors are not typed usefully).
    """
    if not data.strip():
        raise file_error("empty_file", f"{filename}: the file is empty")
    pbf = filename.lower().endswith(".pbf")
    looks_right = _PBF_BLOB in data[:64] if pbf else data[:512].lstrip().startswith((b"<?xml", b"<osm"))
    if not looks_right:
        raise _unreadable(filename, "OpenStreetMap " + ("PBF" if pbf else "XML") + " file", "unreadable_osm")
    with tempfile.TemporaryDirectory(prefix="atlas-import-") as tmp:
        path = Path(tmp) / ("upload.osm.pbf" if pbf else "upload.osm")
        path.write_bytes(data)
        try:
            return reader(path)
        except Exception as exc:
            raise _gdal_failure(exc, filename, "OpenStreetMap file", "unreadable_osm") from None


def read_osm_upload(data: bytes, filename: str, options: dict[str, Any]) -> Extract:
    """Read an OSM extract (XML or PBF, chosen by the name's ending); references are OSM ids."""
    table, not_facilities = read_osm_extract(data, filename, read_osm)
    _check_rows(len(table), filename, options["max_rows"])
    frame = table.drop(columns=["x", "y"]).copy()
    frame["x"], frame["y"] = table["x"].to_numpy(), table["y"].to_numpy()
    ok = np.isfinite(frame["x"]) & np.isfinite(frame["y"])
    frame["coord_state"] = np.where(ok, "ok", "missing")
    frame["coord_text"] = ""
    return Extract(
        frame,
        STORE_CRS,
        licence=OSM_LICENCE,
        source=OSM_SOURCE,
        skip_outside=True,
        skipped={"not_a_facility": not_facilities},
    )
