"""The embeddable map (``/embed``) restores a view shared from ``/`` (real store, headless Chromium)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.e2e.helpers import checked_layers, drawn_markers, view_params, wait_for_param

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_toggling_layers_updates_the_url_and_embed_restores_them(open_map, real_server):
    page = open_map(real_server, "/?basemap=none")
    assert view_params(page)["layers"] == "cscom,hospitals,claec,sports"
    page.locator("input[name=layer][value=cscom]").uncheck()
    page.locator("input[name=layer][value=schools]").check()
    wait_for_param(page, "layers", "hospitals,claec,schools,sports")
    assert drawn_markers(page, "cscom") == 0
    assert drawn_markers(page, "schools") > 0
    shared = view_params(page)

    embed = open_map(real_server, "/embed?" + urlsplit(page.url).query)
    restored = view_params(embed)
    assert checked_layers(embed) == ["hospitals", "claec", "schools", "sports"]
    for key in ("layers", "indicator", "basemap", "center", "zoom"):
        assert restored[key] == shared[key], key
    assert drawn_markers(embed, "cscom") == 0
    assert drawn_markers(embed, "schools") == drawn_markers(page, "schools")
    assert drawn_markers(embed, "hospitals") == drawn_markers(page, "hospitals") > 0

    # the embed's link to the full atlas carries the same view
    full = embed.locator("#open-full").get_attribute("href")
    assert "layers=hospitals,claec,schools,sports" in full


def test_embed_in_english_keeps_its_language_in_the_full_atlas_link(open_map, real_server):
    embed = open_map(real_server, "/embed?basemap=none&lang=en&layers=claec")
    assert embed.locator("html").get_attribute("lang") == "en"
    assert checked_layers(embed) == ["claec"]
    assert drawn_markers(embed, "claec") > 0
    assert drawn_markers(embed, "cscom") == 0
    assert "lang=en" in embed.locator("#open-full").get_attribute("href")
