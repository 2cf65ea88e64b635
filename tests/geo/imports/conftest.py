"""Fixtures of the import tests: the tiny atlas layers and an EditStore on a fresh database."""

from __future__ import annotations

import pytest

from geo.planning.edits import EditStore
from tests.conftest import tiny_layers


@pytest.fixture
def layers():
    """Return the tiny atlas layers (3 quartiers of 1 km², 5 facilities)."""
    return tiny_layers()


@pytest.fixture
def quartiers(layers):
    """Return the tiny quartiers (EPSG:4326)."""
    return layers["quartiers"]


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def edit_store(request, tmp_path, layers) -> EditStore:
    """Return an EditStore on an empty database (SQLite, then PostgreSQL), attached to the tiny layers."""
    where = request.getfixturevalue("pg_url") if request.param == "postgis" else tmp_path / "edits.sqlite"
    store = EditStore(where, base=layers["facilities"], quartiers=layers["quartiers"])
    yield store
    store.close()
