"""Offline first (issue 10 §1): the default views ask nothing of another server, the basemap choice persists.

Every page here is guarded (tests/e2e/conftest.py): a request to another host,
a console error or a failed request fails the test.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PHONE, screenshot
from tests.e2e.helpers import view_params

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def shapes_requests(page) -> list[str]:
    """Return the map data requests the page made, from the browser's resource timing."""
    return page.evaluate(
        "() => performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('map-data.json'))"
    )


def test_the_default_map_draws_its_own_basemap_and_nothing_else(open_map, real_server):
    page = open_map(real_server, "/", viewport=PHONE)
    assert page.locator("#atlas.basemap-atlas").count() == 1
    assert page.locator("input[name=basemap][value=atlas]").is_checked()
    assert page.locator("path.context-river").count() == 1  # the Niger between the two banks' communes
    assert page.locator(".river-label").inner_text() == "Niger"
    assert page.locator(".leaflet-tile").count() == 0
    # the first part comes inside the page, the rest is fetched once: no second download of either
    parts = shapes_requests(page)
    assert [p.rsplit("part=", 1)[1] for p in parts] == ["rest"]
    screenshot(page, "offline-map-fr-phone")


def test_the_coverage_view_loads_offline_with_the_atlas_basemap(open_map, real_server):
    page = open_map(real_server, "/couverture", viewport=PHONE, wait=False)
    page.locator("#cov-table-body tr").first.wait_for()
    page.wait_for_selector("path.context-river", state="attached")
    assert page.locator("#cov.basemap-atlas").count() == 1
    assert page.locator("#cov-basemap").input_value() == "atlas"
    assert page.locator(".leaflet-tile").count() == 0
    screenshot(page, "offline-coverage-fr-phone")


def test_the_basemap_choice_persists_across_pages_and_visits(open_map, real_server):
    page = open_map(real_server, "/")
    page.locator("input[name=basemap][value=none]").check()
    page.wait_for_load_state("networkidle")  # leaving earlier would abort a request: a failure for the guard
    page.goto(real_server.base_url + "/")  # no basemap in the URL: the stored choice applies
    page.wait_for_selector("#atlas.ready", state="attached")
    assert page.locator("#atlas.basemap-none").count() == 1
    assert page.locator("input[name=basemap][value=none]").is_checked()
    assert view_params(page)["basemap"] == "none"
    page.goto(real_server.base_url + "/couverture")
    page.locator("#cov-table-body tr").first.wait_for()
    assert page.locator("#cov-basemap").input_value() == "none"
    page.locator("#cov-basemap").select_option("atlas")
    page.wait_for_load_state("networkidle")
    page.goto(real_server.base_url + "/?basemap=none")  # the URL's basemap wins over the stored one
    page.wait_for_selector("#atlas.ready", state="attached")
    assert page.locator("#atlas.basemap-none").count() == 1
    page.wait_for_load_state("networkidle")
    page.goto(real_server.base_url + "/")
    page.wait_for_selector("#atlas.ready", state="attached")
    assert page.locator("input[name=basemap][value=atlas]").is_checked()


def test_a_remembered_online_basemap_falls_back_silently_when_tiles_fail(open_map, real_server):
    page = open_map(real_server, "/", allow_tiles=True)
    page.evaluate("() => localStorage.setItem('bamako-atlas:basemap', 'positron')")
    page.wait_for_load_state("networkidle")
    page.goto(real_server.base_url + "/")  # a later visit (a reload would keep this page's basemap=atlas)
    page.wait_for_selector("#atlas.ready.basemap-atlas.tiles-failed", state="attached", timeout=10_000)
    assert not page.locator("#atlas-status").is_visible()  # no message: the user chose nothing on this page
    assert page.evaluate("() => localStorage.getItem('bamako-atlas:basemap')") == "positron"  # kept for online use
    assert page.locator("path.context-river").count() == 1


def test_the_atlas_basemap_names_its_landmarks_in_french_without_overlaps(open_map, real_server):
    page = open_map(real_server, "/?center=-7.99,12.64&zoom=13", viewport=PHONE)
    page.wait_for_selector(".landmark", state="attached")
    shown = page.locator(".landmark:not(.lm-hidden) span")
    names = shown.all_inner_texts()
    assert {"Pont des Martyrs", "Grande Mosquée"} <= set(names), names
    boxes = [shown.nth(i).bounding_box() for i in range(shown.count())]
    for i, a in enumerate(boxes):  # no label covers another
        for b in boxes[i + 1 :]:
            assert (
                a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"]
            ), (a, b)  # fmt: skip
    # not Tab stops, and gone with the atlas's basemap
    assert page.locator(".landmark[tabindex]").count() == 0
    screenshot(page, "landmarks-fr-phone")
    page = open_map(real_server, "/?center=-7.99,12.64&zoom=13")  # desktop: the basemap choice is in view
    page.wait_for_selector(".landmark", state="attached")
    page.locator("input[name=basemap][value=none]").check()
    assert page.locator(".landmark").count() == 0
    page.locator("input[name=basemap][value=atlas]").check()
    assert page.locator(".landmark").count() > 0
