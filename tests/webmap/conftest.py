"""Web fixtures: an app over the tiny atlas on the session's backend, its test client, its planners' database."""

from __future__ import annotations

import pytest

from tests.backends import app_config
from webmap import create_app


@pytest.fixture
def app(tiny_store):
    return create_app(app_config(tiny_store, TESTING=True))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(edits_db):
    """Return the planners' database of the apps over the tiny atlas (edits.sqlite, or its PostGIS database)."""
    return edits_db
