"""Response headers: security, framing rules and CORS for the data APIs and images (reads only)."""

from __future__ import annotations

from flask import Flask, request

#: Only the embed routes (/embed and what is under /embed/) may be framed by other sites.
EMBEDDABLE_PATH = "/embed"
#: Paths other sites' scripts may read (GET/HEAD only): the data APIs and the print images.
CORS_PREFIXES = ("/api/", "/ogcapi", "/maps/")
#: Methods open to other origins; writes (POST, PATCH, DELETE) never are.
CORS_METHODS = ("GET", "HEAD")
#: Request headers a cross-origin read may carry (the preflight's answer): conditional requests, negotiation, and
#: what libraries add (jQuery's X-Requested-With). Not Authorization: token reads stay same-origin or server-side.
CORS_REQUEST_HEADERS = (
    "Accept, Accept-Language, Cache-Control, If-Modified-Since, If-None-Match, Pragma, X-Requested-With"
)
#: Response headers other sites' scripts may read besides the safelisted ones.
CORS_EXPOSED_HEADERS = "Content-Crs, Content-Disposition, ETag, Retry-After"
#: Seconds a browser may reuse a preflight's answer.
CORS_MAX_AGE_S = 86400

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
        if path.startswith(CORS_PREFIXES):
            _cors(headers)
        return resp


def _cors(headers) -> None:
    """Open reads of the current path to every origin, and answer a preflight for a read.

    Anonymous reads only: ``*`` forbids credentials, so cookies and tokens are
    never sent cross-origin; a preflight for any other method, or for a path
    without GET (Flask's automatic OPTIONS lists them in ``Allow``), gets no
    CORS header and the browser refuses the request.
    """
    if request.method in CORS_METHODS:
        headers["Access-Control-Allow-Origin"] = "*"
        headers["Access-Control-Expose-Headers"] = CORS_EXPOSED_HEADERS
        return
    asked = request.headers.get("Access-Control-Request-Method")
    allowed = {m.strip() for m in headers.get("Allow", "").split(",")}
    if request.method == "OPTIONS" and asked in CORS_METHODS and "GET" in allowed:
        headers["Access-Control-Allow-Origin"] = "*"
        headers["Access-Control-Allow-Methods"] = ", ".join((*CORS_METHODS, "OPTIONS"))
        headers["Access-Control-Allow-Headers"] = CORS_REQUEST_HEADERS
        headers["Access-Control-Max-Age"] = str(CORS_MAX_AGE_S)
