"""Names holding markup, entered by planners, stay inert text everywhere (headless Chromium, tiny atlas).

The two payloads go in through the editor form (one), the JSON API (the
other) and each import format (CSV, GeoJSON, GeoPackage, OpenStreetMap), the
import previews being checked on the way. Then every place a name shows is
visited: map popups, marker tooltips, search results, the legend, facility
pages, /history, and the exports (KML escaped, CSV formula-safe) and images.
A dialog (``alert``) anywhere fails the test (see ``Guard`` in conftest.py).
"""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from xml.etree import ElementTree

import geopandas as gpd
import pytest
from shapely.geometry import Point

from tests.e2e.conftest import DESKTOP, LOCALES, Guard, sign_in
from tests.e2e.helpers import click_map_at
from tests.geo.imports.samples import geojson_bytes, gpkg_bytes, ll, osm_xml, point_feature

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOADS = (SCRIPT, IMG)
#: Names a spreadsheet would run as formulas; CSV exports must defuse them.
FORMULAS = ('=HYPERLINK("http://evil.invalid","x")', "+1+1", "-2+3", "@SUM(1,1)")
ALL_LAYERS = "cscom,hospitals,claec,kindergartens,schools,sports,other_health,waste"
#: Kinds the payloads get, per way in: each import format adds both payloads.
KINDS = {
    "editor": ("cscom",),
    "api": ("school",),
    "csv": ("clinic", "kindergarten"),
    "geojson": ("pharmacy", "school"),
    "gpkg": ("hospital", "college"),
    "osm": ({"amenity": "clinic"}, {"leisure": "pitch"}),
}
#: Where the seeded facilities go: 150 m apart on two rows of the tiny District (no duplicates).
SPOTS = iter([(150 + 150 * i, dy) for dy in (150, 850) for i in range(19)])
CHECK_NO_MARKUP_JS = """() => ({
  injected: document.querySelectorAll('img[src="x"], img[onerror], script:not([src]):not([type="application/json"])').length,
  handlers: [...document.querySelectorAll('*')].filter(e => e.hasAttribute('onerror')).length,
})"""


def lat_lon() -> tuple[float, float]:
    lon, lat = ll(*next(SPOTS))
    return lat, lon


def no_markup(page) -> None:
    """Assert nothing from the names became an element or an event handler."""
    assert page.evaluate(CHECK_NO_MARKUP_JS) == {"injected": 0, "handlers": 0}


# ---------------------------------------------------------------------------------------- seeding
def _api(server, token: str, method: str, path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(server.base_url + path, data=data, method=method,
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def _get(server, path: str, token: str | None = None) -> bytes:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(server.base_url + path, headers=headers), timeout=60) as resp:
        assert resp.status == 200
        return resp.read()


def _csv(rows: list[list[object]]) -> bytes:
    """Return a CSV file (quoted as a spreadsheet writes it: the payloads hold quotes)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "kind", "lat", "lon"])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _import_files(tmp_path) -> dict[str, tuple[str, bytes, str]]:
    """Return one file per format, each holding both payloads as names: {format: (file name, bytes, type)}."""
    points = {fmt: [lat_lon() for _ in PAYLOADS] for fmt in ("csv", "geojson", "gpkg", "osm")}
    rows = [
        [name, kind, lat, lon] for name, kind, (lat, lon) in zip(PAYLOADS, KINDS["csv"], points["csv"], strict=True)
    ]
    features = [point_feature(lon, lat, name=name, kind=kind)
                for name, kind, (lat, lon) in zip(PAYLOADS, KINDS["geojson"], points["geojson"], strict=True)]  # fmt: skip
    frame = gpd.GeoDataFrame(
        {"name": list(PAYLOADS), "kind": list(KINDS["gpkg"])},
        geometry=[Point(lon, lat) for lat, lon in points["gpkg"]],
        crs="EPSG:4326",
    )
    nodes = [(9000 + i, lon, lat, {**tags, "name": name})
             for i, (name, tags, (lat, lon)) in enumerate(zip(PAYLOADS, KINDS["osm"], points["osm"], strict=True))]  # fmt: skip
    return {
        "csv": ("markup.csv", _csv(rows), "text/csv"),
        "geojson": ("markup.geojson", geojson_bytes(features), "application/geo+json"),
        "gpkg": ("markup.gpkg", gpkg_bytes(tmp_path, {"facilities": frame}), "application/geopackage+sqlite3"),
        "osm": ("markup.osm", osm_xml(nodes), "application/xml"),
    }


def _guarded_page(browser, server, *, lang: str = "fr"):
    context = browser.new_context(viewport=DESKTOP, locale=LOCALES[lang], service_workers="block")
    page = context.new_page()
    page.guard = Guard(server.base_url)
    page.guard.attach(context, page)
    return context, page


@pytest.fixture(scope="module")
def seeded(browser, planner_server, tmp_path_factory) -> dict:
    """Enter the payloads through the editor, the API and the import page; return what went in.

    Returns ``{"token": API token, "ids": {payload: [facility ids]}, "formula_ids": [...], "previews": {format: [names]}}``.
    """
    from geo.planning import accounts
    from tests.backends import planners_db

    server = planner_server
    token = accounts.issue_token(planners_db(server.store), "awa")
    ids: dict[str, list[str]] = {p: [] for p in PAYLOADS}
    context, page = _guarded_page(browser, server)

    # 1. The editor form, in the map.
    sign_in(page, server, "awa", then="/?basemap=none&layers=" + ALL_LAYERS)
    page.wait_for_selector("#atlas.ready", state="attached")
    page.locator(".btn-add").click()
    page.locator("#ef-name").fill(SCRIPT)
    page.locator("#ef-kind").select_option(KINDS["editor"][0])
    click_map_at(page, *lat_lon())
    page.locator("[data-edit-save]").click()
    page.locator(".leaflet-popup-content h3", has_text="alert(1)").wait_for(timeout=10_000)
    assert page.locator(".leaflet-popup-content h3").inner_text() == SCRIPT
    href = page.locator(".leaflet-popup-content a[href*='/facilities/']").last.get_attribute("href")
    ids[SCRIPT].append(href.rsplit("/", 1)[1])
    no_markup(page)

    # 2. The JSON API (a script with a token): the other payload, formula-like names, markup in a reason.
    lat, lon = lat_lon()
    row = _api(
        server, token, "POST", "/api/v1/facilities", {"name": IMG, "kind": KINDS["api"][0], "lat": lat, "lon": lon}
    )
    ids[IMG].append(row["id"])
    _api(server, token, "PATCH", f"/api/v1/facilities/{row['id']}",
         {"version": row["version"], "note": SCRIPT, "reason": IMG})  # fmt: skip
    formula_ids = []
    for name in FORMULAS:
        lat, lon = lat_lon()
        formula_ids.append(
            _api(
                server,
                token,
                "POST",
                "/api/v1/facilities",
                {"name": name, "kind": "sports_ground", "lat": lat, "lon": lon},
            )["id"]
        )

    # 3. Each import format, through the import page: the preview shows the names as text.
    previews = {}
    page.wait_for_load_state("networkidle")  # leaving earlier would abort the favicon's request
    page.goto(server.base_url + "/imports")
    for fmt, (filename, data, mime) in _import_files(tmp_path_factory.mktemp("xss-imports")).items():
        page.locator("#import-file").set_input_files({"name": filename, "mimeType": mime, "buffer": data})
        page.locator("#import-form button[type=submit]").click()
        page.locator("#pv-rows").wait_for()
        cells = page.locator("#import-preview section:has(#pv-rows) tbody td:nth-child(2)")
        previews[fmt] = cells.all_inner_texts()
        no_markup(page)
        page.locator("#import-commit").click()
        page.locator(".import-ok").wait_for()
    page.wait_for_timeout(200)  # an injected handler would have fired by now
    for change in _api(server, token, "GET", "/api/v1/history?action=create&limit=100")["changes"]:
        if change["import_id"] and change["facility_name"] in ids:
            ids[change["facility_name"]].append(change["facility_id"])
    problems = list(page.guard.problems)
    context.close()
    assert problems == []
    return {"token": token, "ids": ids, "formula_ids": formula_ids, "previews": previews}


# ----------------------------------------------------------------------------------------- checks
def test_the_import_previews_showed_the_names_as_text(seeded):
    assert seeded["previews"] == {fmt: list(PAYLOADS) for fmt in ("csv", "geojson", "gpkg", "osm")}
    assert {p: len(v) for p, v in seeded["ids"].items()} == {SCRIPT: 5, IMG: 5}  # editor/API + 4 formats


@pytest.mark.parametrize("user", [None, "awa"])
def test_map_popups_tooltips_search_and_legend(open_map, planner_server, seeded, user):
    page = open_map(planner_server, "/?basemap=none&zoom=17&layers=" + ALL_LAYERS, user=user)
    for payload, word in ((SCRIPT, "script"), (IMG, "onerror")):
        page.locator("#q").fill(word)
        labels = page.locator("#q-results [role=option] .r-label")
        labels.first.wait_for()
        assert labels.all_inner_texts().count(payload) == 5
        no_markup(page)
        for i in range(5):
            page.locator("#q").fill(word)
            labels.first.wait_for()
            page.locator("#q-results [role=option]").nth(i).dispatch_event("mousedown")
            page.wait_for_function("() => document.querySelectorAll('.leaflet-popup').length === 1")  # others faded
            assert page.locator(".leaflet-popup-content h3").inner_text() == payload
            no_markup(page)
    titles = page.eval_on_selector_all("#map [title*='alert(1)']", "els => els.map(e => e.getAttribute('title'))")
    assert titles and set(titles) <= set(PAYLOADS)  # marker tooltips: the name as an attribute value
    legend = page.locator("#panel").inner_text()
    assert "alert(1)" not in legend
    no_markup(page)
    page.wait_for_timeout(200)
    assert page.guard.dialogs == []


def test_facility_pages(open_map, planner_server, seeded):
    for payload, ids in seeded["ids"].items():
        for fid in ids[:2] + ids[-1:]:
            page = open_map(planner_server, f"/facilities/{fid}?basemap=none", user="awa")
            assert page.locator("h1").inner_text().startswith(payload)
            assert payload in page.title()
            popup = page.locator(".leaflet-popup-content h3")
            popup.wait_for()
            assert popup.inner_text() == payload
            no_markup(page)


def test_history_page_and_csv(open_map, planner_server, seeded):
    page = open_map(planner_server, "/history", user="awa", wait=False)
    links = page.locator(".history-table td:nth-child(5) a:first-child").all_inner_texts()
    assert links.count(SCRIPT) >= 5 and links.count(IMG) >= 5
    assert IMG in page.locator(".history-table").inner_text()  # the reason of the API change
    no_markup(page)
    page.wait_for_timeout(200)
    text = _get(planner_server, "/api/v1/history.csv", seeded["token"]).decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert SCRIPT in cells and IMG in cells
    for formula in FORMULAS:  # the names of the API-made facilities: defused in the history too
        assert "'" + formula in cells and formula not in cells


def test_exports_escape_kml_and_defuse_csv(planner_server, seeded):
    kml = _get(planner_server, "/api/v1/layers/facilities.kml")
    assert b"<script>" not in kml and b"<img" not in kml
    root = ElementTree.fromstring(kml)
    ns = "{http://www.opengis.net/kml/2.2}"
    assert {e.tag.removeprefix(ns) for e in root.iter()} & {"script", "img"} == set()
    names = [e.text for e in root.iter(f"{ns}Placemark") for e in e.findall(f"{ns}name")]
    assert names.count(SCRIPT) == 5 and names.count(IMG) == 5
    texts = [e.text or "" for e in root.iter() if e.tag.removeprefix(ns) in ("description", "value", "SimpleData")]
    assert SCRIPT in texts  # the note of the API-made facility: an attribute, escaped too

    table = list(csv.DictReader(io.StringIO(_get(planner_server, "/api/v1/layers/facilities.csv").decode("utf-8-sig"))))
    names = [r["name"] for r in table]
    assert names.count(SCRIPT) == 5 and names.count(IMG) == 5
    for formula in FORMULAS:
        assert "'" + formula in names and formula not in names  # opened in a spreadsheet: text, not a formula
    assert all(not v or v[0] not in "=+@" for r in table for v in r.values())

    geojson = json.loads(_get(planner_server, "/api/v1/layers/facilities.geojson"))
    names = [f["properties"]["name"] for f in geojson["features"]]
    assert names.count(SCRIPT) == 5 and names.count(IMG) == 5


@pytest.mark.parametrize("name", ["view", "district", "cscom", "sports"])
def test_images_render(planner_server, seeded, name):
    focus = seeded["ids"][SCRIPT][0] if name == "view" else None
    query = f"?layers={ALL_LAYERS}" + (f"&focus={focus}" if focus else "")
    png = _get(planner_server, f"/maps/{name}.png{query}")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
