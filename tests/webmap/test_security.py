"""Security headers on every response; only /embed may be framed; scripts only from the app."""

from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize("path", ["/", "/embed", "/couverture", "/api/v1/layers", "/ogcapi", "/nope", "/api/nope"])
def test_every_response_has_the_security_headers(client, path):
    resp = client.get(path)
    csp = resp.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert script_src.strip() == "'self'"  # no inline or remote scripts
    assert "object-src 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"]
    if path.startswith("/embed"):
        assert "frame-ancestors *" in csp and "X-Frame-Options" not in resp.headers
    else:
        assert "frame-ancestors 'self'" in csp and resp.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_pages_carry_no_inline_executable_script(client):
    html = client.get("/").get_data(as_text=True)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\son[a-z]+=", html)


def test_cors_only_on_data_apis(client):
    assert client.get("/api/v1/layers").headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Origin" not in client.get("/").headers


def preflight(client, path: str, method: str = "GET", headers: str = "if-none-match,x-requested-with"):
    return client.options(
        path,
        headers={
            "Origin": "https://partner.example",
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


@pytest.mark.parametrize(
    "path", ["/ogcapi/collections", "/ogcapi/collections/cscom/items", "/api/v1/layers/cscom.geojson",
             "/api/v1/coverage", "/maps/district.png", "/maps/coverage.pdf"],
)  # fmt: skip
def test_a_preflight_for_a_read_is_answered_with_the_headers_browsers_send(client, path):
    resp = preflight(client, path)
    assert resp.status_code == 200 and resp.headers["Access-Control-Allow-Origin"] == "*"
    assert {"GET", "HEAD"} <= {m.strip() for m in resp.headers["Access-Control-Allow-Methods"].split(",")}
    allowed = {h.strip().lower() for h in resp.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"if-none-match", "x-requested-with", "accept", "accept-language"} <= allowed
    assert "authorization" not in allowed  # token reads are not cross-origin
    assert int(resp.headers["Access-Control-Max-Age"]) > 0


@pytest.mark.parametrize(
    ("path", "method"),
    [("/api/v1/facilities", "POST"), ("/api/v1/facilities/dnacpn-01", "PATCH"),
     ("/api/v1/facilities/dnacpn-01", "DELETE"), ("/api/v1/facilities/merge", "POST"),
     ("/api/v1/imports", "POST"), ("/api/v1/facilities", "GET"), ("/login", "POST"), ("/", "GET")],
)  # fmt: skip
def test_writes_and_pages_never_become_cross_origin(client, path, method):
    resp = preflight(client, path, method, headers="content-type,x-csrf-token")
    assert not any(name.startswith("Access-Control-") for name in resp.headers.keys()), resp.headers
    assert "Access-Control-Allow-Origin" not in client.post(path, headers={"Origin": "https://partner.example"}).headers


def test_cross_origin_reads_expose_etag_and_content_crs(client):
    items = client.get("/ogcapi/collections/cscom/items", headers={"Origin": "https://partner.example"})
    assert items.headers["Content-Crs"] and items.headers["ETag"]
    exposed = {h.strip().lower() for h in items.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"etag", "content-crs", "content-disposition"} <= exposed
    again = client.get("/ogcapi/collections/cscom/items", headers={"If-None-Match": items.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Access-Control-Allow-Origin"] == "*"
    export = client.get("/api/v1/layers/cscom.csv")
    assert "etag" in export.headers["Access-Control-Expose-Headers"].lower()


def test_print_images_can_be_fetched_by_script(client):
    resp = client.get("/maps/district.png?size=400x300&dpi=50", headers={"Origin": "https://partner.example"})
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "etag" in resp.headers["Access-Control-Expose-Headers"].lower()
