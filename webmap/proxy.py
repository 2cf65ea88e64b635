"""Where the atlas is reached from: trusted reverse proxies and the public base URL.

Every link the atlas emits is built by Flask from the request's scheme, host
and script root (``url_for``, ``request.url_root``), so setting those here, once
per request before Flask sees it, makes pages, APIs and the OGC API agree.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from geo.errors import InvalidParameter
from geo.settings import Settings


class BaseURL:
    """WSGI middleware giving every request the scheme, host and path prefix of ``base_url``.

    The proxy in front is expected to strip the prefix, as with
    ``X-Forwarded-Prefix``; a path that still starts with it is served all the same.
    """

    def __init__(self, app, base_url: str):
        parts = urlsplit(base_url)
        self.app = app
        self.scheme = parts.scheme
        self.host = parts.netloc
        self.prefix = parts.path.rstrip("/")

    def __call__(self, environ, start_response):
        environ["wsgi.url_scheme"] = self.scheme
        environ["HTTP_HOST"] = self.host
        path = environ.get("PATH_INFO", "")
        if self.prefix and (path == self.prefix or path.startswith(self.prefix + "/")):
            path = path[len(self.prefix) :]
        environ["PATH_INFO"] = path
        environ["SCRIPT_NAME"] = self.prefix
        return self.app(environ, start_response)


def parse_base_url(text: str) -> str:
    """Return ``text`` if it is an http(s) URL with a host and no query or fragment, else raise InvalidParameter."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InvalidParameter(
            "BAMAKO_ATLAS_BASE_URL",
            f"expected the public address of the atlas, e.g. https://sig.example.org/bamako, got {text!r}",
        )
    return text


def init_app(app: Flask, settings: Settings) -> None:
    """Trust ``TRUSTED_PROXIES`` proxies' X-Forwarded-For/-Proto/-Host/-Prefix; ``BASE_URL`` overrides the address."""
    proxies = settings["TRUSTED_PROXIES"]
    if proxies < 0:
        raise InvalidParameter("BAMAKO_ATLAS_TRUSTED_PROXIES", f"expected a count of proxies ≥ 0, got {proxies}")
    base_url = settings["BASE_URL"]
    if base_url:  # inside ProxyFix: the configured address wins over forwarded ones
        app.wsgi_app = BaseURL(app.wsgi_app, parse_base_url(base_url))
    if proxies:  # client addresses (login limits), scheme, host and sub-path as the reverse proxy saw them
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies)
