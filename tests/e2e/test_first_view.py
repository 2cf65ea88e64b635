"""Issue 10 §6: the first view fills a phone with the District; the keyboard is not sent through 71 polygons."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PHONE_390 = {"width": 390, "height": 844}
#: The union of the quartiers' on-screen boxes, and the map's box.
BOXES = """() => {
  const boxes = [...document.querySelectorAll('path.quartier')].map(p => p.getBoundingClientRect());
  const m = document.getElementById('map').getBoundingClientRect();
  return {left: Math.min(...boxes.map(b => b.left)), right: Math.max(...boxes.map(b => b.right)),
          top: Math.min(...boxes.map(b => b.top)), bottom: Math.max(...boxes.map(b => b.bottom)),
          mapLeft: m.left, mapRight: m.right, mapTop: m.top, mapBottom: m.bottom};
}"""


@pytest.mark.parametrize("path", ["/", "/couverture"])
def test_the_district_fills_a_phone_screen(open_map, real_server, path):
    page = open_map(real_server, path, viewport=PHONE_390, wait=path == "/")
    page.wait_for_selector("path.quartier", state="attached", timeout=20_000)
    page.wait_for_load_state("networkidle")
    b = page.evaluate(BOXES)
    width, map_width = b["right"] - b["left"], b["mapRight"] - b["mapLeft"]
    assert b["left"] >= b["mapLeft"] - 1 and b["right"] <= b["mapRight"] + 1  # all of it is on screen
    assert width >= 0.8 * map_width, (width, map_width)  # not a third of the screen: whole zoom steps gave ~0.6
    screenshot(page, f"first-view-phone{path.replace('/', '-')}")


def test_a_fractional_first_zoom_reloads_as_written(open_map, real_server):
    page = open_map(real_server, "/", viewport=PHONE_390)
    zoom = page.evaluate("() => new URLSearchParams(location.search).get('zoom')")
    page.wait_for_load_state("networkidle")
    page.reload()
    page.wait_for_selector("#atlas.ready", state="attached")
    assert page.evaluate("() => new URLSearchParams(location.search).get('zoom')") == zoom


def test_polygons_are_not_tab_stops_and_the_search_reaches_them(open_map, real_server):
    page = open_map(real_server, "/")
    assert page.locator("path.quartier").count() > 60
    assert page.locator("path.quartier:not([tabindex='-1'])").count() == 0
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate("() => document.activeElement.className.baseVal ?? document.activeElement.className")
        )
        if "leaflet-control-zoom-in" in reached[-1]:
            break
    assert "leaflet-control-zoom-in" in reached[-1], reached
    assert not any("quartier" in r for r in reached)
    page.locator("#q").fill("Faladj")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.locator(".leaflet-popup-content").wait_for()


@pytest.mark.parametrize("path", ["/", "/donnees", "/communes/ML090105"])
def test_the_phone_header_shows_the_whole_name(open_map, real_server, path):
    page = open_map(real_server, path, viewport=PHONE_390, wait=False)
    brand = page.locator(".site-header .brand")
    assert brand.inner_text().split() == ["Atlas", "de", "Bamako"]
    fits = "e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight"
    assert brand.evaluate(fits), "the name is cut (« Atl… »)"
    header, nav = page.locator(".site-header").bounding_box(), page.locator(".site-nav").bounding_box()
    assert nav["x"] + nav["width"] <= header["width"] + 0.5  # and the links still fit beside it
    page.wait_for_load_state("networkidle")
