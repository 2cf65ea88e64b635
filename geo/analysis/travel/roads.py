"""A road layer for the travel-time engine: ``highway=*`` lines and the version that keys every cache built on them."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np

from geo.analysis.travel.raster import Raster
from geo.analysis.travel.speeds import rasterise_roads
from geo.cache import LRUCache

_rasters: LRUCache = LRUCache(8, None, single_flight="key")


@dataclass(frozen=True, eq=False)
class RoadLayer:
    """Road lines (a ``highway`` column, any CRS) and their version (a new import → a new version).

    Networks and travel times built on a layer are cached under its version, so
    replacing the layer invalidates them.
    """

    lines: gpd.GeoDataFrame
    version: str

    def __len__(self) -> int:
        return len(self.lines)

    def raster(self, raster: Raster) -> np.ndarray:
        """Return the road raster of the lines on ``raster`` (``rasterise_roads``), computed once per version."""
        return _rasters.get((self.version, raster), lambda: rasterise_roads(self.lines, raster))
