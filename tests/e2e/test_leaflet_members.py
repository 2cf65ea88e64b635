"""The map pages' Leaflet build (webmap/vendor/leaflet-atlas) holds everything the atlas's scripts use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from webmap import assets

pytestmark = pytest.mark.browser

STATIC = Path(__file__).parents[2] / "webmap" / "static"
#: What the build leaves out (scripts/leaflet/build.mjs).
REMOVED = ("Canvas", "canvas", "VideoOverlay", "SVGOverlay", "Rectangle", "rectangle")


def used_names() -> set[str]:
    """Return the members of `L` that the atlas's scripts and Leaflet.markercluster use."""
    sources = [p.read_text(encoding="utf-8") for p in STATIC.rglob("*.js")]
    sources.append((assets.bundle_dir("markercluster")[0] / "leaflet.markercluster-src.js").read_text(encoding="utf-8"))
    return {m for text in sources for m in re.findall(r"\bL\.([A-Za-z]\w*)", text)}


def test_the_build_defines_every_member_the_scripts_use(open_map, real_server):
    page = open_map(real_server, "/")  # waits for the map, facilities and clusters included
    names = sorted(used_names())
    assert {"map", "polygon", "markerClusterGroup", "imageOverlay", "geoJSON", "tileLayer"} <= set(names)
    missing = page.evaluate("(names) => names.filter(n => L[n] === undefined)", names)
    assert missing == []
    assert page.evaluate("() => [L.version, L.CRS.EPSG3857.code, typeof L.noConflict]") == ["1.9.4", "EPSG:3857",
                                                                                          "function"]  # fmt: skip
    assert page.evaluate("(names) => names.filter(n => L[n] !== undefined)", list(REMOVED)) == []
    assert page.locator(".leaflet-overlay-pane svg path.quartier").count() > 50  # drawn in SVG
