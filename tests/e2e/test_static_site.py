"""The published static atlas in Chromium: served by a static server only, the map and coverage pages work."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from geo.store import write_store
from tests.backends import location
from tests.conftest import tiny_layers
from tests.e2e.conftest import PHONE, screenshot
from tests.static_server import free_port, serve
from webmap.publish import publish

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def static_site(tmp_path_factory):
    """Return the tiny atlas published and served by nginx (or the stdlib server), as ``base_url``."""
    root = tmp_path_factory.mktemp("static-site")
    meta = {"build_id": "static-1", "built_at": "2026-11-29T00:00:00+00:00", "package_version": "test",
            "sources": {}, "counts": {}}  # fmt: skip
    store = write_store(root / "atlas.gpkg", tiny_layers(), meta)
    port = free_port()
    publish(location(store), root / "site", base_url=f"http://127.0.0.1:{port}")
    with serve(root / "site", root / "server", port) as base:
        yield SimpleNamespace(base_url=base)


def test_the_map_draws_from_static_files(open_map, static_site):
    page = open_map(static_site, "/")  # waits for #atlas.ready: both map-data parts came from files
    assert page.locator("#map path.leaflet-interactive").count() >= len(tiny_layers()["quartiers"])
    assert page.locator("a.account-login").count() == 0
    english = open_map(static_site, "/index.lang-en.html")
    assert english.locator("html").get_attribute("lang") == "en"


def test_the_coverage_page_loads_its_default_view_from_files(open_map, static_site):
    page = open_map(static_site, "/couverture/", wait=False, viewport=PHONE)
    page.locator("#cov-table-body tr").first.wait_for(timeout=20_000)
    assert page.locator("#cov-table-body tr").count() == len(tiny_layers()["quartiers"])
    page.wait_for_load_state("networkidle")
    screenshot(page, "static-coverage-phone")
