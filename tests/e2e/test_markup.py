"""Names holding markup stay text in the browser (tiny atlas; no mirror needed)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import MARKUP_NAME, screenshot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["/", "/embed"])
def test_a_name_with_markup_is_shown_literally_and_never_runs(open_map, markup_server, path):
    page = open_map(markup_server, path + "?basemap=none&layers=cscom,other_health")
    marker = page.locator("#map .fac-cscom")
    assert marker.count() == 1
    assert marker.get_attribute("title") == MARKUP_NAME

    page.locator("#q").press_sequentially("onerror")
    result = page.locator("#q-results [role=option] .r-label").first
    result.wait_for()
    assert result.inner_text() == MARKUP_NAME
    page.locator("#q").press("Enter")
    title = page.locator(".leaflet-popup-content h3")
    title.wait_for()
    assert title.inner_text() == MARKUP_NAME
    assert page.locator(".leaflet-popup-content img, #q-results img").count() == 0
    screenshot(page, f"markup{'-embed' if path == '/embed' else ''}-popup")

    page.locator("#q").fill("kanu")
    result.wait_for()
    assert result.inner_text() == "Pharmacie <b>Kanu</b>"
    assert page.locator("#q-results b").count() == 0
    page.wait_for_timeout(200)  # an injected onerror handler would have fired by now
    assert page.guard.dialogs == []
