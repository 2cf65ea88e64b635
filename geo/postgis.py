"""The atlas store in PostGIS: every layer of a build in one schema, swapped in atomically.

A build is written into a new schema (typed columns from :mod:`geo.schema`, a ``geometry(…, 4326)`` column
``geom`` with a GiST index, the metadata table) and renamed to :data:`SCHEMA` in the same transaction that drops
the previous one: a killed build leaves nothing, and a reader sees the old build or the new one, never half.
Readers read in one repeatable-read transaction that first takes a share lock on the metadata table, which the
swap locks exclusively, so every layer of one read comes from one build.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import geopandas as gpd
import pandas as pd
import shapely

from geo.errors import StoreError
from geo.schema import SCHEMAS, conform
from geo.vocabulary import INTERNAL_LAYERS, LAYERS, STORE_CRS

log = logging.getLogger(__name__)

#: Schema holding the current build's layers, plain tables and metadata.
SCHEMA = "atlas"
META_TABLE = "atlas_meta"
GEOMETRY_COLUMN = "geom"
SRID = 4326
#: geo.schema column type → PostgreSQL column type.
PG_TYPES = {"str": "text", "int": "integer", "float": "double precision", "bool": "boolean"}


def redact(url: str) -> str:
    """Return ``url`` without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@contextmanager
def connect(url: str) -> Iterator[Any]:
    """Yield a psycopg connection to ``url`` (closed afterwards); StoreError when the database cannot be reached."""
    import psycopg

    try:
        con = psycopg.connect(url, connect_timeout=10)
    except psycopg.Error as exc:
        raise StoreError(f"cannot connect to the atlas database {redact(url)}: {exc}".strip()) from None
    try:
        yield con
    finally:
        con.close()


def _column_type(layer: str, column: str, series: pd.Series) -> str:
    """Return the PostgreSQL type of ``column``: from geo.schema when declared, else from its dtype."""
    declared = SCHEMAS.get(layer, {}).get(column)
    if declared is not None:
        return PG_TYPES[declared.type]
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "bigint"
    if pd.api.types.is_float_dtype(series):
        return "double precision"
    return "text"


def _geometry_type(geoms: gpd.GeoSeries) -> str:
    """Return the column's geometry type: the one type of every geometry, else the generic ``Geometry``."""
    kinds = set(geoms.dropna().geom_type)
    return kinds.pop() if len(kinds) == 1 else "Geometry"


def _cells(series: pd.Series) -> list[Any]:
    """Return the column as Python values with None for every missing one."""
    return [None if v is None or (not isinstance(v, list | dict) and pd.isna(v)) else v for v in series.tolist()]


def _write_frame(cur: Any, schema: str, name: str, frame: pd.DataFrame) -> None:
    """Create table ``schema.name`` typed for ``frame`` and copy its rows in order (``fid`` keeps the order)."""
    from psycopg import sql

    spatial = isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns
    columns = [c for c in frame.columns if not (spatial and c == frame.geometry.name)]
    defs = [sql.SQL("fid integer PRIMARY KEY")]
    defs += [sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(_column_type(name, c, frame[c]))) for c in columns]
    if spatial:
        geom_type = sql.SQL(f"geometry({_geometry_type(frame.geometry)}, {SRID})")
        defs.append(sql.SQL("{} {}").format(sql.Identifier(GEOMETRY_COLUMN), geom_type))
    table = sql.Identifier(schema, name)
    cur.execute(sql.SQL("CREATE TABLE {} ({})").format(table, sql.SQL(", ").join(defs)))
    values = [_cells(frame[c]) for c in columns]
    if spatial:
        geoms = shapely.set_srid(frame.geometry.to_crs(STORE_CRS).to_numpy(), SRID)
        values.append(list(shapely.to_wkb(geoms, hex=True, include_srid=True)))
    names = ["fid", *columns, *([GEOMETRY_COLUMN] if spatial else [])]
    copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(table, sql.SQL(", ").join(map(sql.Identifier, names)))
    with cur.copy(copy_sql) as copy:
        for i, row in enumerate(zip(*values, strict=True) if values else [() for _ in range(len(frame))]):
            copy.write_row((i, *row))
    if spatial:
        cur.execute(sql.SQL("CREATE INDEX ON {} USING GIST ({})").format(table, sql.Identifier(GEOMETRY_COLUMN)))


def write_store(
    url: str,
    layers: dict[str, gpd.GeoDataFrame],
    meta: dict[str, Any],
    *,
    tables: dict[str, pd.DataFrame] | None = None,
    schema_version: int,
    schema: str = SCHEMA,
) -> str:
    """Write ``layers``, plain ``tables`` and ``meta`` to schema ``schema`` of database ``url`` in one transaction.

    Layers are typed by :mod:`geo.schema` and written in EPSG:4326; the previous build's schema is dropped in
    the same transaction. Returns ``url`` without its password.
    """
    from psycopg import sql

    staging = f"{schema}_build_{uuid.uuid4().hex[:12]}"
    with connect(url) as con, con.cursor() as cur:
        cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(staging)))
        for name, frame in layers.items():
            _write_frame(cur, staging, name, conform(frame, name) if name in SCHEMAS else frame)
        for name, table in (tables or {}).items():
            _write_frame(cur, staging, name, conform(table, name))
        meta_table = sql.Identifier(staging, META_TABLE)
        # json, not jsonb: jsonb reorders an object's keys, and the reports list the build's counts in their order.
        cur.execute(sql.SQL("CREATE TABLE {} (key text PRIMARY KEY, value json NOT NULL)").format(meta_table))
        cur.executemany(
            sql.SQL("INSERT INTO {} (key, value) VALUES (%s, %s)").format(meta_table),
            [(k, json.dumps(v, ensure_ascii=False)) for k, v in {**meta, "schema_version": schema_version}.items()],
        )
        if _has_store(cur, schema):
            # Wait for the readers of the current build, then swap: they hold a share lock on the meta table.
            cur.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(sql.Identifier(schema, META_TABLE)))
            cur.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        elif _schema_exists(cur, schema):
            raise StoreError(f"{redact(url)}: schema {schema!r} exists and holds no atlas store; drop it or rename it")
        cur.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(staging), sql.Identifier(schema)))
        con.commit()
    log.info("store written to %s (schema %s)", redact(url), schema)
    return redact(url)


def _schema_exists(cur: Any, schema: str) -> bool:
    cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
    return cur.fetchone() is not None


def _has_store(cur: Any, schema: str) -> bool:
    cur.execute("SELECT to_regclass(format('%%I.%%I', %s::text, %s::text))", (schema, META_TABLE))
    return cur.fetchone()[0] is not None


@contextmanager
def _read(url: str, schema: str) -> Iterator[Any]:
    """Yield a cursor reading one build: repeatable read, after a share lock on the metadata table."""
    from psycopg import IsolationLevel, sql

    with connect(url) as con:
        con.isolation_level = IsolationLevel.REPEATABLE_READ
        con.read_only = True
        with con.cursor() as cur:
            if not _has_store(cur, schema):
                raise StoreError(
                    f"no atlas store in {redact(url)} (schema {schema!r}); run 'bamako-atlas data build' first"
                )
            con.rollback()  # the snapshot must start after the lock, not at the check above
            cur.execute(sql.SQL("LOCK TABLE {} IN ACCESS SHARE MODE").format(sql.Identifier(schema, META_TABLE)))
            yield cur
            con.rollback()


def _meta(cur: Any, schema: str) -> dict[str, Any]:
    from psycopg import sql

    cur.execute(sql.SQL("SELECT key, value FROM {} ORDER BY ctid").format(sql.Identifier(schema, META_TABLE)))
    return dict(cur.fetchall())  # in the written order (the table is written once, never updated)


def read_meta(url: str, *, schema: str = SCHEMA) -> dict[str, Any]:
    """Return the metadata table of the store in database ``url``."""
    with _read(url, schema) as cur:
        return _meta(cur, schema)


def stamp(url: str, *, schema: str = SCHEMA) -> str | None:
    """Return the build id of the store in ``url`` (one indexed read), or None when there is none."""
    from psycopg import sql

    with connect(url) as con, con.cursor() as cur:
        if not _has_store(cur, schema):
            return None
        query = sql.SQL("SELECT value #>> '{{}}' FROM {} WHERE key = 'build_id'")
        cur.execute(query.format(sql.Identifier(schema, META_TABLE)))
        row = cur.fetchone()
        return row[0] if row else ""


def _read_frame(cur: Any, schema: str, name: str) -> pd.DataFrame:
    """Return table ``schema.name`` in its written order, a GeoDataFrame in EPSG:4326 when it has ``geom``."""
    from psycopg import sql

    cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
        "ORDER BY ordinal_position",
        (schema, name),
    )
    columns = [c for (c,) in cur.fetchall() if c != "fid"]
    if not columns:
        raise StoreError(f"the atlas database has no table {name!r}; rebuild it with 'bamako-atlas data build'")
    spatial = GEOMETRY_COLUMN in columns
    plain = [c for c in columns if c != GEOMETRY_COLUMN]
    select = [sql.Identifier(c) for c in plain]
    if spatial:
        select.append(sql.SQL("ST_AsBinary({})").format(sql.Identifier(GEOMETRY_COLUMN)))
    cur.execute(
        sql.SQL("SELECT {} FROM {} ORDER BY fid").format(sql.SQL(", ").join(select), sql.Identifier(schema, name))
    )
    rows = cur.fetchall()
    data = {c: [r[i] for r in rows] for i, c in enumerate(plain)}
    if not spatial:
        return pd.DataFrame(data, columns=plain)
    geoms = shapely.from_wkb([None if r[-1] is None else bytes(r[-1]) for r in rows])
    return gpd.GeoDataFrame(data, columns=plain, geometry=gpd.GeoSeries(geoms, crs=STORE_CRS), crs=STORE_CRS)


def open_store(url: str, *, schema: str = SCHEMA) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, Any]]:
    """Return (layers, meta) of one build: every atlas layer and the internal ones it holds, typed."""
    with _read(url, schema) as cur:
        meta = _meta(cur, schema)
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,))
        names = {n for (n,) in cur.fetchall()}
        layers = {}
        for name in (*LAYERS, *(n for n in INTERNAL_LAYERS if n in names)):
            frame = _read_frame(cur, schema, name)
            layers[name] = conform(frame, name) if name in SCHEMAS else frame
    return layers, meta


def read_table(url: str, name: str, *, schema: str = SCHEMA) -> pd.DataFrame:
    """Return a plain (non-spatial) table of the store, e.g. ``cscom_reconciliation``."""
    with _read(url, schema) as cur:
        return _read_frame(cur, schema, name)
