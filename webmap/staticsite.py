"""Static publication mode: what the pages emit when rendered for ``bamako-atlas publish``.

One flag, ``STATIC_SITE`` in the app config, read here only (:func:`enabled`):
templates hide what needs the server (login, the selection form), and the
coverage page is given the files of its default views (:func:`coverage_site`).
The URL → file mapping lives in :mod:`webmap.publish.paths`.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, current_app, url_for


def enabled() -> bool:
    """Return True when pages are rendered for a static copy of the atlas."""
    return bool(current_app.config.get("STATIC_SITE"))


def live_url() -> str:
    """Return the live atlas's address for what needs the server ('' for none)."""
    return str(current_app.config.get("STATIC_LIVE_URL") or "").rstrip("/")


def server_url(url: str) -> str:
    """Return ``url``, or its address on the live atlas in a static copy (an image of any view needs the server)."""
    return live_url() + url if enabled() and live_url() else url


def coverage_site(kinds: list[dict]) -> dict[str, str] | None:
    """Return the coverage requests a static page may make: ``URL without its leading '/'`` → URL.

    The publisher writes a file for each value and rewrites the values to the file names;
    the script looks a URL it builds up in this table (each kind at its default threshold).
    """
    if not enabled():
        return None
    urls = []
    for entry in kinds:
        query = {"kind": entry["key"], "threshold_m": str(round(entry["default_m"]))}
        urls.append(url_for("coverage.coverage_api") + "?" + urlencode({**query, "unit": "quartier"}))
        urls.append(url_for("coverage.surface_png") + "?" + urlencode(query))
        urls.append(url_for("coverage.catchments_api") + "?" + urlencode({"kind": entry["key"]}))
        for fmt in ("csv", "fr.csv", "geojson"):
            urls.append(url_for("coverage.coverage_file", fmt=fmt) + "?" + urlencode(query))
    return {url[1:]: url for url in urls}


def init_app(app: Flask) -> None:
    """Give templates ``static_site`` and ``live_url``."""
    app.context_processor(lambda: {"static_site": enabled(), "live_url": live_url()})
