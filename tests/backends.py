"""The backend the suite runs on, and the one place that turns "an atlas store" into an app's config.

``pytest --backend=gpkg`` (the default; or ``BAMAKO_ATLAS_TEST_BACKEND``) serves every app from its GeoPackage
and ``edits.sqlite`` next to it, as a plain install does. ``--backend=postgis`` serves the same store from a
PostGIS database of a throw-away cluster (:mod:`tests.pgcluster`): the GeoPackage is copied once into a
template database with the real writer (:class:`geo.store.PostgisStore`), each test gets its own copy of it
(``CREATE DATABASE … TEMPLATE``) and the app reads the layers, edits, history, accounts and imports from there.

A store stands for one database during a test: every app, server and planners' helper asking for the same store
file gets the same database, as they would share the file and its ``edits.sqlite`` on the GeoPackage.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import uuid
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

#: Values of ``--backend``; the first is the default.
BACKENDS = ("gpkg", "postgis")
#: Environment variable giving the backend when ``--backend`` is not passed (CI sets it).
ENV = "BAMAKO_ATLAS_TEST_BACKEND"
#: Marker of the tests about the GeoPackage file itself: skipped on the other backends.
GPKG_ONLY = "gpkg_only"
#: File name of the planners' database next to a GeoPackage store.
EDITS_FILENAME = "edits.sqlite"


class GpkgBackend:
    """The embedded default: the store file and ``edits.sqlite`` beside it."""

    name = "gpkg"

    def edits_db(self, store: Path) -> Path:
        """Return the planners' database the apps over ``store`` use: ``edits.sqlite`` next to it."""
        return Path(store).with_name(EDITS_FILENAME)

    def app_config(
        self, store: Path, *, edits_db: Path | str | None = None, settings: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Return ``create_app`` config serving ``store`` (and the planners' database ``edits_db`` when given)."""
        config: dict[str, Any] = {"ATLAS_STORE": str(store)}
        if edits_db is not None:
            config["ATLAS_EDITS_DB"] = str(edits_db)
        if settings:
            config["ATLAS_SETTINGS"] = dict(settings)
        return config

    def cli_env(self, store: Path) -> dict[str, str]:
        """Return the environment of a command working on ``store`` and its planners: its folder as the home."""
        return {"BAMAKO_ATLAS_HOME": str(Path(store).parent), "BAMAKO_ATLAS_DATABASE": ""}

    @contextmanager
    def test_scope(self) -> Iterator[None]:
        """Nothing to clean up: the files live in the test's temporary folder."""
        yield


class PostgisBackend:
    """Each store copied to a PostGIS database: layers, edits, history, accounts and imports all in it."""

    name = "postgis"

    def __init__(self, cluster: Any):
        self.cluster = cluster
        self._templates: dict[str, str] = {}  # content key of a GeoPackage → its template database
        self._databases: dict[Path, str] = {}  # store file → the database standing for it
        self._created: list[tuple[Path, str]] = []

    def database(self, store: Path) -> str:
        """Return the URL of the database standing for ``store``: a fresh copy of its template on first use."""
        store = Path(store).resolve()
        if store not in self._databases:
            name = f"atlas_{uuid.uuid4().hex[:12]}"
            self.cluster.create_database(name, template=self._template(store))
            self._databases[store] = name
            self._created.append((store, name))
        return self.cluster.url(self._databases[store])

    def _template(self, store: Path) -> str:
        """Return the template database holding ``store``'s layers, tables and metadata (written once)."""
        from tests.pgcluster import TEMPLATE_DB

        key = content_key(store)
        if key not in self._templates:
            name = f"atlas_tmpl_{len(self._templates)}"
            url = self.cluster.create_database(name, template=TEMPLATE_DB)
            copy_store(store, url)
            self._templates[key] = name
        return self._templates[key]

    def edits_db(self, store: Path) -> str:
        """Return the planners' database the apps over ``store`` use: its database."""
        return self.database(store)

    def app_config(
        self, store: Path, *, edits_db: Path | str | None = None, settings: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Return ``create_app`` config serving ``store`` from its database, with its folder as the home."""
        from geo.planning.edits.pg import is_url

        if edits_db is not None and not is_url(str(edits_db)):
            raise ValueError(f"{edits_db}: a file as the planners' database on PostGIS; use the edits_db fixture")
        url = str(edits_db) if edits_db is not None else self.database(store)
        home = (settings or {}).get("HOME") or str(Path(store).parent)
        return {"ATLAS_SETTINGS": {**(settings or {}), "HOME": home, "DATABASE": url}}

    def cli_env(self, store: Path) -> dict[str, str]:
        """Return the environment of a command working on ``store``'s database, with the store's folder as home."""
        return {"BAMAKO_ATLAS_HOME": str(Path(store).parent), "BAMAKO_ATLAS_DATABASE": self.database(store)}

    @contextmanager
    def test_scope(self) -> Iterator[None]:
        """Drop the databases made during the block (a test) afterwards; those of wider fixtures stay."""
        mark = len(self._created)
        try:
            yield
        finally:
            made, self._created[mark:] = self._created[mark:], []
            for store, name in made:
                if self._databases.get(store) == name:
                    del self._databases[store]
                self.cluster.drop_database(name)


def content_key(store: Path) -> str:
    """Return a digest of the rows of every table of the GeoPackage ``store`` (not its write timestamps)."""
    digest = hashlib.sha256()
    with closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as con:
        names = [n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for name in names:
            if name.startswith(("gpkg_", "rtree_", "sqlite_")):
                continue
            digest.update(name.encode())
            for row in con.execute(f'SELECT * FROM "{name}" ORDER BY rowid'):
                digest.update(repr(row).encode())
    return digest.hexdigest()


def plain_tables(store: Path) -> list[str]:
    """Return the names of the plain (non-spatial) tables of the GeoPackage ``store``, e.g. reports."""
    from geo.store import META_TABLE

    with closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as con:
        layers = {n for (n,) in con.execute("SELECT table_name FROM gpkg_contents")}
        names = [n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    skipped = ("gpkg_", "rtree_", "sqlite_")
    return [n for n in names if n not in layers and n != META_TABLE and not n.startswith(skipped)]


def copy_store(store: Path, url: str) -> None:
    """Write the layers, plain tables and metadata of the GeoPackage ``store`` to database ``url``."""
    from geo.store import GeoPackageStore, PostgisStore

    gpkg = GeoPackageStore(Path(store))
    atlas = gpkg.open()
    meta = {k: v for k, v in atlas.meta.items() if k != "schema_version"}
    tables = {name: gpkg.read_table(name) for name in plain_tables(store)}
    PostgisStore(url).write(atlas.layers, meta, tables=tables)


_current: GpkgBackend | PostgisBackend = GpkgBackend()


def current() -> GpkgBackend | PostgisBackend:
    """Return the backend of this test session."""
    return _current


def activate(backend: GpkgBackend | PostgisBackend) -> None:
    """Make ``backend`` the one of this session (tests/conftest.py does it once)."""
    global _current
    _current = backend


def chosen(config: pytest.Config) -> str:
    """Return the backend named by ``--backend``, else by ``BAMAKO_ATLAS_TEST_BACKEND``, else ``gpkg``."""
    return config.getoption("backend") or os.environ.get(ENV) or BACKENDS[0]


def app_config(
    store: Path, *, edits_db: Path | str | None = None, settings: Mapping[str, Any] | None = None, **config: Any
) -> dict[str, Any]:
    """Return ``create_app`` config serving ``store`` on this session's backend, plus the Flask ``config``.

    On the GeoPackage: ``ATLAS_STORE`` (and ``ATLAS_EDITS_DB`` when ``edits_db`` is given). On PostGIS:
    ``ATLAS_SETTINGS`` with ``DATABASE`` (``store``'s database, or the URL ``edits_db``) and ``HOME`` (the
    store's folder unless ``settings`` names one). ``settings`` are ``geo.settings`` overrides.
    """
    return {**config, **_current.app_config(Path(store), edits_db=edits_db, settings=settings)}


def rebuild(store: Path, layers: dict[str, Any], meta: dict[str, Any], **options: Any) -> Path:
    """Write a new build of ``store`` as ``data build`` would: the GeoPackage, and its database on PostGIS."""
    from geo.store import PostgisStore, write_store

    path = write_store(Path(store), layers, meta, **options)
    if _current.name == "postgis":
        stored = {k: v for k, v in meta.items() if k != "schema_version"}
        PostgisStore(_current.database(path)).write(layers, stored, tables=options.get("tables") or {})
    return path


def location(store: Path) -> Path | str:
    """Return where the atlas of ``store`` is read from on this session's backend: the file, or its database URL."""
    return _current.database(store) if _current.name == "postgis" else Path(store)


def catalog(store: Path, **options: Any) -> Any:
    """Return a ``webmap.catalog.Catalog`` over ``store`` and its planners' database on this session's backend."""
    from geo.store import GeoPackageStore, PostgisStore
    from webmap.catalog import Catalog

    backend = PostgisStore(_current.database(store)) if _current.name == "postgis" else GeoPackageStore(Path(store))
    return Catalog(backend, edits_path=planners_db(store), **options)


def cli_env(store: Path) -> dict[str, str]:
    """Return the environment of a ``bamako-atlas`` command working on ``store`` on this session's backend."""
    return _current.cli_env(Path(store))


def planners_db(store: Path) -> Path | str:
    """Return the planners' database of the apps serving ``store``: its ``edits.sqlite``, or its database URL."""
    return _current.edits_db(Path(store))
