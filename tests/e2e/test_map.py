"""The map page (``/``) in headless Chromium over the real store: drawing, search, language, keyboard, phone."""

from __future__ import annotations

import re

import geopandas as gpd
import pytest

from tests.e2e.conftest import DESKTOP, PHONE, screenshot
from tests.e2e.helpers import (
    box_inside,
    checked_layers,
    close_panel,
    drawn_markers,
    markers_in_view,
    on_top,
    open_panel,
    quartier_paths,
    view_params,
    wait_for_param,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]

DEVICES = {"desktop": DESKTOP, "phone": PHONE}
PLACEHOLDER = {"fr": "Rechercher", "en": "Search"}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("path", ["/", "/embed"])
def test_map_draws_every_quartier_each_cscom_and_the_legend(open_map, real_server, expected, path, lang, device):
    query = "?basemap=none" + ("&lang=en" if lang == "en" else "")  # French comes from Accept-Language
    page = open_map(real_server, path + query, viewport=DEVICES[device], lang=lang)
    name = f"{'map' if path == '/' else 'embed'}-{lang}-{device}"
    screenshot(page, name)

    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("#q").get_attribute("placeholder").startswith(PLACEHOLDER[lang])
    lengths = quartier_paths(page)
    assert len(lengths) == expected.quartiers == 71
    assert min(lengths) > 20, "every quartier polygon has an outline"
    assert drawn_markers(page, "cscom") == expected.cscom_located
    assert markers_in_view(page, "cscom") >= expected.cscom_in_analysis, "the District's CSCOM are in view"
    assert "OCHA COD-AB" in page.locator(".leaflet-control-attribution").inner_text()

    if open_panel(page):
        screenshot(page, name + "-panel")
    controls = ["#panel-toggle", "#indicator", "input[name=layer]", ".leaflet-control-zoom-in", ".btn-fullscreen", "#q"]
    if device == "desktop":
        controls.append(".leaflet-control-attribution")
    hidden = [c for c in controls if page.locator(c).first.is_visible() and not on_top(page, c)]
    assert hidden == [], "with the panel open these controls are covered"
    legend = page.locator("#legend .legend-classes li")
    assert legend.count() >= 3
    legend.first.scroll_into_view_if_needed()
    assert legend.first.is_visible()
    assert page.locator("[data-count=cscom]").inner_text() == f"({expected.cscom_located})"


def test_search_finds_faladje_when_typing_faladie(open_map, real_server):
    page = open_map(real_server, "/?basemap=none")
    page.locator("#q").press_sequentially("faladie")
    first = page.locator("#q-results [role=option] .r-label").first
    first.wait_for()
    assert first.inner_text() == "Faladjè"
    page.locator("#q").press("Enter")
    popup = page.locator(".leaflet-popup-content .q-summary strong")
    popup.wait_for()
    assert popup.inner_text() == "Faladjè"
    # the estimate is rounded and carries its interval: « ~25 000 hab. (11 000–46 000) »
    summary = page.locator(".leaflet-popup-content .q-summary").inner_text().replace("\u202f", " ")
    assert re.search(r"~\d{1,3}(?: \d{3})* hab\. \(\d{1,3}(?: \d{3})*–\d{1,3}(?: \d{3})*\)", summary), summary
    # the map frames the quartier (the URL follows once the zoom animation ends)
    page.wait_for_function("() => Number(new URLSearchParams(location.search).get('zoom')) > 13", timeout=5_000)


def test_language_switch_keeps_the_view(open_map, real_server):
    page = open_map(real_server, "/?basemap=none&layers=cscom,schools&indicator=per10k&kind=cscom")
    zoom = float(view_params(page)["zoom"])  # the District's fit: quarter steps
    page.locator(".leaflet-control-zoom-in").click()
    wait_for_param(page, "zoom", f"{zoom + 1:g}")
    before = view_params(page)

    page.locator("a[data-lang=en]").click()
    page.wait_for_url("**lang=en**")
    page.wait_for_selector("#atlas.ready", state="attached")
    after = view_params(page)
    assert page.locator("html").get_attribute("lang") == "en"
    assert after["lang"] == "en"
    for key in ("layers", "indicator", "kind", "basemap", "zoom"):
        assert after[key] == before[key], key
    lon0, lat0 = map(float, before["center"].split(","))  # lon,lat like bbox and add
    lon1, lat1 = map(float, after["center"].split(","))
    assert -8.6 < lon0 < -7.3 and 12.0 < lat0 < 13.3  # the URL keeps longitude first
    assert abs(lat0 - lat1) < 1e-4 and abs(lon0 - lon1) < 1e-4
    assert checked_layers(page) == ["cscom", "schools"]
    assert page.locator("#indicator").input_value() == "per10k:cscom"
    assert page.locator("#legend .legend-title").inner_text().startswith("CSCOM per 10,000")


def test_keyboard_reaches_a_layer_checkbox_and_toggles_it(open_map, real_server, expected):
    page = open_map(real_server, "/?basemap=none")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "layer":
            break
    else:
        pytest.fail("30 Tab presses never reached a layer checkbox")
    layer = page.evaluate("document.activeElement.value")
    assert layer == "cscom"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "keyboard focus is visible"
    page.keyboard.press("Space")
    wait_for_param(page, "layers", "hospitals,claec,sports")
    assert drawn_markers(page, "cscom") == 0
    page.keyboard.press("Space")
    wait_for_param(page, "layers", "cscom,hospitals,claec,sports")
    assert drawn_markers(page, "cscom") == expected.cscom_located


def test_phone_controls_are_reachable_and_a_popup_fits(open_map, real_server, real_store):
    width, height = PHONE["width"], PHONE["height"]
    page = open_map(real_server, "/?basemap=none", viewport=PHONE)
    for selector in ("#q", "#panel-toggle", ".leaflet-control-zoom-in", ".btn-fullscreen", "a[data-lang=en]"):
        control = page.locator(selector)
        assert control.is_visible(), selector
        assert box_inside(control.bounding_box(), width, height), selector

    open_panel(page)
    boxes = page.locator("input[name=layer]")
    for i in range(boxes.count()):
        boxes.nth(i).scroll_into_view_if_needed()
        assert box_inside(boxes.nth(i).bounding_box(), width, height), f"layer checkbox {i}"
    page.locator("input[name=layer][value=schools]").check()
    wait_for_param(page, "layers", "cscom,hospitals,claec,schools,sports")
    close_panel(page)

    # the longest CSCOM name makes the widest popup
    fac = gpd.read_file(real_store, layer="facilities")
    located = fac[(fac["kind"] == "cscom") & ~(fac.geometry.isna() | fac.geometry.is_empty)]
    name = max(located["name"].dropna(), key=len)
    page.locator("#q").fill(name)
    page.locator("#q-results [role=option]", has_text=name).first.click()
    popup = page.locator(".leaflet-popup")
    popup.wait_for()
    page.wait_for_timeout(400)  # let the popup's auto-pan finish
    assert page.locator(".leaflet-popup-content h3").inner_text() == name
    assert box_inside(popup.bounding_box(), width, height), "the popup fits the phone screen"
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.leaflet-popup-content')).fontSize)")
    assert size >= 12
    screenshot(page, "map-fr-phone-popup")


def test_an_online_basemap_offline_falls_back_to_the_atlas_basemap(open_map, real_server):
    page = open_map(real_server, "/?basemap=none", allow_tiles=True)
    # click, not check(): the failed tiles may switch the radio back before check() looks at it
    page.locator("input[name=basemap][value=osm]").click()
    page.wait_for_selector("#atlas.tiles-failed.basemap-atlas", state="attached", timeout=10_000)
    assert page.locator("#atlas-status").is_visible()
    assert "fond de l'atlas" in page.locator("#atlas-status").inner_text()
    assert page.locator("input[name=basemap][value=atlas]").is_checked()
    assert page.locator("path.context-river").count() == 1
    wait_for_param(page, "basemap", "atlas")


def test_a_coverage_share_has_the_coverage_pages_fills_on_the_main_map(open_map, real_server):
    from geo.analysis.coverage.formats import SHARE_COLORS

    page = open_map(real_server, "/?basemap=none&indicator=cover2km&kind=cscom")
    page.locator("#legend .legend-classes li").first.wait_for(state="attached")
    fills = page.evaluate(
        "() => [...document.querySelectorAll('#legend .legend-classes .swatch')].slice(0, 5)"
        ".map(s => getComputedStyle(s).backgroundColor)"
    )
    rgb = [f"rgb({int(c[1:3], 16)}, {int(c[3:5], 16)}, {int(c[5:7], 16)})" for c in SHARE_COLORS]
    assert fills == rgb
