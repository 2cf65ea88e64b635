"""OGC API – Features at /ogcapi: documents, paging, filters, errors, caching, and real clients (GDAL, OWSLib)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest
import shapely

from geo.publication import ogc as features
from geo.schema import SCHEMAS, conform
from geo.store import write_store
from geo.vocabulary import KINDS
from tests.backends import app_config, rebuild
from tests.conftest import tiny_layers

GEOJSON = "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CONF = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"


def links_by_rel(doc: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for link in doc["links"]:
        out.setdefault(link["rel"], []).append(link)
    return out


def query_of(href: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}


# --- landing, conformance, collections -------------------------------------------------------


def test_landing_page_links(client):
    resp = client.get("/ogcapi")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    rels = links_by_rel(resp.get_json())
    assert rels["service-desc"][0]["type"] == OPENAPI
    assert urlsplit(rels["service-desc"][0]["href"]).path == "/ogcapi/openapi"
    assert rels["service-doc"][0]["type"] == "text/html"
    assert urlsplit(rels["data"][0]["href"]).path == "/ogcapi/collections"
    assert urlsplit(rels["conformance"][0]["href"]).path == "/ogcapi/conformance"
    assert {"self", "alternate"} <= set(rels)
    assert client.get("/ogcapi/").status_code == 200  # no redirect either way


def test_conformance_classes(client):
    classes = client.get("/ogcapi/conformance").get_json()["conformsTo"]
    assert {CONF + c for c in ("core", "geojson", "html", "oas30")} <= set(classes)


def test_format_negotiation(client):
    assert client.get("/ogcapi", headers={"Accept": "text/html,*/*;q=0.8"}).mimetype == "text/html"
    assert client.get("/ogcapi", headers={"Accept": "*/*"}).mimetype == "application/json"
    assert client.get("/ogcapi?f=html", headers={"Accept": "application/json"}).mimetype == "text/html"
    assert client.get("/ogcapi/collections/cscom/items").mimetype == GEOJSON
    resp = client.get("/ogcapi?f=xml")
    assert resp.status_code == 400 and "f=json or f=html" in resp.get_json()["description"]


def test_collections_metadata(client):
    doc = client.get("/ogcapi/collections").get_json()
    ids = [c["id"] for c in doc["collections"]]
    assert ids == [
        "communes",
        "quartiers",
        "facilities",
        "qa_findings",
        "cscom",
        "pharmacy",
        "claec",
        "school",
        "stadium",
    ]
    cscom = doc["collections"][4]
    assert cscom["itemType"] == "feature"
    assert cscom["title"] == "Centre de santé communautaire (CSCOM)"
    x0, y0, x1, y1 = cscom["extent"]["spatial"]["bbox"][0]
    assert -8.08 < x0 <= x1 < -8.07 and 12.66 < y0 <= y1 < 12.67
    items = [link for link in cscom["links"] if link["rel"] == "items"]
    assert {link["type"] for link in items} == {GEOJSON, "text/html"}
    assert urlsplit(items[0]["href"]).path == "/ogcapi/collections/cscom/items"
    english = client.get("/ogcapi/collections/cscom?lang=en").get_json()
    assert english["title"] == "Community health centre (CSCOM)"


def test_unknown_collection_is_a_404_in_the_ogc_exception_shape(client):
    resp = client.get("/ogcapi/collections/csref/items")
    assert resp.status_code == 404
    body = resp.get_json()
    assert body["code"] == "NotFound" and "available: communes" in body["description"]


# --- items -----------------------------------------------------------------------------------


def test_items_page_and_links(client):
    resp = client.get("/ogcapi/collections/facilities/items?limit=2&offset=2")
    assert resp.status_code == 200 and resp.mimetype == GEOJSON
    assert resp.headers["Content-Crs"] == f"<{features.CRS84}>"
    doc = resp.get_json()
    assert doc["type"] == "FeatureCollection"
    assert (doc["numberMatched"], doc["numberReturned"]) == (5, 2)
    assert [f["id"] for f in doc["features"]] == ["educ-0001", "lieu-claec-commune-ii"]
    assert doc["timeStamp"].endswith("Z")
    rels = links_by_rel(doc)
    for rel in ("self", "next", "prev"):
        assert rels[rel][0]["type"] == GEOJSON
    assert rels["alternate"][0]["type"] == "text/html"
    assert query_of(rels["next"][0]["href"])["offset"] == "4"
    assert query_of(rels["prev"][0]["href"])["offset"] == "0"
    assert query_of(rels["next"][0]["href"])["limit"] == "2"


def test_following_next_links_returns_every_feature_once(client):
    url, seen = "/ogcapi/collections/facilities/items?limit=2", []
    while url:
        doc = client.get(url).get_json()
        seen += [f["id"] for f in doc["features"]]
        nxt = [link["href"] for link in doc["links"] if link["rel"] == "next"]
        url = nxt[0] if nxt else None
    assert seen == ["dnacpn-01", "sante-0001", "educ-0001", "lieu-claec-commune-ii", "lieu-stade"]


def test_limit_above_maximum_is_capped(client):
    doc = client.get("/ogcapi/collections/facilities/items?limit=99999999").get_json()
    assert doc["numberReturned"] == 5
    assert query_of(links_by_rel(doc)["self"][0]["href"])["limit"] == str(features.MAX_LIMIT)
    assert "next" not in links_by_rel(doc)


def test_property_filters_and_bbox(client):
    doc = client.get("/ogcapi/collections/facilities/items?kind=school&commune_pcode=ML090101").get_json()
    assert [f["id"] for f in doc["features"]] == ["educ-0001"] and doc["numberMatched"] == 1
    doc = client.get("/ogcapi/collections/quartiers/items?pop_estimate=4000").get_json()
    assert [f["id"] for f in doc["features"]] == ["ML090101002"]
    doc = client.get("/ogcapi/collections/facilities/items?bbox=-8.08,12.6,-8.07,12.7").get_json()
    assert sorted(f["id"] for f in doc["features"]) == ["dnacpn-01", "sante-0001"]
    next_link = client.get("/ogcapi/collections/facilities/items?limit=1&kind=pharmacy&bbox=-8.08,12.6,-8.07,12.7")
    href = links_by_rel(next_link.get_json())["self"][0]["href"]
    assert query_of(href)["kind"] == "pharmacy" and query_of(href)["bbox"] == "-8.08,12.6,-8.07,12.7"


@pytest.mark.parametrize(
    ("query", "parameter", "form"),
    [
        ("bbox=1,2,3", "bbox", "minlon,minlat,maxlon,maxlat"),
        ("bbox=a,b,c,d", "bbox", "minlon,minlat,maxlon,maxlat"),
        ("limit=0", "limit", "limit=100"),
        ("limit=lots", "limit", "limit=100"),
        ("offset=-1", "offset", "offset=100"),
        ("colour=red", "colour", "kind, name"),
        ("pop_estimate=x", "pop_estimate", "number"),
        ("crs=EPSG:4326", "crs", "CRS84"),
        ("datetime=garbage", "datetime", "RFC 3339"),
        ("datetime=2024-13-01", "datetime", "RFC 3339"),
        ("datetime=2024-01-01T12:00", "datetime", "RFC 3339"),
        ("datetime=../..", "datetime", "interval"),
        ("datetime=2024-02-01/2024-01-01", "datetime", "ends before it starts"),
    ],
)
def test_bad_items_parameters_are_400_naming_the_parameter(client, query, parameter, form):
    collection = "quartiers" if parameter == "pop_estimate" else "facilities"
    resp = client.get(f"/ogcapi/collections/{collection}/items?{query}")
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["code"] == "InvalidParameterValue"
    assert body["description"].startswith(f"{parameter}:") and form in body["description"]


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00.5+01:00",
        "2024-01-01",
        "2024-01-01/..",
        "../2024-01-01",
        "2023-01-01/2024-01-01T00:00:00Z",
    ],
)
def test_a_well_formed_datetime_selects_every_feature(client, value):
    """The collections have no temporal property: a valid ``datetime`` filters nothing out."""
    every = client.get("/ogcapi/collections/facilities/items").get_json()["numberMatched"]
    resp = client.get("/ogcapi/collections/facilities/items", query_string={"datetime": value})
    assert resp.status_code == 200 and resp.get_json()["numberMatched"] == every


def test_single_item(client):
    resp = client.get("/ogcapi/collections/cscom/items/dnacpn-01")
    assert resp.status_code == 200 and resp.mimetype == GEOJSON
    doc = resp.get_json()
    assert doc["id"] == "dnacpn-01" and doc["properties"]["name"] == "ASACOFA"
    rels = links_by_rel(doc)
    assert urlsplit(rels["collection"][0]["href"]).path == "/ogcapi/collections/cscom"
    assert urlsplit(rels["self"][0]["href"]).path == "/ogcapi/collections/cscom/items/dnacpn-01"
    assert client.get("/ogcapi/collections/qa_findings/items/1").get_json()["properties"]["check"] == "duplicate"


def test_item_of_another_kind_or_unknown_is_404(client):
    assert client.get("/ogcapi/collections/cscom/items/sante-0001").status_code == 404
    resp = client.get("/ogcapi/collections/facilities/items/nope")
    assert resp.status_code == 404 and resp.get_json()["code"] == "NotFound"


def test_html_pages_escape_names(client):
    page = client.get("/ogcapi/collections/facilities/items?f=html").get_data(as_text=True)
    assert "Pharmacie &lt;b&gt;Kanu&lt;/b&gt;" in page and "<b>Kanu" not in page
    assert "Stade &#34;26 Mars&#34; &amp; co" in page
    item = client.get("/ogcapi/collections/pharmacy/items/sante-0001?f=html").get_data(as_text=True)
    assert "<h1>Pharmacie &lt;b&gt;Kanu&lt;/b&gt;</h1>" in item
    for url in ("/ogcapi?f=html", "/ogcapi/conformance?f=html", "/ogcapi/collections?f=html",
                "/ogcapi/collections/cscom?f=html", "/ogcapi/collections/cscom/queryables?f=html",
                "/ogcapi/collections/cscom/schema?f=html", "/ogcapi/openapi?f=html"):  # fmt: skip
        resp = client.get(url)
        assert resp.status_code == 200 and resp.mimetype == "text/html", url


def test_queryables_and_schemas(client):
    resp = client.get("/ogcapi/collections/quartiers/queryables")
    assert resp.mimetype == "application/schema+json"
    props = resp.get_json()["properties"]
    assert props["pop_estimate"]["type"] == "integer" and props["pcode"]["type"] == "string"
    schema = client.get("/ogcapi/collections/quartiers/schema").get_json()["properties"]
    assert schema["pcode"]["x-ogc-role"] == "id" and schema["geometry"]["x-ogc-role"] == "primary-geometry"
    described = client.get("/ogcapi/collections/quartiers/feature-schema").get_json()
    assert described["properties"]["properties"]["properties"]["area_km2"] == {"type": "number"}
    rels = links_by_rel(client.get("/ogcapi/collections/quartiers").get_json())
    assert urlsplit(rels["describedby"][0]["href"]).path.endswith("/feature-schema")
    # GDAL 3.6 matches only this spelling (RFC 8288 compares relation types case-insensitively).
    assert rels["describedBy"][0]["href"] == rels["describedby"][0]["href"]
    assert rels["describedBy"][0]["type"] == "application/schema+json"
    assert urlsplit(rels["http://www.opengis.net/def/rel/ogc/1.0/queryables"][0]["href"]).path.endswith("/queryables")


# --- OpenAPI, caching --------------------------------------------------------------------------


def test_openapi_document_is_valid_and_states_the_limit(client):
    resp = client.get("/ogcapi/openapi")
    assert resp.headers["Content-Type"] == OPENAPI
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.0")
    assert "/collections/cscom/items" in doc["paths"] and "/collections/cscom/items/{featureId}" in doc["paths"]
    limit = doc["components"]["parameters"]["limit"]["schema"]
    assert limit["maximum"] == features.MAX_LIMIT >= 2_100 and limit["default"] == features.DEFAULT_LIMIT
    names = [p.get("name") for p in doc["paths"]["/collections/quartiers/items"]["get"]["parameters"]]
    assert "pop_estimate" in names
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(doc)


def test_etag_gives_304_and_changes_with_the_store(app, client, tiny_store):
    first = client.get("/ogcapi/collections")
    etag = first.headers["ETag"]
    again = client.get("/ogcapi/collections", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    gz = client.get("/ogcapi/collections", headers={"Accept-Encoding": "gzip"})
    assert client.get("/ogcapi/collections", headers={"If-None-Match": gz.headers["ETag"]}).status_code == 304
    assert "Accept" in first.headers["Vary"]

    layers = tiny_layers()
    layers["facilities"] = layers["facilities"][layers["facilities"]["kind"] != "school"]
    rebuild(tiny_store, layers, {"build_id": "test-build-2"})
    app.extensions["atlas_catalog"].check_every_s = 0
    rebuilt = client.get("/ogcapi/collections", headers={"If-None-Match": etag})
    assert rebuilt.status_code == 200
    assert "school" not in [c["id"] for c in rebuilt.get_json()["collections"]]
    assert client.get("/ogcapi/collections/school/items").status_code == 404


def test_cors_on_ogcapi(client):
    assert client.get("/ogcapi/collections").headers["Access-Control-Allow-Origin"] == "*"


# --- real clients against a live server -------------------------------------------------------

SERVER = """
import json, sys
from werkzeug.serving import make_server
from webmap import create_app
server = make_server("127.0.0.1", 0, create_app(json.loads(sys.argv[1])), threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


@contextmanager
def serving(store, log_path) -> Iterator[str]:
    """Serve ``store`` on a free loopback port in a child process; yield the /ogcapi URL.

    A child process, not a thread: pyogrio holds the GIL while GDAL downloads
    pages, which would stall a server thread of the same interpreter.
    """
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVER, json.dumps(app_config(store))], stdout=subprocess.PIPE, stderr=log, text=True
        )
    try:
        port = proc.stdout.readline().strip()
        if not port:
            pytest.fail(f"the test server did not start: {log_path.read_text()[-2000:]}")
        yield f"http://127.0.0.1:{port}/ogcapi"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def live_url(tmp_path_factory):
    """Serve the tiny atlas on a free loopback port; return the /ogcapi URL."""
    folder = tmp_path_factory.mktemp("ogcapi-live")
    store = write_store(folder / "atlas.gpkg", tiny_layers(), {"build_id": "live-1"})
    with serving(store, folder / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def ogr():
    module = pytest.importorskip("pyogrio")
    if "OAPIF" not in module.list_drivers():
        pytest.skip("this GDAL has no OAPIF driver")
    return module


def test_gdal_lists_every_collection(ogr, live_url):
    listed = ogr.list_layers(f"OAPIF:{live_url}")
    assert [name for name, _ in listed] == [c for c in features.collections(tiny_layers())]
    assert dict(listed)["communes"] in ("Polygon", "MultiPolygon") and dict(listed)["cscom"] == "Point"


@pytest.mark.parametrize("layer", ["facilities", "cscom", "quartiers", "qa_findings"])
def test_gdal_reads_what_the_store_holds(ogr, live_url, layer):
    expected = tiny_layers()
    store = expected["facilities"] if layer == "cscom" else expected[layer]
    if layer == "cscom":
        store = store[store["kind"] == "cscom"]
    # PAGE_SIZE=2 makes GDAL follow the next links.
    got = ogr.read_dataframe(f"OAPIF:{live_url}", layer=layer, PAGE_SIZE=2)
    assert len(got) == len(store) and got.columns.is_unique
    # The store holds the layers typed by geo.schema (real nulls, integer counts): compare typed values.
    schema_layer = "facilities" if layer == "cscom" else layer
    store, got = conform(store, schema_layer), conform(got, schema_layer)
    for column in store.columns.drop("geometry"):
        assert got[column].tolist() == store[column].tolist(), column
    distance = shapely.hausdorff_distance(got.geometry.to_numpy(), store.geometry.to_numpy())
    assert distance.max() < 1e-6  # degrees: coordinates travel rounded to 6 decimals


def test_gdal_pushes_attribute_and_spatial_filters(ogr, live_url):
    schools = ogr.read_dataframe(f"OAPIF:{live_url}", layer="facilities", where="kind = 'school'")
    assert schools["id"].tolist() == ["educ-0001"]
    west = ogr.read_dataframe(f"OAPIF:{live_url}", layer="facilities", bbox=(-8.08, 12.6, -8.07, 12.7))
    assert sorted(west["id"]) == ["dnacpn-01", "sante-0001"]


def test_owslib_client(live_url):
    ogc = pytest.importorskip("owslib.ogcapi.features")
    api = ogc.Features(live_url)
    assert CONF + "core" in api.conformance()["conformsTo"]
    assert "cscom" in api.feature_collections()
    items = api.collection_items("facilities", kind="school", limit=1)
    assert items["numberMatched"] == 1 and items["features"][0]["id"] == "educ-0001"
    assert api.collection_item("cscom", "dnacpn-01")["properties"]["name"] == "ASACOFA"
    assert "pcode" in api.collection_queryables("quartiers")["properties"]
    assert api.api()["paths"]["/collections/cscom/items"]


# --- what partner GIS offices run: GDAL 3.6 (QGIS 3.22, Debian 12) -------------------------------


def ogrinfo_fields(url: str, layer: str, *options: str) -> tuple[int, dict[str, str]]:
    """Return the feature count and ``{field: OGR type}`` GDAL's ``ogrinfo`` reports for an OAPIF layer."""
    run = subprocess.run(
        ["ogrinfo", "-ro", "-so", *options, f"OAPIF:{url}", layer], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0 and "ERROR" not in run.stderr, run.stderr
    count = int(re.search(r"^Feature Count: (\d+)$", run.stdout, re.M).group(1))
    fields = dict(re.findall(r"^(\w+): (\w+(?:\(\w+\))?) \(", run.stdout, re.M))
    return count, fields


@pytest.fixture(scope="module")
def ogrinfo_3_6():
    if shutil.which("ogrinfo") is None:
        pytest.skip("GDAL's ogrinfo is not installed (Debian: apt-get install gdal-bin, done by scripts/setup)")
    version = subprocess.run(["ogrinfo", "--version"], capture_output=True, text=True).stdout
    return version


@pytest.mark.parametrize("layer", ["facilities", "cscom", "school", "quartiers", "communes"])
def test_debian_gdal_types_every_field_from_the_schema(ogrinfo_3_6, live_url, layer):
    """GDAL 3.6 reads 10 features a page and, without a schema, types an all-null count as String."""
    count, fields = ogrinfo_fields(live_url, layer)
    frame = tiny_layers()["facilities" if layer in ("cscom", "school") else layer]
    if layer in ("cscom", "school"):
        frame = frame[frame["kind"] == layer]
    assert count == len(frame)
    schema = SCHEMAS["facilities" if layer in ("cscom", "school") else layer]
    expected = {"int": "Integer", "float": "Real", "bool": "Integer(Boolean)", "str": "String"}
    for name, column in schema.items():
        assert fields[name] == expected[column.type], (ogrinfo_3_6, layer, name, fields[name])


def test_gdal_reading_a_first_page_of_ten_types_counts_as_integers(ogr, live_url):
    """Without the schema (QGIS 3.22 samples ``limit=10``) the counts are integers wherever a value exists."""
    info = ogr.read_info(f"OAPIF:{live_url}", layer="quartiers", PAGE_SIZE=10, IGNORE_SCHEMA=True)
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["pop_estimate"] in ("int32", "int64") and types["area_km2"] == "float64"
    assert info["features"] == len(tiny_layers()["quartiers"])


@pytest.mark.integration
def test_gdal_reads_every_real_collection_with_integer_counts(ogr, real_store, tmp_path):
    """The real build over HTTP: counts typed as integers from the schema (GDAL 3.6) and from a first page of 10."""
    from geo.publication.ogc import collections
    from geo.store import open_store

    atlas = open_store(real_store)
    expected = {cid: len(features.collection_frame(atlas.layers, c)) for cid, c in collections(atlas.layers).items()}
    with serving(real_store, tmp_path / "server.log") as url:
        assert [name for name, _ in ogr.list_layers(f"OAPIF:{url}")] == list(expected)
        sampled = ogr.read_info(f"OAPIF:{url}", layer="facilities", PAGE_SIZE=10, IGNORE_SCHEMA=True)
        types = dict(zip(sampled["fields"], sampled["dtypes"], strict=True))
        assert all(types[c] in ("int32", "int64") for c in ("beds", "doctors", "nurses", "pupils")), types
        assert types["in_analysis"] == "bool" and sampled["features"] == expected["facilities"]
        if shutil.which("ogrinfo"):  # GDAL 3.6 as QGIS 3.22 runs it, every collection
            for cid, count in expected.items():
                got, fields = ogrinfo_fields(url, cid)
                layer = "facilities" if cid in KINDS else cid
                assert got == count, cid
                for name, column in SCHEMAS[layer].items():
                    if column.type == "int":
                        assert fields[name] == "Integer", (cid, name, fields[name])
