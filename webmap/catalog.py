"""The read-only catalog: the atlas store loaded once, reloaded when it is rebuilt."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from geo.store import Atlas, open_store

log = logging.getLogger(__name__)


class Catalog:
    """Hold the loaded atlas and reload it when the store file changes.

    The file's (mtime, size) is looked at most once every ``check_every_s``
    seconds; the layers are re-read only when it changed and the new store's
    ``build_id`` differs. Requests never read the store themselves.
    """

    def __init__(self, path: Path, *, check_every_s: float = 2.0):
        self.path = Path(path)
        self.check_every_s = check_every_s
        self._lock = threading.Lock()
        self._atlas: Atlas | None = None
        self._stamp: tuple[int, int] | None = None
        self._checked_at = 0.0
        #: Per-version memo for derived artefacts (simplified geometries, exports…).
        self._memo: dict[str, object] = {}

    def _file_stamp(self) -> tuple[int, int]:
        st = self.path.stat()
        return (st.st_mtime_ns, st.st_size)

    @property
    def atlas(self) -> Atlas:
        """Return the current atlas, loading or reloading it when needed."""
        now = time.monotonic()
        if self._atlas is not None and now - self._checked_at < self.check_every_s:
            return self._atlas
        with self._lock:
            self._checked_at = now
            stamp = self._file_stamp()
            if self._atlas is None or stamp != self._stamp:
                atlas = open_store(self.path)
                if self._atlas is None or atlas.version != self._atlas.version:
                    log.info("atlas loaded from %s (build %s)", self.path, atlas.version)
                    self._atlas = atlas
                    self._memo = {}
                self._stamp = stamp
            return self._atlas

    @property
    def version(self) -> str:
        """Return the build id of the loaded store (changes on rebuild)."""
        return self.atlas.version

    def memo(self, key: str, compute):
        """Return ``compute()`` cached for the current store version under ``key``."""
        version = self.version
        full_key = f"{version}:{key}"
        try:
            return self._memo[full_key]
        except KeyError:
            value = self._memo[full_key] = compute()
            return value


def current_catalog() -> Catalog:
    """Return the catalog of the current Flask app (inside a request or app context)."""
    from flask import current_app

    return current_app.extensions["atlas_catalog"]
