"""Write the read-only atlas as static files: the app's test client over every page and what they link to.

The pages are rendered with ``STATIC_SITE`` (:mod:`webmap.staticsite`); starting from
the map, coverage and data pages, every unit page and the OGC API landing, each
internal URL a page, script, stylesheet or JSON document names is fetched once and
written under the name :mod:`webmap.publish.paths` gives it, and every reference is
rewritten to that name. What needs the server is linked to ``live_url`` when given.
The site is written to a temporary folder beside ``target`` and renamed into place.
"""

from __future__ import annotations

import gzip
import html
import logging
import os
import posixpath
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from flask import Flask

from geo.errors import AtlasError
from geo.render import PRESETS
from webmap.publish import paths

log = logging.getLogger(__name__)

#: The origin the test client pretends to serve; absolute links to it are the site's own.
ORIGIN = "http://publish.invalid"
#: Quoted root-relative or absolute-to-ORIGIN URLs in HTML, JSON and scripts; ``url(…)`` in stylesheets.
QUOTED = re.compile(r"""(?P<q>["'])(?P<url>(?:""" + re.escape(ORIGIN) + r""")?/(?!/)(?:[^"'\s<>\\]|\\u0026)*)(?P=q)""")
#: The JSON a page hands to its script (odd items of ``CONFIG_BLOCK.split(page)``).
CONFIG_BLOCK = re.compile(r"""(?<=type="application/json">)([^<]*)(?=</script>)""")
#: ``&`` as Flask's ``tojson`` writes it inside ``<script>`` blocks.
JSON_AMP = "\\u0026"
RELATIVE_IMPORT = re.compile(r"""(?P<q>["'])(?P<url>\.{1,2}/[^"'\s]+)(?P=q)""")
CSS_URL = re.compile(r"""url\((?P<q>["']?)(?P<url>(?!data:|#)[^"')]+)(?P=q)\)""")
TEXT_TYPES = ("text/", "application/json", "application/geo+json", "application/schema+json",
              "application/vnd.oai.openapi+json", "application/javascript", "image/svg+xml")  # fmt: skip
MAX_URLS = 200_000


class PublishError(AtlasError):
    """A page the static copy needs could not be rendered."""


@dataclass
class _Resource:
    """A fetched URL; its body waits in a spool file until the names of what it references are known."""

    url: str
    mimetype: str
    spool: Path
    refs: dict[str, str] = field(default_factory=dict)  # text as written → canonical URL

    @property
    def body(self) -> bytes:
        return self.spool.read_bytes()


@dataclass
class PublishReport:
    """What :func:`publish` wrote: files, bytes, seconds, and URLs left to the live site."""

    target: Path
    files: int
    bytes: int
    seconds: float
    server_only: list[str]


def _is_text(mimetype: str) -> bool:
    return mimetype.startswith(TEXT_TYPES) or mimetype.endswith(("+json", "javascript"))


def _canonical(text: str, base: str) -> str:
    if text.startswith(("/", ORIGIN)):  # most references: root-relative, the same whatever page names them
        return _rooted(text)
    return _resolve(text, base)


@lru_cache(maxsize=1 << 16)
def _rooted(text: str) -> str:
    return _resolve(text, "/")


def _resolve(text: str, base: str) -> str:
    url = html.unescape(text.replace(JSON_AMP, "&"))
    if url.startswith(ORIGIN):
        url = url[len(ORIGIN) :] or "/"
    url = urljoin(base, url)
    if "lang=fr" in url:  # French is what a static page without a language shows: one file, one render
        parts = urlsplit(url)
        query = urlencode(
            [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if (k, v) != ("lang", "fr")]
        )
        url = parts.path + ("?" + query if query else "")
    return url


def _references(url: str, mimetype: str, body: bytes) -> dict[str, str]:
    if not _is_text(mimetype):
        return {}
    text = body.decode("utf-8", "replace")
    found = {m["url"]: _canonical(m["url"], url) for m in QUOTED.finditer(text)}
    if mimetype.startswith(("application/javascript", "text/javascript")):
        found.update({m["url"]: _canonical(m["url"], url) for m in RELATIVE_IMPORT.finditer(text)})
    if mimetype.startswith("text/css"):
        found.update({m["url"]: _canonical(m["url"], url) for m in CSS_URL.finditer(text)})
    return found


class _Crawler:
    def __init__(self, app: Flask, *, live_url: str, base_url: str, spool: Path) -> None:
        # No cookie jar: a ``?lang=en`` page sets the language cookie, which would turn every page and
        # OGC API document crawled after it English (one file per URL, French without ``lang``).
        self.client = app.test_client(use_cookies=False)
        self.spool = spool  # the bodies, one file each, so the site is never held in memory whole
        self.live_url = live_url.rstrip("/")
        self.base_url = base_url.rstrip("/")
        self.resources: dict[str, _Resource] = {}
        self.missing: set[str] = set()
        self.server_only: set[str] = set()
        self.names: dict[str, str] = {}

    def fetch(self, url: str) -> _Resource | None:
        if url in self.resources:
            return self.resources[url]
        if url in self.missing or paths.server_only(url):
            (self.server_only if paths.server_only(url) else self.missing).add(url)
            return None
        response = self.client.get(url, base_url=ORIGIN, headers={"Accept-Encoding": "identity"})
        if response.status_code != 200:
            self.missing.add(url)  # a URL template (/quartiers/PCODE) or a link the live site redirects
            return None
        body, mimetype = response.get_data(), response.mimetype or "application/octet-stream"
        resource = _Resource(url, mimetype, self.spool / str(len(self.resources)), _references(url, mimetype, body))
        resource.spool.write_bytes(body)
        self.resources[url] = resource
        return resource

    def crawl(self, seeds: Iterable[str]) -> None:
        queue = list(dict.fromkeys(seeds))
        queued = set(queue)
        for done, url in enumerate(queue):
            if done % 1000 == 999:
                log.info("%d URLs fetched, %d to go", len(self.resources), len(queue) - done)
            if len(self.resources) > MAX_URLS:
                raise PublishError(f"more than {MAX_URLS} URLs: the pages link to an unbounded set")
            resource = self.fetch(url)
            if resource is not None:
                new = [u for u in dict.fromkeys(resource.refs.values()) if u not in queued]
                queue.extend(new)
                queued.update(new)
        for seed in seeds:
            if seed not in self.resources and not paths.server_only(seed):
                raise PublishError(f"page {seed} could not be rendered")

    def name(self, url: str, stack: tuple[str, ...] = ()) -> str:
        """Return the site path of ``url`` (hashed files after the files they name)."""
        if url in self.names:
            return self.names[url]
        resource = self.resources[url]
        if not self._hashed(url):
            self.names[url] = paths.file_path(url, resource.mimetype)
        elif url in stack:
            raise PublishError(f"{url} is part of a reference cycle between content-hashed files")
        else:
            self.names[url] = paths.file_path(url, resource.mimetype, self.rewrite(resource, (*stack, url)))
        return self.names[url]

    def _hashed(self, url: str) -> bool:
        path = paths.split(url)[0]
        return path.startswith(paths.HASHED) and not paths.is_document(path, self.resources[url].mimetype)

    def target(self, url: str, stack: tuple[str, ...], *, absolute: bool = False) -> str | None:
        if url in self.resources:
            return (self.base_url if absolute else "") + self.name(url, stack)
        if url in self.server_only and self.live_url:
            return self.live_url + url
        return None

    def rewrite(self, resource: _Resource, stack: tuple[str, ...] = ()) -> bytes:
        if not resource.refs:
            return resource.body
        text = resource.body.decode("utf-8")

        def swap(match: re.Match, *, config: bool = False) -> str:
            url = resource.refs[match["url"]]
            if url == resource.url and self._hashed(url):
                return match[0]  # a file naming itself cannot know its hash: it keeps its live URL
            if config and "?" not in url and url in self.resources and self._hashed(url):
                return match[0]  # a page script's base URL, to which it adds a query (looked up in its table)
            written = self.target(url, stack, absolute=resource.url.startswith("/ogcapi"))
            if written is None:
                return match[0]
            if JSON_AMP in match["url"]:
                written = written.replace("&", JSON_AMP)
            elif resource.mimetype == "text/html":
                written = html.escape(written, quote=False)
            return match[0].replace(match["url"], written)

        def sub(pattern: re.Pattern, part: str, config: bool = False) -> str:
            return pattern.sub(lambda m: swap(m, config=config) if m["url"] in resource.refs else m[0], part)

        if resource.mimetype == "text/html":  # the pages' JSON configs: <script type="application/json">
            pieces = CONFIG_BLOCK.split(text)
            text = "".join(sub(QUOTED, piece, config=i % 2 == 1) for i, piece in enumerate(pieces))
        else:
            for pattern in (QUOTED, RELATIVE_IMPORT, CSS_URL):
                text = sub(pattern, text)
        return text.encode()


def seeds(app: Flask) -> list[str]:
    """Return the URLs a static copy starts from: the views in FR and EN, every unit page, the OGC API."""
    atlas = app.extensions["atlas_catalog"].atlas
    pages = ["/", "/embed", "/couverture", "/embed/couverture", "/donnees"]
    urls = [*pages, *(f"{p}?lang=en" for p in pages), "/api/v1/layers", "/api/v1/package.zip?lang=en"]
    urls += ["/ogcapi?f=json", "/ogcapi/conformance?f=json", "/ogcapi/collections?f=json"]
    urls += [f"/maps/{name}.{fmt}{lang}" for name in PRESETS for fmt in ("png", "pdf") for lang in ("", "?lang=en")]
    for level, column in (("communes", "pcode"), ("quartiers", "pcode"), ("facilities", "id")):
        for value in atlas.layers[level][column].dropna():
            urls += [f"/{level}/{value}", f"/{level}/{value}.json"]
    return urls


def publish(
    store: Path | str, target: Path, *, live_url: str = "", base_url: str = "", settings: dict | None = None
) -> PublishReport:
    """Write the static atlas of ``store`` to folder ``target`` (replaced whole, never half-written).

    ``store`` is a GeoPackage (its planners' edits in ``edits.sqlite`` beside it) or a PostgreSQL URL (the
    store and the edits in that database).
    """
    from geo.planning.edits.pg import is_url
    from webmap import create_app

    target = Path(target)
    if target.exists() and not (target / "_headers").is_file() and (target.is_file() or any(target.iterdir())):
        raise PublishError(f"{target} exists and is not a static atlas (no _headers file): choose an empty folder")
    started = time.perf_counter()
    settings = {**(settings or {}), "DATABASE": str(store)} if is_url(store) else settings or {}
    where = {} if is_url(store) else {"ATLAS_STORE": str(store)}
    app = create_app({**where, "STATIC_SITE": True, "STATIC_LIVE_URL": live_url, "ATLAS_SETTINGS": settings,
                      "ATLAS_READ_ONLY": True})  # fmt: skip
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        spool = staging / ".spool"
        spool.mkdir()
        crawler = _Crawler(app, live_url=live_url, base_url=base_url, spool=spool)
        crawler.crawl(seeds(app))
        total = 0
        for url, resource in crawler.resources.items():
            path = staging / paths.disk_path(crawler.name(url))
            path.parent.mkdir(parents=True, exist_ok=True)
            if resource.refs:
                body = crawler.rewrite(resource)
                path.write_bytes(body)
                resource.spool.unlink()
            else:  # written as fetched: moved into place
                os.replace(resource.spool, path)
                body = None
            size = path.stat().st_size
            if path.suffix in paths.PRECOMPRESSED and size >= paths.PRECOMPRESS_MIN_BYTES:
                # level 6 and no time stamp: a CDN or nginx serves it as is, and a republish gives the same bytes
                data = gzip.compress(path.read_bytes() if body is None else body, compresslevel=6, mtime=0)
                path.with_name(path.name + ".gz").write_bytes(data)
            total += size
        spool.rmdir()
        (staging / "_headers").write_text(paths.CACHE_POLICY, encoding="utf-8")
        (staging / "nginx-bamako-atlas.conf").write_text(paths.NGINX_SNIPPET, encoding="utf-8")
        _replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return PublishReport(target, len(crawler.resources), total, time.perf_counter() - started,
                         sorted(crawler.server_only))  # fmt: skip


def _replace(staging: Path, target: Path) -> None:
    """Move ``staging`` to ``target``; an older ``target`` is renamed aside first and removed after."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{posixpath.basename(str(staging))[-8:]}")
        target.rename(old)
    staging.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
