"""Page queries shared by the browser tests (selectors follow webmap/static/atlas.js)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

#: Facility markers carry ``fac-<layer>``; cluster icons ``cluster-<layer>`` with ``data-n`` on their badge.
COUNT_MARKERS_JS = """key => {
  const pane = document.querySelector('#map .leaflet-marker-pane');
  let n = pane.querySelectorAll('.fac-' + key).length;
  pane.querySelectorAll('.cluster-' + key + ' .cluster-badge').forEach(b => { n += Number(b.dataset.n); });
  return n;
}"""

MARKERS_IN_VIEW_JS = """key => {
  const m = document.getElementById('map').getBoundingClientRect();
  return [...document.querySelectorAll('#map .leaflet-marker-pane .fac-' + key)].filter(e => {
    const r = e.getBoundingClientRect();
    return r.right > m.left && r.left < m.right && r.bottom > m.top && r.top < m.bottom;
  }).length;
}"""

#: Lengths of the ``d`` attribute of every quartier polygon (Leaflet's SVG renderer).
QUARTIER_PATHS_JS = (
    "() => [...document.querySelectorAll('#map path.quartier')].map(p => (p.getAttribute('d') || '').length)"
)


def drawn_markers(page, layer: str) -> int:
    """Return how many facilities of map layer ``layer`` are drawn (single markers plus clustered ones)."""
    return page.evaluate(COUNT_MARKERS_JS, layer)


def markers_in_view(page, layer: str) -> int:
    """Return how many single markers of ``layer`` lie inside the map's box."""
    return page.evaluate(MARKERS_IN_VIEW_JS, layer)


def quartier_paths(page) -> list[int]:
    """Return the ``d`` lengths of the quartier polygons drawn."""
    return page.evaluate(QUARTIER_PATHS_JS)


def view_params(page) -> dict[str, str]:
    """Return the page's current URL parameters (kept in sync by history.replaceState)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def wait_for_param(page, name: str, value: str) -> None:
    """Wait until the URL parameter ``name`` equals ``value``."""
    page.wait_for_function(
        "([n, v]) => new URLSearchParams(location.search).get(n) === v", arg=[name, value], timeout=5_000
    )


def checked_layers(page) -> list[str]:
    """Return the layer checkboxes that are ticked."""
    return page.eval_on_selector_all("input[name=layer]:checked", "els => els.map(e => e.value)")


def open_panel(page) -> bool:
    """Open the layers panel if it is closed (drawer on phones and embeds); return whether it was closed."""
    if page.locator("#panel").is_visible():
        return False
    page.locator("#panel-toggle").click()
    page.locator("#panel").wait_for(state="visible")
    return True


def close_panel(page) -> None:
    """Close the layers panel if it is open as a drawer."""
    if page.locator("#panel").is_visible() and page.locator("#panel-toggle").is_visible():
        page.locator("#panel-toggle").click()
        page.locator("#panel").wait_for(state="hidden")


def box_inside(box: dict, width: int, height: int, *, slack: float = 0.5) -> bool:
    """Return whether a bounding box lies within the viewport ``width`` × ``height``."""
    return (
        box["x"] >= -slack
        and box["y"] >= -slack
        and box["x"] + box["width"] <= width + slack
        and box["y"] + box["height"] <= height + slack
    )


ON_TOP_JS = """el => {
  el.scrollIntoView({block: 'nearest'});
  const r = el.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return hit !== null && (hit === el || el.contains(hit) || hit.contains(el) && hit.tagName === 'LABEL');
}"""


def on_top(page, selector: str) -> bool:
    """Return whether the first element matching ``selector`` is what a tap at its centre would hit."""
    return page.locator(selector).first.evaluate(ON_TOP_JS)


# ------------------------------------------------------------------ editing (webmap/static/edit.js)
#: Page pixel of a lat/lon on the map, after moving the map so that the point lies in the middle of the part
#: the editor does not cover (the editor is a column on the left, a bottom sheet on phones).
MAP_POINT_JS = """([lat, lon]) => {
  const m = BamakoAtlas.map;
  const r = document.getElementById('map').getBoundingClientRect();
  let left = r.left, right = r.right, top = r.top, bottom = r.bottom;
  const panel = document.getElementById('edit-panel');
  if (panel && !panel.hidden) {
    const e = panel.getBoundingClientRect();
    if (e.width < r.width * 0.8) left = Math.max(left, e.right); else bottom = Math.min(bottom, e.top);
  }
  m.setView([lat, lon], m.getZoom(), {animate: false});
  const c = m.latLngToContainerPoint([lat, lon]);
  m.panBy([r.left + c.x - (left + right) / 2, r.top + c.y - (top + bottom) / 2], {animate: false});
  const p = m.latLngToContainerPoint([lat, lon]);
  return [r.left + p.x, r.top + p.y];
}"""


def click_map_at(page, lat: float, lon: float) -> None:
    """Click the map at (lat, lon) in degrees."""
    x, y = page.evaluate(MAP_POINT_JS, [lat, lon])
    page.mouse.click(x, y)


def forgive(page, status: int, path: str) -> None:
    """Drop what the guard recorded for an expected HTTP ``status`` answer to a URL containing ``path``.

    The answer itself and Chromium's console line about it ("Failed to load resource…") are both recorded.
    """
    page.guard.problems[:] = [
        p for p in page.guard.problems
        if not (path in p and (f"HTTP {status}:" in p or f"status of {status}" in p))
    ]  # fmt: skip


def fetch_json(page, path: str) -> dict:
    """GET ``path`` with the page's cookies (its signed-in session) and return the JSON answer."""
    resp = page.request.get(page.guard.origin + path)
    assert resp.ok, f"{path}: HTTP {resp.status}"
    return resp.json()


def api_write(page, method: str, path: str, body: dict) -> tuple[int, dict]:
    """Send a JSON write with the page's session and its CSRF token (as edit.js does); return (status, JSON)."""
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    resp = page.request.fetch(page.guard.origin + path, method=method, data=body, headers={"X-CSRF-Token": token})
    return resp.status, resp.json()
