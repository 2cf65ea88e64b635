"""Fixtures of the edit-store tests: the tiny atlas layers and an EditStore on a fresh database."""

from __future__ import annotations

import pytest

from geo.planning.edits import EditStore
from tests.conftest import tiny_layers


@pytest.fixture
def layers():
    """Return the tiny atlas layers (3 quartiers of 1 km², 5 facilities)."""
    return tiny_layers()


@pytest.fixture
def store(blank_db, layers) -> EditStore:
    """Return an EditStore on an empty database of the session's backend, attached to the tiny layers."""
    edits = EditStore(blank_db, base=layers["facilities"], quartiers=layers["quartiers"])
    yield edits
    edits.close()


@pytest.fixture
def inside(layers) -> tuple[float, float]:
    """Return (lon, lat) of a point well inside quartier ML090101002 (EPSG:4326)."""
    point = layers["quartiers"].set_index("pcode").geometry["ML090101002"].centroid
    return point.x, point.y


def utm_lonlat(dx: float, dy: float) -> tuple[float, float]:
    """Return (lon, lat) of the point (X0 + dx, Y0 + dy) in EPSG:32629 metres."""
    from pyproj import Transformer

    from tests.conftest import X0, Y0

    lon, lat = Transformer.from_crs("EPSG:32629", "EPSG:4326", always_xy=True).transform(X0 + dx, Y0 + dy)
    return lon, lat
