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
