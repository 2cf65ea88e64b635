"""One way to send bytes: a ``Body`` (bytes, media type, ETag, gzip computed once) and ``send()``.

``send`` negotiates gzip (the compressed variant's ETag gets a ``-gz`` suffix, as
the two byte sequences differ) and, for bodies sent often and kept (``brotli=True``:
library files, the map data), brotli (``-br``), a sixth smaller for the bytes a
slow link waits for first; answers 304 when If-None-Match names either
variant, and sets Cache-Control, Vary and Content-Disposition. A ``Body`` kept in
a cache carries its gzip bytes with it, so a hit is never compressed again.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import brotli
from flask import Response, request

#: Media types worth compressing (by their part before ``;``).
COMPRESSIBLE = frozenset({"text/html", "text/css", "text/plain", "text/csv", "application/json", "application/geo+json",
                          "application/javascript", "text/javascript", "image/svg+xml", "application/xml"})  # fmt: skip
#: Smallest body worth compressing, bytes.
MIN_GZIP_SIZE = 512
GZIP_LEVEL = 6


def gzip_bytes(data: bytes, level: int = GZIP_LEVEL) -> bytes:
    """Return ``data`` gzip-compressed, reproducibly (no timestamp)."""
    return gzip.compress(data, level, mtime=0)


def compressible(media_type: str) -> bool:
    """Return True when a body of ``media_type`` is worth compressing."""
    return media_type.split(";", 1)[0].strip().lower() in COMPRESSIBLE


def accepts_brotli() -> bool:
    """Return True when the request accepts a brotli-encoded response."""
    header = request.environ.get("HTTP_ACCEPT_ENCODING", "")
    return "br" in header.lower() and request.accept_encodings["br"] > 0


def accepts_gzip() -> bool:
    """Return True when the request accepts a gzip-encoded response."""
    header = request.environ.get("HTTP_ACCEPT_ENCODING", "")
    return "gzip" in header.lower() and request.accept_encodings["gzip"] > 0


@dataclass(frozen=True)
class Body:
    """Bytes ready to send: media type, strong ETag (of the bytes unless ``tag``) and a lazily computed gzip.

    ``compress`` forces whether a gzip variant is served (default: by media type and size); ``brotli`` adds a
    brotli variant at its best quality (slow to compute: only for bodies computed once and kept).
    """

    data: bytes
    media_type: str
    filename: str = ""
    tag: str | None = field(default=None, repr=False)
    compress: bool | None = None
    level: int = GZIP_LEVEL
    brotli: bool = False

    @cached_property
    def etag(self) -> str:
        """Return the ETag of the plain bytes (the given ``tag``, else a hash of the bytes)."""
        return self.tag or hashlib.sha256(self.data).hexdigest()[:32]

    @property
    def compressible(self) -> bool:
        """Return True when a gzip variant is served."""
        if self.compress is not None:
            return self.compress
        return len(self.data) >= MIN_GZIP_SIZE and compressible(self.media_type)

    @cached_property
    def gz(self) -> bytes:
        """Return the gzip variant, compressed on first use and kept with the body."""
        return gzip_bytes(self.data, self.level)

    @cached_property
    def br(self) -> bytes:
        """Return the brotli variant, compressed on first use and kept with the body."""
        return brotli.compress(self.data, quality=11)

    @property
    def size(self) -> int:
        """Return the memory held, in bytes (counting the compressed variants, whether computed yet or not)."""
        return len(self.data) * ((3 if self.brotli else 2) if self.compressible else 1)


def not_modified(etag: str) -> bool:
    """Return True when the request's If-None-Match names ``etag`` or its gzip or brotli variant."""
    if "HTTP_IF_NONE_MATCH" not in request.environ:
        return False
    match = request.if_none_match
    return any(match.contains_weak(tag) for tag in (etag, f"{etag}-gz", f"{etag}-br"))


def unchanged(etag: str, *, cache_control: str, headers: Mapping[str, str] | None = None) -> Response | None:
    """Return a 304 when the client holds ``etag`` (checked before building an expensive body), else None."""
    if not not_modified(etag):
        return None
    return Response(status=304, headers={"ETag": f'"{etag}"', "Cache-Control": cache_control, **(headers or {})})


def send(
    body: Body,
    *,
    cache_control: str,
    vary: Iterable[str] = (),
    disposition: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Return ``body`` (brotli or gzip when accepted and worth it), or 304 when the client holds it.

    ``disposition`` is ``"attachment"`` or ``"inline"`` (with the body's file name);
    ``headers`` are added to both the 200 and the 304.
    """
    encoding = None
    if body.compressible:
        encoding = "br" if body.brotli and accepts_brotli() else "gzip" if accepts_gzip() else None
    etag = f"{body.etag}-{'gz' if encoding == 'gzip' else encoding}" if encoding else body.etag
    out = {"ETag": f'"{etag}"', "Cache-Control": cache_control, **(headers or {})}
    vary = [*vary, *(("Accept-Encoding",) if body.compressible else ())]
    if vary:
        out["Vary"] = ", ".join(dict.fromkeys(vary))
    if not_modified(body.etag):
        return Response(status=304, headers=out)
    if disposition and body.filename:
        out["Content-Disposition"] = f'{disposition}; filename="{body.filename}"'
    if encoding:
        out["Content-Encoding"] = encoding
    data = body.br if encoding == "br" else body.gz if encoding else body.data
    return Response(data, headers=out, content_type=body.media_type)
