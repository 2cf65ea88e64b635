"""Web fixtures: an app over the tiny atlas, and its test client."""

from __future__ import annotations

import pytest

from webmap import create_app


@pytest.fixture
def app(tiny_store):
    return create_app({"TESTING": True, "ATLAS_STORE": str(tiny_store)})


@pytest.fixture
def client(app):
    return app.test_client()
