"""Setting TRUSTED_PROXIES: client addresses behind a reverse proxy (issue 13, finding 1 and 11)."""

from __future__ import annotations

import pytest
from flask import request

from geo.errors import InvalidParameter
from tests.backends import app_config
from webmap import create_app

FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


def _seen(tiny_store, proxies: int | None) -> tuple[str, str]:
    settings = {} if proxies is None else {"TRUSTED_PROXIES": proxies}
    app = create_app(app_config(tiny_store, settings=settings, TESTING=True))
    app.add_url_rule("/_who", "who", lambda: f"{request.remote_addr} {request.scheme}")
    body = app.test_client().get("/_who", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    return tuple(body.get_data(as_text=True).split())


def test_forwarded_headers_are_ignored_by_default(tiny_store):
    assert _seen(tiny_store, None) == ("10.0.0.2", "http")


def test_one_trusted_proxy_gives_the_client_address_and_scheme(tiny_store):
    assert _seen(tiny_store, 1) == ("203.0.113.9", "https")


def test_negative_proxy_count_is_refused(tiny_store):
    with pytest.raises(InvalidParameter, match="TRUSTED_PROXIES"):
        _seen(tiny_store, -1)


# --- a sub-path behind the proxy (X-Forwarded-Prefix) or a configured BASE_URL ---------------------

import json  # noqa: E402
import re  # noqa: E402

SUBPATH = {"X-Forwarded-Prefix": "/atlas", "X-Forwarded-Host": "sig.example.org", "X-Forwarded-Proto": "https"}
PAGES = ("/", "/couverture", "/embed", "/communes/ML090101", "/quartiers/ML090101001", "/login", "/imports", "/nope")
_ATTRIBUTE = re.compile(r'\b(?:href|src|action|content)="([^"]*)"')
_ADDRESS = re.compile(r"^(?:https?://|/)")
_CONFIG = re.compile(r'<script type="application/json"[^>]*>(.*?)</script>', re.S)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def links_of_page(html: str) -> list[str]:
    """Return the site-relative and absolute addresses in a page: attributes and its JSON configuration."""
    found = _ATTRIBUTE.findall(html)
    for block in _CONFIG.findall(html):
        found += list(_strings(json.loads(block)))
    return [u for u in found if _ADDRESS.match(u)]


def links_of_json(doc) -> list[str]:
    return [u for u in _strings(doc) if _ADDRESS.match(u)]


def assert_under(urls: list[str], prefix: str, origin: str, what: str) -> None:
    assert urls, what
    for url in urls:
        if url.startswith("http"):
            if url.startswith(("http://www.opengis.net/", "https://json-schema.org/", "http://www.w3.org/")):
                continue  # identifiers, not links to the atlas
            if not url.startswith(origin):
                assert "openstreetmap" in url or "carto" in url or "arcgis" in url, (what, url)  # online basemaps
                continue
            url = url[len(origin) :]
        assert url == prefix or url.startswith(prefix + "/") or url.startswith(prefix + "?"), (what, url)


def _links(client, headers: dict) -> dict[str, list[str]]:
    found = {}
    for path in PAGES:
        resp = client.get(path, headers=headers)
        assert resp.status_code in (200, 302, 404), (path, resp.status_code)
        found[path] = links_of_page(resp.get_data(as_text=True)) + [resp.headers.get("Location", "/atlas")]
    for path in ("/ogcapi", "/ogcapi/collections", "/ogcapi/collections/cscom", "/ogcapi/collections/cscom/items",
                 "/ogcapi/collections/cscom/items/dnacpn-01", "/ogcapi/openapi", "/ogcapi/collections/cscom/schema",
                 "/api/v1/layers", "/api/v1/openapi.json"):  # fmt: skip
        resp = client.get(path, headers=headers)
        assert resp.status_code == 200, (path, resp.status_code)
        found[path] = links_of_json(resp.get_json())
    return found


def test_every_link_honours_the_forwarded_prefix(tiny_store):
    app = create_app(app_config(tiny_store, settings={"TRUSTED_PROXIES": 1}, TESTING=True))
    for what, urls in _links(app.test_client(), SUBPATH).items():
        assert_under(urls, "/atlas", "https://sig.example.org", what)
    redirect = app.test_client().get("/communes/ML090101?f=json", headers=SUBPATH)
    assert redirect.status_code == 308 and redirect.headers["Location"].endswith("/atlas/communes/ML090101.json")


def test_the_prefix_header_is_ignored_without_a_trusted_proxy(tiny_store):
    app = create_app(app_config(tiny_store, TESTING=True))
    landing = app.test_client().get("/ogcapi", headers=SUBPATH).get_json()
    assert all(link["href"].startswith("http://localhost/ogcapi") for link in landing["links"][:4])
    assert_under(
        links_of_page(app.test_client().get("/", headers=SUBPATH).get_data(as_text=True)), "", "http://localhost", "/"
    )
