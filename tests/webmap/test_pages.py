"""The map pages, the map data endpoint, unit pages and the offline assets (tiny atlas)."""

from __future__ import annotations

import gzip
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from geo.publication import codec
from tests.backends import app_config

GZIP = {"Accept-Encoding": "gzip"}


class Resources(HTMLParser):
    """Collect what a page loads (script src, stylesheet/link href, img src) and the JSON config."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.config_text = ""
        self._in_config = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "embed") and a.get("src"):
            self.urls.append(a["src"])
        if tag == "link" and a.get("href"):
            self.urls.append(a["href"])
        self._in_config = tag == "script" and a.get("id") == "atlas-config"

    def handle_endtag(self, tag):
        self._in_config = False

    def handle_data(self, data):
        if self._in_config:
            self.config_text += data


def parse(html: str) -> Resources:
    page = Resources()
    page.feed(html)
    return page


def config_of(client, url: str) -> dict:
    resp = client.get(url)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return json.loads(parse(resp.get_data(as_text=True)).config_text)


@pytest.mark.parametrize(
    "url", ["/", "/embed", "/quartiers/ML090101001", "/communes/ML090102", "/facilities/sante-0001"]
)
def test_pages_load_nothing_from_other_sites_and_every_resource_is_served(client, url):
    resp = client.get(url)
    assert resp.status_code == 200
    page = parse(resp.get_data(as_text=True))
    assert page.urls, "the page should load its scripts and styles"
    for src in page.urls:
        parts = urlsplit(src)
        assert not parts.scheme and not parts.netloc, f"{url} loads {src} from another site"
        assert client.get(src).status_code == 200, src


def test_map_page_hands_its_view_to_the_script(client):
    cfg = config_of(
        client, "/?layers=cscom,schools&indicator=per10k&kind=claec&basemap=none&center=-7.99,12.64&zoom=14"
    )
    assert cfg["view"] == {"layers": ["cscom", "schools"], "indicator": "per10k", "kind": "claec", "basemap": "none",
                           "center": [-7.99, 12.64], "zoom": 14, "focus": None}  # fmt: skip
    assert cfg["dataUrl"].startswith("/api/v1/map-data.json?v=test-build-1")
    assert {layer["key"] for layer in cfg["layers"]} >= {"cscom", "hospitals", "claec", "schools", "qa"}
    assert "per10k:cscom" in [entry["id"] for entry in cfg["indicators"]]
    assert cfg["popNote"] == "Population : estimation 2022, part 2009 de chaque commune"
    assert "OCHA COD-AB" in cfg["attribution"]
    assert {b["key"] for b in cfg["basemaps"]} == {"atlas", "osm", "positron", "esri", "none"}
    assert cfg["extent"][0] < cfg["extent"][2]


def test_focus_frames_a_unit_or_facility(client):
    assert config_of(client, "/?focus=ML090101001")["focus"]["type"] == "quartier"
    assert config_of(client, "/embed?focus=ML090102")["focus"]["name"] == "Commune II"
    assert config_of(client, "/embed?focus=educ-0001")["focus"]["type"] == "facility"


def test_embed_may_be_framed_and_the_map_may_not(client):
    assert "frame-ancestors *" in client.get("/embed").headers["Content-Security-Policy"]
    assert client.get("/").headers["X-Frame-Options"] == "SAMEORIGIN"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("indicator=nope", "indicator"),
        ("layers=cscom,unicorns", "layers"),
        ("indicator=per10k&kind=spaceport", "kind"),
        ("basemap=google", "basemap"),
        ("zoom=40", "zoom"),
        ("center=abc", "center"),
        ("focus=ML099999999", "focus"),
    ],
)
def test_bad_view_parameters_are_400_naming_the_parameter(client, query, parameter):
    for path in ("/", "/embed"):
        resp = client.get(f"{path}?{query}")
        assert resp.status_code == 400
        assert parameter in resp.get_data(as_text=True)


def test_map_data_is_gzipped_cached_and_revalidated(client):
    resp = client.get("/api/v1/map-data.json?v=test-build-1", headers=GZIP)
    assert resp.status_code == 200 and resp.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in resp.headers["Vary"]
    assert resp.cache_control.max_age and resp.cache_control.public
    payload = json.loads(gzip.decompress(resp.data))
    assert payload["build"] == "test-build-1" and payload["v"] == 1
    etag = resp.headers["ETag"]
    again = client.get("/api/v1/map-data.json?v=test-build-1", headers={**GZIP, "If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    plain = client.get("/api/v1/map-data.json")
    assert "Content-Encoding" not in plain.headers and plain.cache_control.no_cache
    assert json.loads(plain.data) == payload
    assert plain.headers["ETag"] != etag


def test_map_data_is_built_once_per_store_version(client, app, monkeypatch):
    from geo.publication import mapdata as display

    calls = []
    real = display.map_payload
    monkeypatch.setattr(display, "map_payload", lambda *a, **k: calls.append(1) or real(*a, **k))
    for _ in range(3):
        assert client.get("/api/v1/map-data.json").status_code == 200
    assert len(calls) == 1


def test_map_data_carries_names_as_text_and_all_layers(client):
    payload = client.get("/api/v1/map-data.json").get_json()
    assert "Pharmacie <b>Kanu</b>" in payload["f"]["n"].split("\n")
    assert codec.decode_ids(payload["f"]["id"])[0] == "dnacpn-01"
    assert set(payload["counts"]) == {"cscom", "hospitals", "claec", "kindergartens", "schools", "sports",
                                      "other_health", "waste"}  # fmt: skip
    assert "density" in payload["ind"] and "per10k:schools" in payload["ind"]


def test_names_with_markup_are_escaped_in_pages(client):
    for url in ("/quartiers/ML090101001", "/facilities/sante-0001", "/communes/ML090101"):
        html = client.get(url).get_data(as_text=True)
        assert "<b>Kanu</b>" not in html
        assert "Pharmacie &lt;b&gt;Kanu&lt;/b&gt;" in html
    stade = client.get("/facilities/lieu-stade").get_data(as_text=True)
    assert "Stade &#34;26 Mars&#34; &amp; co" in stade or "Stade &quot;26 Mars&quot; &amp; co" in stade


def test_the_map_script_never_parses_data_as_html():
    script = (Path(__file__).parents[2] / "webmap" / "static" / "atlas.js").read_text(encoding="utf-8")
    assert "insertAdjacentHTML" not in script and "outerHTML" not in script and "document.write" not in script
    assert not re.search(r"innerHTML\s*=[^=]", script)
    assert not re.search(r"bind(Popup|Tooltip)\(\s*['\"]", script)


def test_commune_page_and_json_twin(client):
    html = client.get("/communes/ML090101").get_data(as_text=True)
    assert "Commune I" in html and 'href="/quartiers/ML090101001"' in html and 'href="/communes/ML090102"' in html
    assert "Population : estimation 2022, part 2009 de chaque commune" in html
    doc = client.get("/communes/ML090101.json").get_json()
    assert doc["type"] == "commune" and [c["pcode"] for c in doc["children"]] == ["ML090101001", "ML090101002"]
    assert {r["kind"]: r["per_10k"] for r in doc["facilities_by_kind"]}["cscom"] == 1.0


def test_quartier_page_shows_parent_neighbours_facilities_and_findings(client):
    html = client.get("/quartiers/ML090101002").get_data(as_text=True)
    assert 'href="/communes/ML090101"' in html
    assert 'href="/quartiers/ML090101001"' in html and 'href="/quartiers/ML090102001"' in html  # neighbours
    assert 'href="/facilities/educ-0001"' in html
    faladje = client.get("/quartiers/ML090101001").get_data(as_text=True)
    assert "Doublon probable" in faladje and "à 20 m de « ASACOFA »" in faladje
    doc = client.get("/quartiers/ML090101001.json").get_json()
    assert doc["parent"]["pcode"] == "ML090101" and doc["density_per_km2"] == 6000.0


def test_facility_page_shows_the_approximate_position_badge(client):
    html = client.get("/facilities/lieu-claec-commune-ii").get_data(as_text=True)
    assert "position approximative (commune)" in html
    assert "Lieux compilés par le projet" in html
    doc = client.get("/facilities/lieu-claec-commune-ii.json").get_json()
    assert doc["location_precision"] == "commune" and doc["commune"]["pcode"] == "ML090102"


@pytest.mark.parametrize("url", ["/communes/ML090101001", "/quartiers/ML090101", "/quartiers/nope", "/facilities/nope"])
def test_unknown_units_are_404_pages_and_404_json(client, url):
    resp = client.get(url)
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    as_json = client.get(url + ".json")
    assert as_json.status_code == 404 and as_json.get_json()["error"]["status"] == 404


def test_unknown_format_is_400_and_unknown_extension_404(client):
    resp = client.get("/quartiers/ML090101001?f=xml")
    assert resp.status_code == 400 and "f:" in resp.get_data(as_text=True)
    resp = client.get("/quartiers/ML090101001.xml")
    assert resp.status_code == 404 and "available: html, json" in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/communes/ML090101?f=json", "/communes/ML090101.json"),
        ("/quartiers/ML090101001?f=json&lang=en", "/quartiers/ML090101001.json?lang=en"),
        ("/facilities/educ-0001?f=json", "/facilities/educ-0001.json"),
        ("/facilities/educ-0001?f=html", "/facilities/educ-0001"),
    ],
)
def test_the_documented_f_parameter_redirects_to_the_extension(client, old, new):
    resp = client.get(old)
    assert resp.status_code == 308 and resp.headers["Location"] == new
    assert client.get(old, follow_redirects=True).get_data() == client.get(new).get_data()


def test_unit_page_links_its_json_twin(client):
    html = client.get("/communes/ML090101").get_data(as_text=True)
    assert 'href="/communes/ML090101.json"' in html
    assert client.get("/communes/ML090101.json").mimetype == "application/json"


@pytest.mark.parametrize("path", ["/", "/embed", "/couverture", "/maps/district.png"])
def test_an_old_lat_lon_center_redirects_to_the_lon_lat_url(client, path):
    resp = client.get(f"{path}?layers=cscom&center=12.64,-7.99&zoom=14")
    assert resp.status_code == 308
    assert resp.headers["Location"] == f"{path}?layers=cscom&center=-7.99,12.64&zoom=14"


def test_a_lon_lat_center_is_served_and_far_away_centres_are_not_swapped(client):
    assert client.get("/?center=-7.99,12.64&zoom=14").status_code == 200
    assert client.get("/?center=2.35,48.85&zoom=14").status_code == 200  # Paris, lon-first: shown as asked
    resp = client.get("/?center=-7.99,95")
    assert resp.status_code == 400 and "center" in resp.get_data(as_text=True)


def test_pages_are_compressed_and_answer_304(client):
    resp = client.get("/", headers=GZIP)
    assert resp.headers["Content-Encoding"] == "gzip"
    assert b"atlas-config" in gzip.decompress(resp.data)
    again = client.get("/", headers={**GZIP, "If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304
    doc = client.get("/quartiers/ML090101001.json")
    assert client.get("/quartiers/ML090101001.json", headers={"If-None-Match": doc.headers["ETag"]}).status_code == 304


def test_vendor_assets_come_from_installed_packages(client):
    resp = client.get("/vendor/leaflet/leaflet.js?v=1.9.3", headers=GZIP)
    assert resp.status_code == 200 and resp.headers["Content-Encoding"] == "gzip"
    assert resp.cache_control.immutable and resp.cache_control.max_age >= 86400 * 30
    assert b"Leaflet" in gzip.decompress(resp.data)[:2000]
    assert client.get("/vendor/leaflet/images/layers.png").mimetype == "image/png"
    assert client.get("/vendor/markercluster/leaflet.markercluster.js").status_code == 200
    for bad in ("/vendor/nope/x.js", "/vendor/leaflet/../../../etc/passwd", "/vendor/leaflet/%2e%2e/__init__.py",
                "/vendor/atlas/../views/pages.py"):  # fmt: skip
        assert client.get(bad).status_code == 404, bad


def test_language_choice_is_remembered_in_a_cookie(client):
    resp = client.get("/?lang=en")
    assert "lang=en" in resp.headers.get("Set-Cookie", "")
    assert config_of(client, "/")["lang"] == "en"


#: Bytes the map may send with every layer on, compressed as a browser negotiates it (brotli over HTTPS): a
#: tenth of what ``GeoDataFrame.explore()`` sends for the same source layers (quartiers, communes, the three
#: surveys and the DNACPN sheet: 501–504 KB gzip, measured on the pinned sources).
PAGE_BUDGET_BYTES = 50_000
#: The same page for a client that only takes gzip (e.g. Chromium over plain HTTP): a guard against growth.
#: 52 000 until the page carried Leaflet's stylesheet (3.5 KB gzip, a library file counted nowhere before).
PAGE_BUDGET_GZIP_BYTES = 55_500


@pytest.mark.integration
def test_page_weight_on_the_real_store_is_within_budget(real_store):
    """HTML + map data, compressed, with every layer on, within budget (library files and tiles excluded).

    The page carries the first part of the map data; its script fetches the rest.
    """
    from webmap import create_app

    client = create_app(app_config(real_store, TESTING=True)).test_client()
    layers = "cscom,hospitals,claec,kindergartens,schools,sports,other_health,waste,qa"
    for encoding, budget in (("br", PAGE_BUDGET_BYTES), ("gzip", PAGE_BUDGET_GZIP_BYTES)):
        headers = {"Accept-Encoding": encoding}
        page = client.get(f"/?layers={layers}", headers=headers)
        cfg = json.loads(parse(client.get(f"/?layers={layers}").get_data(as_text=True)).config_text)
        data = client.get(cfg["dataParts"]["rest"], headers=headers)
        assert page.headers["Content-Encoding"] == data.headers["Content-Encoding"] == encoding
        total = len(page.data) + len(data.data)
        assert total <= budget, f"map page {len(page.data)} B + rest of the data {len(data.data)} B {encoding}"


@pytest.mark.integration
def test_a_pharmacie_answered_hospital_is_drawn_as_a_pharmacy(real_store):
    """The map data gives sante-0244 (« PHARMACIE ») the pharmacy kind, hence the other-health symbol."""
    from webmap import create_app

    client = create_app({"TESTING": True, "ATLAS_STORE": str(real_store)}).test_client()
    cfg = json.loads(parse(client.get("/").get_data(as_text=True)).config_text)
    rest = client.get(cfg["dataParts"]["rest"]).get_json()
    features = rest["f"]
    kind = rest["kinds"][features["k"][codec.decode_ids(features["id"]).index("sante-0244")]]
    layer = next(entry["key"] for entry in cfg["layers"] if kind in entry["kinds"])
    assert (kind, layer) == ("pharmacy", "other_health")
    assert cfg["symbols"][layer]["shape"] != cfg["symbols"]["hospitals"]["shape"]


def test_population_method_is_named_in_the_page_language(client, app):
    from webmap.clientconfig import map as mapconfig

    assert "(répartition selon la densité d" in client.get("/quartiers/ML090101001").get_data(as_text=True)
    with app.test_request_context("/?lang=en"):
        assert mapconfig.pop_method_label("areal") == "split by area"  # the method is "areal", once keyed "area"
    with app.test_request_context("/"):
        assert mapconfig.pop_method_label("areal") == "répartition selon la surface"
        assert mapconfig.pop_method_label("unknown") == "unknown"


def test_map_data_comes_in_two_parts_that_make_the_whole(client):
    whole = client.get("/api/v1/map-data.json?v=test-build-1").get_json()
    shapes = client.get("/api/v1/map-data.json?v=test-build-1&part=shapes")
    rest = client.get("/api/v1/map-data.json?v=test-build-1&part=rest")
    assert shapes.status_code == rest.status_code == 200 and shapes.cache_control.max_age
    assert set(shapes.get_json()) == {"v", "d", "build", "arcs", "communes", "quartiers", "ind"}
    assert "f" in rest.get_json() and "arcs" not in rest.get_json()
    assert list(shapes.get_json()["ind"]) == ["density"]  # the default view's; the others come with the rest
    assert rest.get_json()["ind"] == whole["ind"] and len(whole["ind"]) > 1
    assert {**shapes.get_json(), **rest.get_json()} == whole
    assert shapes.headers["ETag"] not in (rest.headers["ETag"], client.get("/api/v1/map-data.json").headers["ETag"])
    bad = client.get("/api/v1/map-data.json?part=facilities")
    assert (
        bad.status_code == 400 and "part" in bad.get_data(as_text=True) and "shapes, rest" in bad.get_data(as_text=True)
    )


def test_map_pages_carry_the_first_part_of_the_map_data(client):
    shapes = client.get("/api/v1/map-data.json?v=test-build-1&part=shapes").get_json()
    for url in ("/", "/couverture", "/embed", "/communes/ML090101", "/?lang=en"):
        html = client.get(url).get_data(as_text=True)
        inline = re.search(r'<script id="map-shapes" type="application/json">(.*?)</script>', html, re.S)
        assert inline and json.loads(inline.group(1)) == shapes, url  # the very part the API serves
        assert not re.search(r'<link rel="preload"[^>]*part=shapes', html), url  # no second download
        assert "leaflet.markercluster.js" not in re.findall(r'<script src="([^"]+)"', html), url


def test_inline_map_data_cannot_close_its_script(client, monkeypatch):
    from webmap.views import pages

    hostile = {"d": 5, "quartiers": {"n": "</script><script>alert(1)</script>", "a": "<!-- & ' >"}}
    monkeypatch.setattr(pages, "_build_map_data", lambda part=None: pages.Body(json.dumps(hostile).encode(), "x"))
    html = client.get("/?lang=en&hostile=1").get_data(as_text=True)
    inline = re.search(r'<script id="map-shapes" type="application/json">(.*?)</script>', html, re.S).group(1)
    assert not set("<>&'") & set(inline)
    assert json.loads(inline) == hostile


def test_the_default_basemap_is_the_atlas_own(client):
    cfg = config_of(client, "/")
    assert cfg["view"]["basemap"] == "atlas" == cfg["defaults"]["basemap"]
    atlas = next(b for b in cfg["basemaps"] if b["key"] == "atlas")
    assert atlas == {"key": "atlas", "label": "Fond de l'atlas (hors ligne)"}  # no tiles to fetch
    assert cfg["context"]["banks"] == [["ML090101", "ML090102", "ML090103", "ML090104"], ["ML090105", "ML090106"]]
    assert (
        config_of(client, "/?lang=en")["t"]["tiles_failed"] == "Online basemap unavailable: showing the atlas basemap."
    )
