"""Cache rendered pages for anonymous visitors, per store version.

The map page is the same for every anonymous visitor with the same URL and
language; rendering it (Jinja + ~100 translations) costs far more than sending
cached bytes. Entries are keyed by the full query string and language, kept
gzip-compressed too, bounded in number, and dropped with the store version.
Visitors with a session cookie (logged-in planners) or an ``Authorization``
header always get a fresh render.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Response, current_app, request

from geo.cache import LRUCache
from webmap.send import Body, send
from webmap.snapshot import snapshot

MAX_PAGES = 256
MAX_BYTES = 64 * 1024 * 1024


def _page(html: str) -> Body:
    return Body(html.encode("utf-8"), "text/html; charset=utf-8", compress=True)


def personal() -> bool:
    """Return True when the request may name a planner (a session cookie or an API token): never cache for it."""
    session_cookie = request.cookies.get(current_app.config.get("SESSION_COOKIE_NAME", "session"))
    return bool(session_cookie) or "Authorization" in request.headers


def cached_html(key: tuple, render: Callable[[], str]) -> Response:
    """Return ``render()`` as an HTML response, from the cache for anonymous visitors."""
    if personal():
        return send(Body(render().encode("utf-8"), "text/html; charset=utf-8"), cache_control="no-cache")
    lru = snapshot().memo("pagecache", lambda: LRUCache(MAX_PAGES, MAX_BYTES))
    full_key = json.dumps([*key, request.script_root, request.query_string.decode("latin-1")])
    page = lru.get(full_key, lambda: _page(render()))
    return send(page, cache_control="no-cache", vary=("Cookie",))
