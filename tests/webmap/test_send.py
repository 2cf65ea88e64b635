"""One way to send bytes: gzip computed once per cached body, ETag with a ``-gz`` variant, 304 on either."""

from __future__ import annotations

import gzip

import pytest

from webmap import send as send_module
from webmap.send import Body

GZIP = {"Accept-Encoding": "gzip"}


def test_body_gzip_is_computed_once_and_reproducible(monkeypatch):
    calls = []
    real = send_module.gzip_bytes
    monkeypatch.setattr(send_module, "gzip_bytes", lambda *a: calls.append(1) or real(*a))
    body = Body(b"a" * 2000, "application/json")
    assert body.compressible and gzip.decompress(body.gz) == body.data
    assert body.gz is body.gz and calls == [1]
    assert body.etag == Body(b"a" * 2000, "text/csv").etag != Body(b"b" * 2000, "text/csv").etag
    assert not Body(b"\x89PNG" * 500, "image/png").compressible
    assert not Body(b"{}", "application/json").compressible  # too small to be worth it
    assert Body(b"{}", "application/json", compress=True).compressible


@pytest.mark.parametrize(
    "url",
    [
        "/ogcapi/collections?f=json",
        "/ogcapi/collections/facilities/items?f=json",
        "/api/v1/coverage?kind=cscom&threshold_m=1000",
        "/api/v1/map-data.json",
        "/?lang=fr",
        "/api/v1/layers",
    ],
)
def test_cached_responses_are_not_compressed_again(client, monkeypatch, url):
    calls = []
    real = send_module.gzip_bytes
    monkeypatch.setattr(send_module, "gzip_bytes", lambda *a: calls.append(1) or real(*a))
    first = client.get(url, headers=GZIP)
    assert first.status_code == 200 and first.headers["Content-Encoding"] == "gzip"
    assert first.headers["ETag"].endswith('-gz"') and "Accept-Encoding" in first.headers["Vary"]
    second = client.get(url, headers=GZIP)
    assert second.data == first.data and calls == [1]
    plain_tag = first.headers["ETag"].replace("-gz", "")
    # either variant's ETag means the client holds the resource
    assert client.get(url, headers={"If-None-Match": plain_tag}).status_code == 304
    assert client.get(url, headers={**GZIP, "If-None-Match": plain_tag}).status_code == 304
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_a_planners_responses_are_never_kept(tiny_store, tmp_path, monkeypatch):
    from geo.planning import accounts
    from tests.webmap.edit_helpers import login, make_app

    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    client = make_app(tiny_store).test_client()
    login(client)  # a live session: a cookie alone proves nothing (see test_pagecache)
    calls = []
    real = send_module.gzip_bytes
    monkeypatch.setattr(send_module, "gzip_bytes", lambda *a: calls.append(1) or real(*a))
    for _ in range(2):
        assert client.get("/ogcapi/collections?f=json", headers=GZIP).headers["Content-Encoding"] == "gzip"
    assert calls == [1, 1]  # built for them each time, never served from (or stored in) the shared cache


def test_kept_bodies_are_sent_with_brotli_when_accepted(client):
    import brotli

    url = "/api/v1/map-data.json?v=test-build-1&part=shapes"
    br = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert br.headers["Content-Encoding"] == "br" and br.headers["ETag"].endswith('-br"')
    gz = client.get(url, headers=GZIP)
    assert gz.headers["Content-Encoding"] == "gzip"
    assert brotli.decompress(br.data) == gzip.decompress(gz.data)
    assert client.get(url, headers={"If-None-Match": br.headers["ETag"]}).status_code == 304
    leaflet = client.get("/vendor/leaflet/leaflet.js?v=1.9.3", headers={"Accept-Encoding": "br"})
    assert leaflet.headers["Content-Encoding"] == "br"
    # bodies built per request keep gzip (brotli at its best quality is too slow for them)
    assert client.get("/api/v1/layers", headers={"Accept-Encoding": "gzip, br"}).headers["Content-Encoding"] == "gzip"
