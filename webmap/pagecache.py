"""Cache rendered pages for anonymous visitors, per store version.

The map page is the same for every anonymous visitor with the same URL and
language; rendering it (Jinja + ~100 translations) costs far more than sending
cached bytes. Entries are keyed by the full query string and language, kept
gzip-compressed too, bounded in number, and dropped with the store version.
Signed-in planners (a live session or a valid API token) always get a fresh
render; any other cookie or header, even a forged one, gets the cached page.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Response, request

from geo.cache import LRUCache
from webmap import auth
from webmap.send import Body, send
from webmap.snapshot import snapshot

MAX_PAGES = 256
MAX_BYTES = 64 * 1024 * 1024


def _page(html: str) -> Body:
    return Body(html.encode("utf-8"), "text/html; charset=utf-8", compress=True, brotli=True)


def personal() -> bool:
    """Return True when a signed-in planner asks (a live session or a valid API token): never cache for them.

    A cookie alone proves nothing: a garbage or ended session gets the cached page like any visitor.
    """
    return auth.current_user() is not None


def cached_html(key: tuple, render: Callable[[], str]) -> Response:
    """Return ``render()`` as an HTML response, from the cache for anonymous visitors."""
    if personal():
        return send(Body(render().encode("utf-8"), "text/html; charset=utf-8"), cache_control="no-cache")
    lru = snapshot().memo("pagecache", lambda: LRUCache(MAX_PAGES, MAX_BYTES))
    full_key = json.dumps([*key, request.script_root, request.query_string.decode("latin-1")])
    page = lru.get(full_key, lambda: _page(render()))
    return send(page, cache_control="no-cache", vary=("Cookie",))
