"""The catalog: the atlas store loaded once, with the planners' edits laid over it.

The store (a build product) is reloaded when its stamp changes (the GeoPackage's
file stamp, the PostGIS build id: one query, so a build committed by another host
shows on the next check); the edits
database is asked for its change stamp on every access (one indexed read), so
an edit saved by any server process shows on the next request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from geo.cache import LRUCache, declared_size
from geo.planning.edits import EditStore
from geo.planning.edits.pg import database_exists, is_url
from geo.settings import Settings
from geo.store import Atlas, GeoPackageStore, StoreBackend

log = logging.getLogger(__name__)

T = TypeVar("T")
#: Bounds of the per-version memo (values that report no size count for nothing; nested caches bound themselves).
MEMO_MAX_ENTRIES = 4096
MEMO_MAX_BYTES = 1024 * 2**20


class Catalog:
    """Hold the loaded atlas and reload it when the store changes.

    The store's stamp (file (mtime, size), or build id in PostGIS) is looked at at most
    once every ``check_every_s`` seconds; the layers are re-read only when it changed and
    the new store's ``build_id`` differs. Requests never read the store themselves.
    """

    def __init__(
        self,
        store: StoreBackend | Path,
        *,
        edits_path: Path | str | None = None,
        check_every_s: float = 2.0,
        settings: Settings | None = None,
    ):
        self.settings = settings  # the planners' row cap (MAX_PLANNER_ROWS) reaches the edit store
        self.store = store if not isinstance(store, str | Path) else GeoPackageStore(Path(store))
        self.edits_path = (edits_path if is_url(edits_path) else Path(edits_path)) if edits_path else None
        self.check_every_s = check_every_s
        self._lock = threading.Lock()
        self._base: Atlas | None = None  # the store as built
        self._atlas: Atlas | None = None  # the store with the edits laid over it
        self._edits: EditStore | None = None
        self._edits_seen = -1
        self._attached_to: str | None = None
        self._stamp: object = None
        self._checked_at = 0.0
        #: Derived artefacts (payloads, documents, caches…) of the current version, keyed (version, key).
        self._memo: LRUCache[object] = LRUCache(
            MEMO_MAX_ENTRIES, MEMO_MAX_BYTES, single_flight="key", weigh=declared_size
        )

    def _edits_stamp(self) -> int:
        """Return the edits database's change stamp (0 while no planner has saved anything)."""
        if self._edits is None:
            if self.edits_path is None or not database_exists(self.edits_path):
                return 0  # never create the database on a read
            self._edits = EditStore(self.edits_path, settings=self.settings)
        return self._edits.stamp()

    @property
    def atlas(self) -> Atlas:
        """Return the current atlas (store + edits), loading or reloading it when needed."""
        now = time.monotonic()
        edits_stamp = self._edits_stamp()
        if self._atlas is not None and now - self._checked_at < self.check_every_s and edits_stamp == self._edits_seen:
            return self._atlas
        with self._lock:
            edits_stamp = self._edits_stamp()  # again: a request that read it before an edit must not undo the reload
            changed = edits_stamp != self._edits_seen
            if self._base is None or now - self._checked_at >= self.check_every_s:
                self._checked_at = now
                stamp = self.store.stamp()
                if self._base is None or stamp != self._stamp:
                    base = self.store.open()
                    if self._base is None or base.version != self._base.version:
                        log.info("atlas loaded from %s (build %s)", self.store.location, base.version)
                        self._base = base
                        changed = True
                    self._stamp = stamp
            if changed or self._atlas is None:
                self._atlas = self._overlay(self._base, edits_stamp)
                self._edits_seen = edits_stamp
                self._memo.clear()
            return self._atlas

    def _overlay(self, base: Atlas, edits_stamp: int) -> Atlas:
        if not edits_stamp:
            return base
        layers = {**base.layers, "facilities": self._attached(base).current()}
        return Atlas(layers=layers, meta={**base.meta, "edits_stamp": edits_stamp}, path=base.path)

    def _attached(self, base: Atlas) -> EditStore:
        """Return the edit store attached to ``base``'s facilities and quartiers (once per build)."""
        if self._attached_to != base.version:
            self._edits.attach(base=base["facilities"], quartiers=base["quartiers"])
            self._attached_to = base.version
        return self._edits

    def edit_store(self) -> EditStore:
        """Return the planners' edit store, attached to the current store (the database is created on first use)."""
        _ = self.atlas  # load the store first
        if self._edits is None:
            if self.edits_path is None:
                raise RuntimeError("this catalog has no edits database")
            self._edits = EditStore(self.edits_path, settings=self.settings)
        with self._lock:
            return self._attached(self._base)

    @property
    def version(self) -> str:
        """Return the build id of the loaded store (changes on rebuild)."""
        return self.atlas.version

    def memo(self, key: str, compute: Callable[[], T], *, version: str | None = None) -> T:
        """Return ``compute()`` cached under ``key`` for ``version`` (default: the current one).

        ``compute`` must derive from the atlas of ``version`` (a request passes its
        snapshot's). A result for a version that is no longer current is returned but
        not kept, so old layers are never filed under a newer version.
        """
        version = version or self.version
        current = self._atlas.version if self._atlas is not None else None
        if version != current:
            return compute()
        return self._memo.get((version, key), compute)


def current_catalog() -> Catalog:
    """Return the catalog of the current Flask app (inside a request or app context)."""
    from flask import current_app

    return current_app.extensions["atlas_catalog"]
