"""The atlas store: one GeoPackage with the atlas layers and a metadata table, or a PostGIS schema.

The store is written to a temporary file next to its final place and renamed
over it only once complete, so a failed build leaves the previous store intact.
:func:`store_backend` chooses the backend from the ``DATABASE`` setting
(:data:`STORE_BACKENDS`, by URL scheme; the GeoPackage under ``HOME`` when empty).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import geopandas as gpd
import pandas as pd
import pyogrio

from geo import postgis
from geo.errors import InvalidParameter, StoreError
from geo.schema import SCHEMAS, conform
from geo.settings import Settings, resolve
from geo.vocabulary import INTERNAL_LAYERS, LAYERS

log = logging.getLogger(__name__)

STORE_NAME = "atlas.gpkg"
META_TABLE = "atlas_meta"
#: Bumped when the store layout changes incompatibly.
SCHEMA_VERSION = 1
#: GeoPackage version of every file the atlas writes: GDAL ≥ 3.9 writes 1.4 by default, which QGIS 3.22 /
#: GDAL 3.6 (Debian 12) open with a "may only be partially supported" warning; 1.2 reads everywhere.
GPKG_VERSION = "1.2"
#: Dataset creation options giving :data:`GPKG_VERSION` (pyogrio ``dataset_options``).
GPKG_DATASET_OPTIONS = {"VERSION": GPKG_VERSION}


def store_path(settings: Settings | Mapping[str, Any] | None = None) -> Path:
    """Return the path of the store under the data home (setting ``HOME``)."""
    return resolve(settings).home_dir() / STORE_NAME


@dataclass
class Atlas:
    """The store loaded in memory: its layers and its metadata."""

    layers: dict[str, gpd.GeoDataFrame]
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def version(self) -> str:
        """Return a stamp that changes whenever the store is rebuilt or a planner's edit is saved."""
        edits = self.meta.get("edits_stamp")
        return f"{self.meta.get('build_id', '')}.{edits}" if edits else str(self.meta.get("build_id", ""))

    def __getitem__(self, layer: str) -> gpd.GeoDataFrame:
        return self.layers[layer]


def write_store(
    path: Path,
    layers: dict[str, gpd.GeoDataFrame],
    meta: dict[str, Any],
    *,
    tables: dict[str, pd.DataFrame] | None = None,
) -> Path:
    """Write ``layers``, plain ``tables`` and ``meta`` to ``path`` atomically and return the path.

    Layers are typed by :mod:`geo.schema` (real nulls, integer counts) and
    written in order to a temporary GeoPackage in the same folder,
    the plain tables (reports without geometry) and the metadata table are
    added, and the file is renamed over ``path``. On any error the temporary
    file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".atlas-", suffix=".tmp.gpkg", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # GDAL wants to create the file itself
    try:
        # No fsync per layer and per table: one for the finished file, before the rename, is as durable.
        # No rollback journal: on any error the temporary file is deleted, never repaired.
        with gdal_config(OGR_SQLITE_SYNCHRONOUS="OFF", OGR_SQLITE_JOURNAL="OFF"):
            for name, frame in layers.items():
                typed = conform(frame, name) if name in SCHEMAS else frame  # real nulls, counts as integers
                pyogrio.write_dataframe(
                    typed,
                    tmp,
                    layer=name,
                    driver="GPKG",
                    promote_to_multi=False,
                    dataset_options=None if tmp.exists() else GPKG_DATASET_OPTIONS,
                )
        with sqlite3.connect(tmp) as con:
            con.execute("PRAGMA synchronous = OFF")
            con.execute("PRAGMA journal_mode = OFF")
            for name, table in (tables or {}).items():
                conform(table, name).to_sql(name, con, index=False)  # reports too: real nulls, not ""
            con.execute(f"CREATE TABLE {META_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            con.executemany(
                f"INSERT INTO {META_TABLE} (key, value) VALUES (?, ?)",
                [(k, json.dumps(v, ensure_ascii=False)) for k, v in {**meta, "schema_version": SCHEMA_VERSION}.items()],
            )
        con.close()
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        full = isinstance(exc, Exception) and _disk_full(path.parent)  # measured before the partial file goes
        tmp.unlink(missing_ok=True)
        if full:
            raise StoreError(
                f"{path.parent}: disk full while writing the store; {path.name} is untouched, free some space "
                "and build again"
            ) from exc
        raise
    log.info("store written to %s", path)
    return path


@contextmanager
def gdal_config(**options: str) -> Iterator[None]:
    """Set GDAL configuration options for the block, then restore their previous values.

    GDAL's options are process-wide: a concurrent GDAL call in another thread sees them too.
    """
    previous = {key: pyogrio.get_gdal_config_option(key) for key in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(previous)


def _fsync(path: Path) -> None:
    """Flush ``path``'s content to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _disk_full(folder: Path, *, margin_bytes: int = 2 * 1024 * 1024) -> bool:
    """Return True when ``folder``'s file system has (almost) no free space left."""
    try:
        return shutil.disk_usage(folder).free < margin_bytes
    except OSError:
        return False


def read_meta(path: Path) -> dict[str, Any]:
    """Return the metadata table of the store at ``path``."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"no atlas store at {path}; run 'bamako-atlas data build' first")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = con.execute(f"SELECT key, value FROM {META_TABLE}").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path} is not a readable atlas store ({exc}); rebuild it with 'bamako-atlas data build --force'"
        ) from None
    meta = {k: json.loads(v) for k, v in rows}
    if meta.get("schema_version") != SCHEMA_VERSION:
        raise StoreError(
            f"{path} was built with store schema {meta.get('schema_version')}, this version reads {SCHEMA_VERSION}; "
            "rebuild it with 'bamako-atlas data build --force'"
        )
    return meta


def read_table(path: Path, name: str) -> pd.DataFrame:
    """Return a plain (non-spatial) table of the store, e.g. ``cscom_reconciliation``."""
    read_meta(path)  # clear error when the store is missing or foreign
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return pd.read_sql_query(f'SELECT * FROM "{name}"', con)
    except (sqlite3.DatabaseError, pd.errors.DatabaseError):
        raise StoreError(f"{path} has no table {name!r}; rebuild it with 'bamako-atlas data build --force'") from None
    finally:
        con.close()


def open_store(path: Path) -> Atlas:
    """Load every atlas layer, the District outline (stores built since it exists) and the metadata.

    Layers come back typed by :mod:`geo.schema` (GDAL reads an integer column with nulls as reals).
    """
    meta = read_meta(path)
    layers = {}
    names = {str(name) for name, _ in pyogrio.list_layers(path)}
    for name in (*LAYERS, *(n for n in INTERNAL_LAYERS if n in names)):
        try:
            frame = pyogrio.read_dataframe(path, layer=name)
            layers[name] = conform(frame, name) if name in SCHEMAS else frame
        except Exception as exc:  # GDAL errors are not typed usefully
            raise StoreError(f"{path}: layer {name!r} cannot be read ({exc}); rebuild the store") from None
    return Atlas(layers=layers, meta=meta, path=Path(path))


class StoreBackend(Protocol):
    """Where a build is written and the app reads it from."""

    location: str

    def exists(self) -> bool:
        """Return True when a store has been built there."""

    def stamp(self) -> object:
        """Return a cheap value that changes when a new build is written (StoreError when there is none)."""

    def read_meta(self) -> dict[str, Any]:
        """Return the metadata table."""

    def open(self) -> Atlas:
        """Return every layer and the metadata, from one build."""

    def read_table(self, name: str) -> pd.DataFrame:
        """Return a plain (non-spatial) table."""

    def write(
        self, layers: dict[str, gpd.GeoDataFrame], meta: dict[str, Any], *, tables: dict[str, pd.DataFrame]
    ) -> str:
        """Write a build atomically and return its location."""


@dataclass(frozen=True)
class GeoPackageStore:
    """The embedded default: one GeoPackage file, replaced by a rename."""

    path: Path

    @property
    def location(self) -> str:
        """Return the file's path."""
        return str(self.path)

    def exists(self) -> bool:
        """Return True when the file exists."""
        return self.path.exists()

    def stamp(self) -> tuple[int, int]:
        """Return the file's (mtime, size)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            raise StoreError(f"no atlas store at {self.path}; run 'bamako-atlas data build' first") from None
        return (st.st_mtime_ns, st.st_size)

    def read_meta(self) -> dict[str, Any]:
        """Return the metadata table."""
        return read_meta(self.path)

    def open(self) -> Atlas:
        """Return the loaded store."""
        return open_store(self.path)

    def read_table(self, name: str) -> pd.DataFrame:
        """Return a plain table."""
        return read_table(self.path, name)

    def write(
        self, layers: dict[str, gpd.GeoDataFrame], meta: dict[str, Any], *, tables: dict[str, pd.DataFrame]
    ) -> str:
        """Write the file atomically."""
        return str(write_store(self.path, layers, meta, tables=tables))


@dataclass(frozen=True)
class PostgisStore:
    """A PostgreSQL/PostGIS database: the layers in schema ``atlas``, swapped in one transaction per build."""

    url: str

    @property
    def location(self) -> str:
        """Return the database URL without its password."""
        return postgis.redact(self.url)

    def exists(self) -> bool:
        """Return True when the database holds a build."""
        return postgis.stamp(self.url) is not None

    def stamp(self) -> str:
        """Return the build id (one indexed read)."""
        value = postgis.stamp(self.url)
        if value is None:
            raise StoreError(f"no atlas store in {self.location}; run 'bamako-atlas data build' first")
        return value

    def read_meta(self) -> dict[str, Any]:
        """Return the metadata table."""
        return _checked(postgis.read_meta(self.url), self.location)

    def open(self) -> Atlas:
        """Return every layer and the metadata of one build."""
        layers, meta = postgis.open_store(self.url)
        return Atlas(layers=layers, meta=_checked(meta, self.location))

    def read_table(self, name: str) -> pd.DataFrame:
        """Return a plain table."""
        return postgis.read_table(self.url, name)

    def write(
        self, layers: dict[str, gpd.GeoDataFrame], meta: dict[str, Any], *, tables: dict[str, pd.DataFrame]
    ) -> str:
        """Write the build into a new schema and swap it in."""
        return postgis.write_store(self.url, layers, meta, tables=tables, schema_version=SCHEMA_VERSION)


def _checked(meta: dict[str, Any], location: str) -> dict[str, Any]:
    """Return ``meta`` when written by this store schema, else raise StoreError."""
    if meta.get("schema_version") != SCHEMA_VERSION:
        raise StoreError(
            f"{location} was built with store schema {meta.get('schema_version')}, this version reads "
            f"{SCHEMA_VERSION}; rebuild it with 'bamako-atlas data build --force'"
        )
    return meta


#: URL scheme of the ``DATABASE`` setting → store backend.
STORE_BACKENDS: dict[str, type[PostgisStore]] = {"postgresql": PostgisStore, "postgres": PostgisStore}


def store_backend(settings: Settings | Mapping[str, Any] | None = None, *, path: Path | None = None) -> StoreBackend:
    """Return the store the settings name: ``DATABASE``'s backend, else the GeoPackage at ``path`` or under HOME."""
    settings = resolve(settings)
    url = settings["DATABASE"]
    if path is not None or not url:
        return GeoPackageStore(Path(path) if path is not None else store_path(settings))
    scheme = urlsplit(url).scheme
    if scheme not in STORE_BACKENDS:
        allowed = ", ".join(f"{s}://…" for s in STORE_BACKENDS)
        raise InvalidParameter("BAMAKO_ATLAS_DATABASE", f"unknown database scheme {scheme!r}; allowed: {allowed}")
    return STORE_BACKENDS[scheme](url)
