"""The shared ES module in headless Chromium: its wire decoders agree with the Python reference decoders,
and the share snippet is built from data safely (tiny atlas with a name holding markup, no mirror needed)."""

from __future__ import annotations

import re

import pytest

from geo.publication import codec

pytestmark = pytest.mark.browser

#: Import the page's shared module (by the versioned URL atlas.js uses) and decode the map data with it.
DECODE_JS = """async ([lib, dataUrl]) => {
  const m = await import(lib);
  const data = await (await fetch(dataUrl)).json();
  const d = m.decodeMapData(data);
  return {
    ids: d.F.ids, names: d.F.n, points: d.F.pts, quartiers: d.Q.n,
    shapes: data.quartiers.g.concat(data.communes.g).map(s => m.shapeLatLngs(s, d.arcs)),
  };
}"""
SNIPPET_JS = """async ([lib, src, title]) => {
  const m = await import(lib);
  const html = m.iframeSnippet(src, 480, title);
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const frames = doc.querySelectorAll('iframe');
  return {html, n: frames.length, src: frames[0].getAttribute('src'), title: frames[0].getAttribute('title'),
          others: doc.body.querySelectorAll(':not(iframe)').length};
}"""


def shared_module_url(page) -> str:
    """Return the URL of lib/shared.js exactly as the page's atlas.js imports it."""
    entry = page.locator("script[type=module][src*='/atlas.js']").get_attribute("src")
    source = page.request.get(page.guard.origin + entry).text()
    spec = re.search(r'from "\./(lib/shared\.js\?v=\w+)"', source).group(1)
    return page.guard.origin + entry.rsplit("/", 1)[0] + "/" + spec


def test_js_decoders_agree_with_the_python_reference(open_map, markup_server):
    page = open_map(markup_server, "/?basemap=none")
    data_url = page.evaluate("() => JSON.parse(document.getElementById('atlas-config').textContent).dataUrl")
    js = page.evaluate(DECODE_JS, [shared_module_url(page), data_url])
    data = page.request.get(markup_server.base_url + data_url).json()
    d = data["d"]
    assert js["ids"] == codec.decode_ids(data["f"]["id"])
    assert [[lat, lon] for lon, lat in (p.coords[0] for p in codec.decode_points(data["f"]["pt"], decimals=d))] == js[
        "points"
    ]
    assert js["names"] == data["f"]["n"].split("\n") and js["quartiers"] == data["quartiers"]["n"].split("\n")
    layers = codec.decode_topology({"arcs": data["arcs"], "layers": [data["quartiers"]["g"], data["communes"]["g"]]},
                                   decimals=d)  # fmt: skip
    shapes = [g for layer in layers for g in layer]
    assert len(shapes) == len(js["shapes"]) > 0
    for geom, rings in zip(shapes, js["shapes"], strict=True):
        parts = list(getattr(geom, "geoms", [geom]))
        expected = [[[[lat, lon] for lon, lat in ring.coords] for ring in (p.exterior, *p.interiors)] for p in parts]
        assert rings == expected


def test_the_share_snippet_keeps_data_as_attribute_values(open_map, markup_server):
    page = open_map(markup_server, "/?basemap=none")
    src = markup_server.base_url + '/embed?layers=cscom&focus="><img src=x onerror=alert(1)>&lang=fr'
    got = page.evaluate(SNIPPET_JS, [shared_module_url(page), src, 'Carte "Bamako" <b>&</b>'])
    assert got["n"] == 1 and got["others"] == 0
    assert got["src"] == src and got["title"] == 'Carte "Bamako" <b>&</b>'
    assert (
        got["html"].startswith('<iframe src="')
        and 'width="100%" height="480" style="border:0" loading="lazy"' in got["html"]
    )
    page.locator("#share-open").click()
    snippet = page.locator("#share-iframe").input_value()
    assert snippet.startswith('<iframe src="' + markup_server.base_url + "/embed?") and "&amp;basemap=none" in snippet


def test_coverage_switches_basemaps_as_the_map_does(open_map, markup_server):
    page = open_map(markup_server, "/couverture?basemap=none", wait=False, allow_tiles=True)
    page.locator("#cov-table-body tr").first.wait_for()
    snippet = page.locator("#cov-iframe").input_value()
    assert snippet.startswith('<iframe src="' + markup_server.base_url + "/embed/couverture?kind=")
    assert 'height="520"' in snippet and "&amp;threshold_m=" in snippet
    page.locator("#cov-basemap").select_option("osm")
    page.wait_for_selector("#cov.tiles-failed.basemap-atlas", state="attached", timeout=10_000)  # offline: tiles fail
    assert page.locator("#cov-status").is_visible() and "fond de l'atlas" in page.locator("#cov-status").inner_text()
    assert page.locator("#cov-basemap").input_value() == "atlas" and "basemap=osm" not in page.url
    page.locator("#cov-basemap").select_option("none")
    assert page.locator("#cov.basemap-none:not(.tiles-failed)").count() == 1
