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


@pytest.fixture
def edit_store(blank_db, layers) -> EditStore:
    """Return an EditStore on an empty database of the session's backend, attached to the tiny layers."""
    store = EditStore(blank_db, base=layers["facilities"], quartiers=layers["quartiers"])
    yield store
    store.close()
