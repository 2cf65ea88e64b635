"""Road layers: the ``highway=*`` ways of an OpenStreetMap extract, read for import and kept in the edits database.

Import target ``roads``: :func:`parse_roads` reads the ways of a ``.osm`` /
``.osm.pbf`` file with GDAL's OSM driver (``lines`` layer) into rows
``{"line": "osm:way/12", "fields": {"highway", "name"}, "coords": [[lon, lat], …]}``
(EPSG:4326). Ways whose ``highway`` value is not a road class of
:data:`geo.analysis.travel.speeds.HIGHWAY_CLASS` are counted (``not_a_road``),
ways wholly outside the District are counted (``outside_district``), broken
geometries become row errors naming the way.

A commit (:func:`write_road_layer`, inside the import's own transaction)
replaces the road layer at once: the ``road_layers`` row of the new layer and
its ``road_ways`` are inserted and the previous layer's ways removed in one
SQLite transaction, so a killed process leaves the old layer whole. The layer's
version is its import id: travel-time networks are cached per version
(:class:`geo.analysis.travel.RoadLayer`), so a new import invalidates them.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from geo.analysis.travel.roads import RoadLayer
from geo.analysis.travel.speeds import HIGHWAY_CLASS
from geo.cache import LRUCache
from geo.planning.edits.db import connect
from geo.planning.edits.pg import database_exists, is_url
from geo.planning.edits.store import bump_stamp
from geo.planning.edits.validate import storable_text
from geo.planning.imports.readers import file_error, read_osm_extract
from geo.planning.imports.validate import RowError, _district_areas
from geo.vocabulary import STORE_CRS

log = logging.getLogger(__name__)

#: Import targets: facilities (the default) or a road layer.
TARGETS = ("facilities", "roads")
#: Decimals kept of longitude/latitude (1e-7° ≈ 1 cm).
COORD_DECIMALS = 7
#: Longest road name kept, in characters.
NAME_MAX_CHARS = 200

SCHEMA = """
CREATE TABLE IF NOT EXISTS road_layers (
    version TEXT PRIMARY KEY,
    import_id TEXT NOT NULL UNIQUE,
    filename TEXT NOT NULL,
    "user" TEXT NOT NULL,
    created_at TEXT NOT NULL,
    ways INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS road_ways (
    version TEXT NOT NULL REFERENCES road_layers(version),
    ref TEXT NOT NULL,
    highway TEXT NOT NULL,
    name TEXT NOT NULL,
    wkb BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS road_ways_version ON road_ways (version);
"""

_CONFIG = """\
attribute_name_laundering=no
[lines]
osm_id=yes
attributes=name,highway
other_tags=no
"""

_layers: LRUCache = LRUCache(2, None, single_flight="key")


def read_osm_ways(path: Path) -> gpd.GeoDataFrame:
    """Return the ways of an OSM extract that carry ``highway=*``: ``ref``, ``highway``, ``name``, EPSG:4326 lines.

    Raises whatever GDAL raises on an unreadable file; the caller turns it into a clear error.
    """
    config = path.with_name("osmconf_roads.ini")
    config.write_text(_CONFIG, encoding="utf-8")
    frame = pyogrio.read_dataframe(path, layer="lines", CONFIG_FILE=str(config))
    if frame.crs is None:
        frame = frame.set_crs(STORE_CRS)
    frame = frame.to_crs(STORE_CRS)
    if "highway" not in frame.columns:
        frame["highway"] = None
    frame = frame[frame["highway"].notna()]
    return gpd.GeoDataFrame(
        {
            "ref": ("osm:way/" + frame["osm_id"].astype(str)).to_numpy(),
            "highway": frame["highway"].astype(str).str.strip().str.lower().to_numpy(),
            "name": frame["name"].fillna("").astype(str).to_numpy() if "name" in frame else "",
        },
        geometry=frame.geometry.to_numpy(),
        crs=STORE_CRS,
    )


def road_rows(
    ways: gpd.GeoDataFrame, *, quartiers: gpd.GeoDataFrame, district: object = None
) -> tuple[list[dict[str, Any]], list[RowError], dict[str, int]]:
    """Return (rows to import, row errors, skipped counts) of the ways read by :func:`read_osm_ways`."""
    road = ways["highway"].isin(list(HIGHWAY_CLASS)).to_numpy()
    skipped = {"not_a_road": int((~road).sum())}
    ways = ways[road]
    geoms = ways.geometry.to_numpy()
    broken = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    broken[~broken] = shapely.get_num_coordinates(geoms[~broken]) < 2
    errors = [
        RowError(ref, "geometry", "invalid_geometry", f"way {ref} has no line (fewer than two nodes)")
        for ref in ways["ref"].to_numpy()[broken]
    ]
    inside = np.zeros(len(ways), dtype=bool)
    areas = _district_areas(district, quartiers)
    inside[~broken] = np.logical_and.reduce([shapely.intersects(a, geoms[~broken]) for a in areas])
    skipped["outside_district"] = int((~broken & ~inside).sum())
    rows = []
    for ref, highway, name, geom in zip(
        ways["ref"].to_numpy()[inside], ways["highway"].to_numpy()[inside], ways["name"].to_numpy()[inside],
        geoms[inside], strict=True,
    ):  # fmt: skip
        coords = np.round(shapely.get_coordinates(geom), COORD_DECIMALS).tolist()
        fields = {"highway": str(highway), "name": storable_text(str(name)).strip()[:NAME_MAX_CHARS]}
        rows.append({"line": str(ref), "fields": fields, "coords": coords})
    return rows, errors, skipped


def parse_roads(
    data: bytes, filename: str, *, quartiers: gpd.GeoDataFrame, district: object = None, max_rows: int
) -> tuple[list[dict[str, Any]], list[RowError], dict[str, int], int]:
    """Read the road ways of an uploaded OSM extract: (rows, row errors, skipped counts, ways read).

    Raises
    ------
    InvalidParameter
        Parameter ``"file"``: ``roads_need_osm`` (not an OSM file), ``empty_file``,
        ``unreadable_osm``, ``too_many_rows`` (more road ways than ``max_rows``), ``no_roads``.
    """
    if not filename.lower().endswith((".osm", ".pbf")):
        raise file_error(
            "roads_need_osm", f"{filename}: a road layer is imported from an OpenStreetMap extract (.osm or .osm.pbf)"
        )
    ways = read_osm_extract(data, filename, read_osm_ways)
    rows, errors, skipped = road_rows(ways, quartiers=quartiers, district=district)
    if len(rows) > max_rows:
        raise file_error(
            "too_many_rows", f"{filename}: {len(rows):,} road ways, more than the {max_rows:,} accepted; "
            "clip the extract to a smaller area",
        )  # fmt: skip
    if not rows and not errors:
        raise file_error("no_roads", f"{filename}: no highway=* way inside the District")
    log.info("OSM extract %s: %d road ways, %d errors, skipped %s", filename, len(rows), len(errors), skipped)
    return rows, errors, skipped, len(ways)


# --- the stored layer -------------------------------------------------------------------------------------


def _open(db_path: Path | str) -> sqlite3.Connection:
    conn = connect(db_path)
    conn.executescript(SCHEMA)
    return conn


def write_road_layer(
    conn: sqlite3.Connection, import_id: str, rows: list[dict[str, Any]], *, filename: str, user: str, at: str
) -> int:
    """Make ``rows`` the road layer (version ``import_id``) on ``conn``, inside the caller's transaction.

    The previous layer's ways are deleted; its ``road_layers`` row stays for the record.
    The tables must exist (:data:`SCHEMA`, created outside the transaction). Returns the number of ways written.
    """
    lines = [shapely.LineString(r["coords"]) for r in rows]
    conn.execute("DELETE FROM road_ways")
    bump_stamp(conn)  # the atlas version moves: every cache keyed by it (travel times, responses) is renewed
    conn.execute(
        'INSERT INTO road_layers (version, import_id, filename, "user", created_at, ways) VALUES (?, ?, ?, ?, ?, ?)',
        (import_id, import_id, filename, user, at, len(rows)),
    )
    conn.executemany(
        "INSERT INTO road_ways (version, ref, highway, name, wkb) VALUES (?, ?, ?, ?, ?)",
        (
            (import_id, r["line"], r["fields"]["highway"], r["fields"]["name"], shapely.to_wkb(line))
            for r, line in zip(rows, lines, strict=True)
        ),
    )
    return len(rows)


def road_layer_version(db_path: Path | str) -> str | None:
    """Return the version of the current road layer in the edits database at ``db_path``, or None without one."""
    if not database_exists(db_path):
        return None
    conn = _open(db_path)
    try:
        row = conn.execute("SELECT version FROM road_layers ORDER BY created_at DESC, rowid DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    return None if row is None else str(row[0])


def _load(db_path: Path, version: str) -> RoadLayer:
    conn = _open(db_path)
    try:
        rows = conn.execute("SELECT ref, highway, name, wkb FROM road_ways WHERE version = ?", (version,)).fetchall()
    finally:
        conn.close()
    lines = gpd.GeoDataFrame(
        {"ref": [r[0] for r in rows], "highway": [r[1] for r in rows], "name": [r[2] for r in rows]},
        geometry=shapely.from_wkb([r[3] for r in rows]) if rows else [],
        crs=STORE_CRS,
    )
    return RoadLayer(lines, version)


def current_road_layer(db_path: Path | str) -> RoadLayer | None:
    """Return the current road layer of the edits database at ``db_path`` (EPSG:4326), or None without one.

    Loaded once per version (a bounded cache): call it per request, it costs one small query.
    """
    version = road_layer_version(db_path)
    if version is None:
        return None
    path = db_path if is_url(db_path) else Path(db_path).resolve()
    return _layers.get((str(path), version), lambda: _load(path, version))


def road_layer_info(db_path: Path | str) -> dict[str, Any] | None:
    """Return the current road layer's record (version, import id, file, user, date, ways), or None."""
    if not database_exists(db_path):
        return None
    conn = _open(db_path)
    try:
        row = conn.execute("SELECT * FROM road_layers ORDER BY created_at DESC, rowid DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    return None if row is None else dict(row)
