"""The download API /api/v1: listing, formats, filters, caching headers, errors, the package."""

from __future__ import annotations

import gzip
import io
import json
import zipfile

import pytest

from geo.cache import LRUCache
from geo.publication import exports
from geo.vocabulary import KINDS, LAYERS
from webmap.send import Body

API = "/api/v1"


def error_of(resp) -> str:
    body = resp.get_json()
    assert set(body) == {"error"} and body["error"]["status"] == resp.status_code
    return body["error"]["message"]


def test_layer_list_has_counts_and_working_links(client):
    resp = client.get(f"{API}/layers")
    assert resp.status_code == 200 and resp.headers["Access-Control-Allow-Origin"] == "*"
    doc = resp.get_json()
    entries = {e["name"]: e for e in doc["layers"]}
    assert list(entries) == list(LAYERS) + list(KINDS)
    assert [entries[n]["count"] for n in LAYERS] == [2, 3, 5, 1]
    assert entries["cscom"]["count"] == 1 and entries["hospital"]["count"] == 0
    assert entries["cscom"]["layer"] == "facilities" and entries["cscom"]["kind"] == "cscom"
    assert "kind" in entries["facilities"]["filters"] and "kind" not in entries["communes"]["filters"]
    assert doc["attribution"] == exports.ATTRIBUTION and doc["build"]["date"] == "2026-11-29"
    for name in ("communes", "cscom", "qa_findings"):
        assert set(entries[name]["links"]) == set(exports.EXPORT_FORMATS)
        for link in entries[name]["links"].values():
            assert client.get(link).status_code == 200, link
    assert client.get(doc["package"]["en"]).status_code == 200


def test_layer_list_titles_follow_the_language(client):
    fr = {e["name"]: e["title"] for e in client.get(f"{API}/layers?lang=fr").get_json()["layers"]}
    en = {e["name"]: e["title"] for e in client.get(f"{API}/layers?lang=en").get_json()["layers"]}
    assert fr["cscom"] == KINDS["cscom"].label_fr and en["cscom"] == KINDS["cscom"].label_en


@pytest.mark.parametrize(
    ("fmt", "media_type"),
    [
        ("geojson", "application/geo+json"),
        ("gpkg", "application/geopackage+sqlite3"),
        ("csv", "text/csv; charset=utf-8"),
        ("kml", "application/vnd.google-earth.kml+xml"),
        ("shp.zip", "application/zip"),
    ],
)
def test_every_format_is_served_with_type_name_and_cors(client, fmt, media_type):
    resp = client.get(f"{API}/layers/quartiers.{fmt}?commune=ML090101")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == media_type
    assert (
        resp.headers["Content-Disposition"]
        == f'attachment; filename="bamako-quartiers-commune-ml090101-2026-11-29.{fmt}"'
    )
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in resp.headers["Access-Control-Expose-Headers"]
    assert resp.headers["Cache-Control"].startswith("public")


def test_geojson_follows_rfc7946_and_matches_the_store(client):
    resp = client.get(f"{API}/layers/facilities.geojson")
    doc = json.loads(resp.data)
    assert resp.mimetype == "application/geo+json" and "crs" not in doc
    assert [f["id"] for f in doc["features"]] == [
        "dnacpn-01",
        "sante-0001",
        "educ-0001",
        "lieu-claec-commune-ii",
        "lieu-stade",
    ]
    assert doc["features"][1]["properties"]["name"] == "Pharmacie <b>Kanu</b>"
    assert doc["features"][0]["properties"]["in_analysis"] is True
    assert doc["features"][0]["properties"]["beds"] is None


def test_kind_shortcut_and_filters(client):
    def ids(url):
        return [f["id"] for f in client.get(url).get_json(force=True)["features"]]

    assert ids(f"{API}/layers/cscom.geojson") == ids(f"{API}/layers/facilities.geojson?kind=cscom") == ["dnacpn-01"]
    assert ids(f"{API}/layers/facilities.geojson?kind=cscom,school") == ["dnacpn-01", "educ-0001"]
    assert ids(f"{API}/layers/facilities.geojson?kind=cscom&kind=school") == ["dnacpn-01", "educ-0001"]
    assert ids(f"{API}/layers/facilities.geojson?quartier=ML090101001") == ["dnacpn-01", "sante-0001"]
    assert ids(f"{API}/layers/facilities.geojson?bbox=-180,-90,180,90&commune=ML090102") == [
        "lieu-claec-commune-ii", "lieu-stade"]  # fmt: skip
    assert ids(f"{API}/layers/facilities.geojson?bbox=0,0,1,1") == []


def test_etag_gives_304_and_gzip_is_negotiated(client):
    url = f"{API}/layers/facilities.geojson?kind=cscom"
    first = client.get(url)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and client.get(url).headers["ETag"] == etag
    assert "Accept-Encoding" in first.headers["Vary"] and "Content-Encoding" not in first.headers
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": f'W/{etag}, "other"'}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200
    zipped = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip" and zipped.headers["ETag"] != etag
    assert gzip.decompress(zipped.data) == first.data
    binary = client.get(f"{API}/layers/facilities.gpkg", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in binary.headers and binary.data.startswith(b"SQLite format 3")


def test_head_sends_headers_only(client):
    resp = client.head(f"{API}/layers/cscom.csv")
    assert resp.status_code == 200 and resp.data == b"" and resp.headers["Content-Disposition"].endswith('.csv"')


def test_each_export_is_built_once_per_store_version(client, monkeypatch):
    calls = []
    real = exports.export_layer
    monkeypatch.setattr(exports, "export_layer", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    for url in ("cscom.geojson", "facilities.geojson?kind=cscom", "facilities.geojson?kind=cscom", "cscom.geojson"):
        assert client.get(f"{API}/layers/{url}").status_code == 200
    assert len(calls) == 1  # the alias and the filter are the same selection, hence the same file
    client.get(f"{API}/layers/facilities.geojson?kind=school,cscom")
    client.get(f"{API}/layers/facilities.geojson?kind=cscom,school")
    client.get(f"{API}/layers/facilities.csv?kind=cscom,school")
    assert len(calls) == 3


def test_bounded_cache_of_bodies_evicts_the_least_recently_used():
    cache = LRUCache(max_entries=2, max_bytes=10)

    def payload(n):
        return lambda: Body(b"x" * n, "application/octet-stream", tag=str(n))

    cache.get("a", payload(3))
    cache.get("b", payload(3))
    cache.get("a", payload(99))  # hit: "a" becomes the most recent
    cache.get("c", payload(3))
    assert len(cache) == 2 and cache.get("a", payload(1)).etag == "3"
    assert cache.get("b", payload(4)).etag == "4"  # "b" had been evicted
    cache.get("big", payload(50))  # larger than the byte bound: served, not kept
    assert cache.get("big", payload(1)).etag == "1"


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/layers/nope.geojson", 404, ["'nope'", "communes", "cscom"]),
        ("/layers/communes.xls", 404, ["'xls'", "shp.zip"]),
        ("/layers/communes", 404, ["geojson"]),
        ("/layers/facilities.geojson?kind=spa", 404, ["'spa'", "claec"]),
        ("/layers/facilities.csv?commune=ML099999", 404, ["'ML099999'", "ML090101"]),
        ("/layers/facilities.csv?quartier=ML090101999", 404, ["'ML090101999'", "ML090101001"]),
        ("/layers/facilities.geojson?bbox=1,2,3", 400, ["bbox", "minlon,minlat,maxlon,maxlat"]),
        ("/layers/facilities.geojson?bbox=a,b,c,d", 400, ["bbox"]),
        ("/layers/facilities.geojson?bbox=10,10,0,0", 400, ["bbox"]),
        ("/layers/communes.geojson?kind=cscom", 400, ["kind"]),
        ("/package.zip?lang=de", 400, ["lang", "fr, en"]),
    ],
)
def test_bad_input_gives_json_errors(client, url, status, words):
    resp = client.get(API + url)
    assert resp.status_code == status and resp.mimetype == "application/json"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    message = error_of(resp)
    for word in words:
        assert word in message


def test_package_in_both_languages(client):
    fr = client.get(f"{API}/package.zip")
    assert fr.status_code == 200 and fr.mimetype == "application/zip"
    assert fr.headers["Content-Disposition"] == 'attachment; filename="bamako-atlas-fr-2026-11-29.zip"'
    en = client.get(f"{API}/package.zip?lang=en")
    by_header = client.get(f"{API}/package.zip", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert by_header.data == en.data and "Accept-Language" in en.headers["Vary"]

    def readme(resp):
        archive = zipfile.ZipFile(io.BytesIO(resp.data))
        return archive.read("bamako-atlas-2026-11-29/README.md").decode()

    assert readme(fr).startswith("# Atlas de Bamako") and readme(en).startswith("# Bamako Atlas")
    assert client.get(f"{API}/package.zip?lang=en", headers={"If-None-Match": en.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize(
    "url",
    ["/api/v1/layers/nope.geojson", "/api/v1/layers/cscom.xls", "/api/v1/layers/cscom", "/communes/ML090199.json"],
)
def test_every_not_found_is_a_404_with_one_json_shape(client, url):
    resp = client.get(url)
    assert resp.status_code == 404, resp.data
    assert resp.get_json()["error"]["status"] == 404 and resp.get_json()["error"]["code"] == "NotFound"
