"""The « Image de cette vue » menus draw what is on screen (real store, headless Chromium)."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def _query(href: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}


def test_commune_page_gives_a_focused_slide(open_map, real_server):
    page = open_map(real_server, "/communes/ML090105?basemap=none")
    menu = page.locator("[data-print=map-print]")
    if not menu.is_visible():
        page.locator("#panel-toggle").click()
    page.select_option("#map-print-size", "slide-16x9")
    link = menu.locator("a[data-print-fmt=png]")
    href = link.get_attribute("href")
    query = _query(href)
    assert urlsplit(href).path == "/maps/view.png"
    assert query["focus"] == "ML090105" and query["size"] == "slide-16x9"
    assert "zoom" in query and "center" in query and "basemap" not in query
    resp = page.request.get(real_server.base_url + href)
    assert resp.status == 200
    assert Image.open(io.BytesIO(resp.body())).size == (1920, 1080)


def test_main_map_image_follows_the_view(open_map, real_server):
    page = open_map(real_server, "/?basemap=none&center=-7.98,12.60&zoom=13&layers=cscom")
    page.locator("#share-open").click()
    page.select_option("#map-print-size", "A3-landscape")
    href = page.locator("[data-print=map-print] a[data-print-fmt=pdf]").get_attribute("href")
    query = _query(href)
    assert urlsplit(href).path == "/maps/view.pdf"
    assert query["zoom"] == "13" and query["layers"] == "cscom" and query["size"] == "A3-landscape"


def test_coverage_image_carries_the_scenario_and_the_view(open_map, real_server):
    page = open_map(real_server, "/couverture?kind=cscom&threshold_m=1000&basemap=none", wait=False)
    page.wait_for_selector("[data-print=cov-print]")
    page.select_option("#cov-print-size", "slide-4x3")
    link = page.locator("[data-print=cov-print] a[data-print-fmt=png]")
    link.hover()
    href = link.get_attribute("href")
    query = _query(href)
    assert urlsplit(href).path == "/maps/coverage.png"
    assert query["kind"] == "cscom" and query["threshold_m"] == "1000" and query["size"] == "slide-4x3"
    assert "center" in query and "zoom" in query
    resp = page.request.get(real_server.base_url + href)
    assert resp.status == 200 and Image.open(io.BytesIO(resp.body())).size == (1440, 1080)
