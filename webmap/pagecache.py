"""Cache rendered pages for anonymous visitors, per store version.

The map page is the same for every anonymous visitor with the same URL and
language; rendering it (Jinja + ~100 translations) costs far more than sending
cached bytes. Entries are keyed by the full query string and language, kept
gzip-compressed too, bounded in number, and dropped with the store version.
Visitors with a session cookie (logged-in planners) or an ``Authorization``
header always get a fresh render.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from flask import Response, current_app, request

from geo.cache import LRUCache
from webmap.snapshot import snapshot

MAX_PAGES = 256
MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class CachedPage:
    body: bytes
    gz: bytes
    etag: str

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gz)


def _render_page(render: Callable[[], str]) -> CachedPage:
    body = render().encode("utf-8")
    return CachedPage(body, gzip.compress(body, 6, mtime=0), hashlib.sha256(body).hexdigest()[:32])


def cached_html(key: tuple, render: Callable[[], str]) -> Response:
    """Return ``render()`` as an HTML response, from the cache for anonymous visitors."""
    # A session cookie or an API token may name a planner: such pages are rendered for them, never cached.
    session_cookie = request.cookies.get(current_app.config.get("SESSION_COOKIE_NAME", "session"))
    if session_cookie or "Authorization" in request.headers:
        html = render()
        resp = Response(html, mimetype="text/html")
        resp.add_etag()
        resp.cache_control.no_cache = True
        return resp
    lru = snapshot().memo("pagecache", lambda: LRUCache(MAX_PAGES, MAX_BYTES))
    full_key = json.dumps([*key, request.script_root, request.query_string.decode("latin-1")])
    page = lru.get(full_key, lambda: _render_page(render))
    use_gzip = "gzip" in request.headers.get("Accept-Encoding", "") and request.accept_encodings["gzip"] > 0
    resp = Response(page.gz if use_gzip else page.body, mimetype="text/html")
    if use_gzip:
        resp.headers["Content-Encoding"] = "gzip"
    resp.vary.add("Accept-Encoding")
    resp.vary.add("Cookie")
    resp.set_etag(page.etag + ("-gz" if use_gzip else ""))
    resp.cache_control.no_cache = True
    return resp.make_conditional(request) if "If-None-Match" in request.headers else resp
