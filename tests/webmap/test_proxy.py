"""Setting TRUSTED_PROXIES: client addresses behind a reverse proxy (issue 13, finding 1 and 11)."""

from __future__ import annotations

import pytest
from flask import request

from geo.errors import InvalidParameter
from webmap import create_app

FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


def _seen(tiny_store, proxies: int | None) -> tuple[str, str]:
    settings = {} if proxies is None else {"TRUSTED_PROXIES": proxies}
    app = create_app({"ATLAS_STORE": str(tiny_store), "ATLAS_SETTINGS": settings, "TESTING": True})
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
