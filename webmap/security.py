"""Response headers: security, framing rules and CORS for the data APIs."""

from __future__ import annotations

from flask import Flask, request

#: Only /embed may be framed by other sites.
EMBEDDABLE_PREFIXES = ("/embed",)
CORS_PREFIXES = ("/api/", "/ogcapi")


def init_app(app: Flask) -> None:
    """Add the headers to every response."""

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if request.path.startswith(EMBEDDABLE_PREFIXES):
            frame = "frame-ancestors *"
        else:
            frame = "frame-ancestors 'self'"
            resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: https://tile.openstreetmap.org https://*.tile.openstreetmap.org "
            "https://*.basemaps.cartocdn.com https://server.arcgisonline.com; "
            "style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; " + frame,
        )
        if request.path.startswith(CORS_PREFIXES) and request.method in ("GET", "HEAD", "OPTIONS"):
            resp.headers["Access-Control-Allow-Origin"] = "*"
        return resp
