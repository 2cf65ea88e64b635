"""Where each URL of the atlas goes in a static copy: one file per URL, query strings folded into the name.

Documents (HTML pages, OGC API JSON) keep names derived from their URL, so a link
typed by hand still works: ``/communes/ML090101`` → ``communes/ML090101/index.html``,
``/couverture?lang=en`` → ``couverture/index.lang-en.html``, ``/ogcapi/collections?f=json``
→ ``ogcapi/collections/index.json``. Files the pages fetch or offer (assets, map data,
coverage, exports, images) carry a content hash, ``cscom.3fa0c1d2e4.geojson``, so a CDN may
keep them for a year (:data:`CACHE_POLICY`).
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from urllib.parse import parse_qsl, urlsplit

#: URL prefixes of files named by their content (cached for a year).
HASHED = ("/vendor/", "/api/v1/map-data.json", "/api/v1/coverage", "/maps/", "/api/v1/layers/", "/api/v1/package.zip")
#: Pages and API calls that need the server (accounts, edits, imports, history, free selections, suggestions).
SERVER_ONLY = ("/login", "/logout", "/history", "/imports", "/donnees/export", "/api/v1/facilities",
               "/api/v1/history", "/api/v1/conflicts", "/api/v1/imports", "/api/v1/coverage/suggest")  # fmt: skip
#: Media type → file extension of a document whose URL has none.
EXTENSIONS = {"text/html": "html", "application/json": "json", "application/geo+json": "json",
              "application/schema+json": "json", "application/vnd.oai.openapi+json": "json"}  # fmt: skip
_SAFE = re.compile(r"[^A-Za-z0-9_.,-]")
#: Two-part extensions of the export formats.
DOUBLE_SUFFIXES = ("fr", "shp")
ONE_YEAR_S = 365 * 24 * 3600
#: Files written with a gzip copy beside them (``x.html.gz``), for nginx's ``gzip_static``; smaller ones are not.
PRECOMPRESSED = (".html", ".json", ".geojson", ".js", ".css", ".csv", ".kml", ".svg")
PRECOMPRESS_MIN_BYTES = 1024

#: The cache policy of a static copy, for Netlify/Cloudflare Pages (``_headers``) and nginx.
CACHE_POLICY = f"""\
# Bamako Atlas, static copy: content-hashed files are cached for a year, pages and OGC API documents revalidated.
/vendor/*
  Cache-Control: public, max-age={ONE_YEAR_S}, immutable
/api/v1/*
  Cache-Control: public, max-age={ONE_YEAR_S}, immutable
/maps/*
  Cache-Control: public, max-age={ONE_YEAR_S}, immutable
/*
  Cache-Control: public, no-cache
"""

NGINX_SNIPPET = f"""\
# Bamako Atlas, static copy (bamako-atlas publish DIR): root DIR; at the root of a host.
index index.html index.json;   # /ogcapi/collections → collections/index.json (GDAL's OAPIF driver asks for it)
gzip_static on; gzip_vary on;   # the .gz written beside each text file: compressed once, not per request
location ~ ^/(vendor|maps)/|^/api/v1/(map-data|coverage|layers/|package) {{
    add_header Cache-Control "public, max-age={ONE_YEAR_S}, immutable";
    add_header Access-Control-Allow-Origin "*";
}}
location / {{
    add_header Cache-Control "public, no-cache";
    add_header Access-Control-Allow-Origin "*";
}}
"""


def split(url: str) -> tuple[str, str]:
    """Return the path and the canonical (sorted) query of a site URL."""
    parts = urlsplit(url)
    query = "&".join(f"{k}={v}" for k, v in sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return parts.path or "/", query


def _slug(path: str, query: str, *, hashed: bool) -> str:
    # the format of an OGC API document is in its extension; a hashed file's version in its hash
    dropped = "v" if hashed else "f" if path.startswith("/ogcapi") else ""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != dropped]
    text = ".".join(f"{k}-{v}" for k, v in pairs)
    safe = _SAFE.sub("_", text)
    return safe if safe == text else f"{safe[:60]}-{hashlib.sha256(query.encode()).hexdigest()[:8]}"


def is_document(path: str, mimetype: str) -> bool:
    """Return True for a page or an OGC API document (named from its URL, revalidated by caches)."""
    return mimetype == "text/html" or path.startswith("/ogcapi")


def file_path(url: str, mimetype: str, body: bytes | None = None) -> str:
    """Return the site path (``/…``) of the file written for ``url``; ``body`` (rewritten) names hashed files."""
    path, query = split(url)
    hashed = body is not None and path.startswith(HASHED)
    slug = _slug(path, query, hashed=hashed) if query else ""
    if is_document(path, mimetype):
        ext = EXTENSIONS.get(mimetype, "json")
        folder = path.rstrip("/") + "/"
        return folder if not slug and ext == "html" else f"{folder}index{'.' + slug if slug else ''}.{ext}"
    folder, base = posixpath.split(path)
    name, dot, ext = base.rpartition(".")
    if not dot:
        name, ext = base, EXTENSIONS.get(mimetype, "bin")
    elif name.rpartition(".")[2] in DOUBLE_SUFFIXES:
        name, _, first = name.rpartition(".")
        ext = f"{first}.{ext}"
    digest = hashlib.sha256(body).hexdigest()[:10] if hashed else ""
    stem = ".".join(part for part in (name, slug, digest) if part)
    return posixpath.join(folder, f"{stem}.{ext}")


def disk_path(site_path: str) -> str:
    """Return the relative file name of a site path (a folder URL is its ``index.html``)."""
    return site_path.lstrip("/") + ("index.html" if site_path.endswith("/") else "")


def server_only(url: str) -> bool:
    """Return True for a URL that needs the live server (see :data:`SERVER_ONLY`)."""
    path, query = split(url)
    if path.startswith("/ogcapi") and ("f=html" in query.split("&") or path.endswith("/openapi") and query):
        return True
    return path.startswith(SERVER_ONLY)
