"""Issue 10's « Done when »: from ``/`` with no internet, the data and the slide are reached by clicks only.

The guard (tests/e2e/conftest.py) aborts every request to another host and
fails the test on any console error, failed request or HTTP error on the way.
A download is checked by the status and type of what its link serves.
"""

from __future__ import annotations

import io
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from tests.e2e.conftest import PHONE, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.integration]

COMMUNE_V = "ML090105"


def _download(page, link) -> tuple[str, object]:
    """Click ``link`` (a download) and return its URL and the server's answer to it."""
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.failure() is None
    return download.url, page.request.get(download.url)


def _to_data_page(page) -> None:
    with page.expect_navigation():
        page.get_by_role("link", name="Données", exact=True).click()
    page.wait_for_load_state("networkidle")


def test_cscom_geojson_is_two_clicks_from_the_map(open_map, real_server, expected):
    page = open_map(real_server, "/")
    _to_data_page(page)
    row = page.locator("table.data-layers tbody tr").filter(has_text="CSCOM").first
    url, resp = _download(page, row.get_by_role("link", name="GeoJSON", exact=True))
    assert resp.status == 200 and "geo+json" in resp.headers["content-type"]
    features = json.loads(resp.body())["features"]
    assert features and {f["properties"]["kind"] for f in features} == {"cscom"}
    assert len(features) >= expected.cscom_in_analysis


def test_partner_package_is_two_clicks_from_the_map(open_map, real_server):
    page = open_map(real_server, "/")
    _to_data_page(page)
    url, resp = _download(page, page.get_by_role("link", name="Paquet (LISEZ-MOI en français)"))
    assert resp.status == 200 and resp.headers["content-type"] == "application/zip"
    assert resp.body()[:2] == b"PK"


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_commune_v_image_is_reached_by_clicks(open_map, real_server, viewport):
    page = open_map(real_server, "/", **({"viewport": viewport} if viewport else {}))
    _to_data_page(page)
    with page.expect_navigation():
        page.locator(".data-page").get_by_role("link", name="Commune V", exact=True).click()
    page.wait_for_selector("#atlas.ready", state="attached", timeout=20_000)
    assert urlsplit(page.url).path == f"/communes/{COMMUNE_V}"
    menu = page.locator("[data-print=map-print]").locator("visible=true")
    if not menu.count():  # on a phone the menu lives in the folded panel
        page.locator("#panel-toggle").click()
    url, resp = _download(page, page.locator("[data-print=map-print]:visible a[data-print-fmt=png]"))
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert urlsplit(url).path == "/maps/view.png" and query["focus"] == COMMUNE_V
    assert resp.status == 200 and resp.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(resp.body())).format == "PNG"
    screenshot(page, f"journey-commune-v-{'phone' if viewport else 'desktop'}")
