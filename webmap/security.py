"""Response headers: security, framing rules and CORS for the data APIs."""

from __future__ import annotations

from flask import Flask, request

#: Only the embed routes (/embed and what is under /embed/) may be framed by other sites.
EMBEDDABLE_PATH = "/embed"
CORS_PREFIXES = ("/api/", "/ogcapi")

#: Scripts only from the app itself (no inline code: page data travels in JSON <script> blocks, which are not run);
#: inline styles are needed by Leaflet; images may come from the three online basemaps.
_CSP = (
    "default-src 'self'; "
    "img-src 'self' data: https://tile.openstreetmap.org https://*.tile.openstreetmap.org "
    "https://*.basemaps.cartocdn.com https://server.arcgisonline.com; "
    "style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
)
_COMMON = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "strict-origin-when-cross-origin"))
#: Headers by "may other sites frame this page?", computed once.
_HEADERS = {
    True: _COMMON + (("Content-Security-Policy", _CSP + "frame-ancestors *"),),
    False: _COMMON + (("Content-Security-Policy", _CSP + "frame-ancestors 'self'"), ("X-Frame-Options", "SAMEORIGIN")),
}


def framable(path: str) -> bool:
    """Return True when other sites may frame ``path``: ``/embed`` and paths under ``/embed/`` only."""
    return path == EMBEDDABLE_PATH or path.startswith(EMBEDDABLE_PATH + "/")


def init_app(app: Flask) -> None:
    """Add the headers to every response, errors included."""

    @app.after_request
    def _headers(resp):
        path = request.path
        headers = resp.headers
        for name, value in _HEADERS[framable(path)]:
            if name not in headers:
                headers[name] = value
        if path.startswith(CORS_PREFIXES) and request.method in ("GET", "HEAD", "OPTIONS"):
            headers["Access-Control-Allow-Origin"] = "*"
        return resp
