"""A hand-made store with a river and one bridge, for the travel-time service tests.

``tiny_layers`` (tests/conftest.py) with Commune II renamed Commune V (right bank): the
boundary x = 2000 m between the communes is the river, crossed only at a bridge at its
north end (2000, 950), which replaces ``data/crossings.csv``.
"""

from __future__ import annotations

import numpy as np
from pyproj import Transformer

from geo.analysis.travel.crossings import Crossing
from geo.store import write_store
from geo.vocabulary import METRIC_CRS
from tests.conftest import X0, Y0, tiny_layers

S_PER_M = 3.6 / 4.0 * 1.3  # walking 4 km/h, detour 1.3
_TO_LONLAT = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)


def lonlat(dx: float, dy: float) -> str:
    """Return "lon,lat" of the point dx, dy metres from the tiny atlas's origin."""
    lon, lat = _TO_LONLAT.transform(X0 + dx, Y0 + dy)
    return f"{lon:.6f},{lat:.6f}"


def _bridge() -> Crossing:
    lon, lat = _TO_LONLAT.transform(X0 + 2000, Y0 + 950)
    return Crossing("pont", "bridge", lat, lon, "coordinates", "https://example.org", "")


def write_river_store(tmp_path, monkeypatch):
    """Write the river store and make its bridge the only crossing; return its path."""
    layers = tiny_layers()
    for name in ("communes", "quartiers", "facilities"):
        frame = layers[name]
        for column in ("pcode", "commune_pcode", "quartier_pcode"):
            if column in frame.columns:
                frame[column] = frame[column].str.replace("ML090102", "ML090105", regex=False)
    monkeypatch.setattr("geo.analysis.travel.surface.read_crossings", lambda: (_bridge(),))
    meta = {"build_id": "river-1", "built_at": "2026-12-04T00:00:00+00:00", "package_version": "test",
            "sources": {}, "counts": {}}  # fmt: skip
    return write_store(tmp_path / "river.gpkg", layers, meta)


def _cell(state, dx: float, dy: float) -> int:
    return int(np.argmin(np.hypot(state.grid.x - (X0 + dx), state.grid.y - (Y0 + dy))))
