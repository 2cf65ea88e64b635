"""The published static atlas in Chromium: served by a static server only, the map and coverage pages work.

Side by side with the live atlas on the same store: the same shapes drawn, no more bytes, no failed request.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from geo.store import write_store
from tests.backends import location
from tests.conftest import tiny_layers
from tests.e2e.conftest import PHONE, screenshot, start_server, stop_server
from tests.static_server import NGINX, free_port, serve
from webmap.publish import publish

pytestmark = pytest.mark.browser


#: What the map draws, by kind of shape.
SHAPES = {"paths": "#map path.leaflet-interactive", "markers": "#map .leaflet-marker-icon",
          "labels": "#map .leaflet-tooltip"}  # fmt: skip


@pytest.fixture(scope="module")
def static_site(tmp_path_factory):
    """Return the tiny atlas published and served by nginx (or the stdlib server), as ``base_url``, and its store."""
    root = tmp_path_factory.mktemp("static-site")
    meta = {"build_id": "static-1", "built_at": "2026-11-29T00:00:00+00:00", "package_version": "test",
            "sources": {}, "counts": {}}  # fmt: skip
    store = write_store(root / "atlas.gpkg", tiny_layers(), meta)
    port = free_port()
    publish(location(store), root / "site", base_url=f"http://127.0.0.1:{port}")
    with serve(root / "site", root / "server", port) as base:
        yield SimpleNamespace(base_url=base, store=store)


@pytest.fixture(scope="module")
def live_site(static_site, tmp_path_factory):
    """Return the live atlas (waitress) over the store the static site was published from."""
    server = start_server(static_site.store, tmp_path_factory.mktemp("static-live") / "server.log")
    yield server
    stop_server(server)


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


def _drawn(page) -> dict[str, int]:
    return {name: page.locator(selector).count() for name, selector in SHAPES.items()}


def _weighed(open_map, site, path: str, ready: str | None) -> tuple[object, dict[str, int]]:
    """Open ``path`` and return the page and its weight: decoded and transferred bytes of every response.

    The weight compared is the decoded one (the content): how it is compressed on the wire is the host's choice.
    """
    responses = []
    page = open_map(site, path, wait=ready is None, responses=responses)
    if ready is not None:
        page.locator(ready).first.wait_for(timeout=20_000)
    page.wait_for_load_state("networkidle")
    assert all(r.ok for r in responses), [(r.url, r.status) for r in responses if not r.ok]
    fetched: dict[str, object] = {}
    for response in responses:  # a URL asked twice (the favicon, at times) comes from the cache the second time
        fetched.setdefault(response.url, response)
    decoded = sum(len(r.body()) for r in fetched.values())
    sent = sum(r.request.sizes()["responseBodySize"] for r in fetched.values())
    return page, {"requests": len(fetched), "decoded": decoded, "sent": sent}


@pytest.mark.parametrize(("live_path", "static_path", "ready"), [
    ("/", "/", None),
    ("/?lang=en", "/index.lang-en.html", None),
    ("/couverture", "/couverture/", "#cov-table-body tr"),
])  # fmt: skip
def test_the_static_site_draws_what_the_live_one_does_with_no_more_bytes(
    open_map, static_site, live_site, live_path, static_path, ready
):
    live, live_weight = _weighed(open_map, live_site, live_path, ready)
    static, static_weight = _weighed(open_map, static_site, static_path, ready)
    assert _drawn(static) == _drawn(live) and _drawn(live)["paths"] > 0
    assert static_weight["requests"] <= live_weight["requests"]
    if ready is None:  # the map pages: not one byte more
        assert static_weight["decoded"] <= live_weight["decoded"], (static_weight, live_weight)
    else:  # the coverage page carries the table of the files written for each kind's default view (the live page
        # asks the server instead), a few hundred bytes per kind whatever the store's size, and its files' content
        # hashes lengthen a few names (images in the stylesheets, links in the coverage answer): 0.1 % at most
        table = len(re.search(r'"site": [{][^}]*[}]', static.content())[0])
        assert static_weight["decoded"] <= (live_weight["decoded"] + table) * 1.001, (static_weight, live_weight)
    if NGINX:  # nginx compresses with the snippet publish writes (gzip; the live atlas sends brotli to Chromium)
        assert static_weight["sent"] < static_weight["decoded"] / 3, static_weight
    # failed requests and HTTP errors of both sites are recorded by open_map's guard and fail the test
