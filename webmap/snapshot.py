"""One request, one snapshot: the atlas and its version taken once per request.

Every view and config builder derives from ``snapshot()``, so a request never
mixes two versions of the atlas, and what it memoises is filed under the version
it was computed from (an edit saved meanwhile shows on the next request).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import g

from geo.analysis.travel import RoadLayer
from geo.planning.imports import current_road_layer
from geo.store import Atlas
from webmap.catalog import Catalog, current_catalog

T = TypeVar("T")


@dataclass(frozen=True)
class Snapshot:
    """The atlas a request reads, with the memo of its version."""

    atlas: Atlas
    catalog: Catalog

    @property
    def version(self) -> str:
        """Return the version of the pinned atlas."""
        return self.atlas.version

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """Return ``compute()`` (derived from ``self.atlas``) cached under ``key`` for this version."""
        return self.catalog.memo(key, compute, version=self.version)

    @property
    def roads(self) -> RoadLayer | None:
        """Return the planners' current road layer (None without one), looked up once per version.

        A road import moves the edits' change stamp, hence the version.
        """
        path = self.catalog.edits_path
        return None if path is None else self.memo("roads", lambda: current_road_layer(path))


def snapshot() -> Snapshot:
    """Return the current request's snapshot, taking it on first use."""
    snap = g.get("atlas_snapshot")
    if snap is None:
        catalog = current_catalog()
        snap = g.atlas_snapshot = Snapshot(catalog.atlas, catalog)
    return snap
