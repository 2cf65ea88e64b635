"""Gzip other dynamic responses (JSON documents, forms) when accepted, and answer 304 on a matching ETag.

Cached bodies go through ``webmap.send`` (gzip computed once, kept with the body);
this hook covers the responses built per request with ``jsonify`` or templates.

A tiny ``after_request`` instead of a dependency: responses that are already
encoded (the pre-compressed map data, library files) and streamed or file
responses are left alone. A strong ETag gets a ``-gz`` suffix on the
compressed variant, as the two byte sequences differ.
"""

from __future__ import annotations

from flask import Flask, request

from webmap.send import COMPRESSIBLE, MIN_GZIP_SIZE, gzip_bytes


def init_app(app: Flask) -> None:
    """Register the compression hook."""

    @app.after_request
    def _compress(resp):
        # Hot path: views that send pre-encoded bytes (map data, exports, library files) set their own
        # Content-Encoding, Vary and 304, so they are left alone, and the conditional check runs only
        # when the client sent If-None-Match (make_conditional also parses Range and dates: ~50 µs).
        if resp.status_code != 200 or resp.direct_passthrough or resp.is_streamed:
            return resp
        environ = request.environ
        if "Content-Encoding" not in resp.headers and resp.mimetype in COMPRESSIBLE:
            resp.vary.add("Accept-Encoding")
            if "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "").lower():
                body = resp.get_data()
                if len(body) >= MIN_GZIP_SIZE:
                    resp.set_data(gzip_bytes(body))
                    resp.headers["Content-Encoding"] = "gzip"
                    tag, weak = resp.get_etag()
                    if tag:
                        resp.set_etag(tag + "-gz", weak=weak)
        if "HTTP_IF_NONE_MATCH" in environ and request.method in ("GET", "HEAD") and resp.get_etag()[0]:
            resp = resp.make_conditional(request)
        return resp
