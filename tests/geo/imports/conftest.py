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
def edit_store(tmp_path, layers) -> EditStore:
    """Return an EditStore on an empty database, attached to the tiny facilities and quartiers."""
    store = EditStore(tmp_path / "edits.sqlite", base=layers["facilities"], quartiers=layers["quartiers"])
    yield store
    store.close()
