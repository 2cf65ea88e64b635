"""Serve JavaScript/CSS libraries from installed Python packages, and the app's own static files.

No third-party file is copied into the repository and no page loads anything
from a CDN: Leaflet and Leaflet.markercluster come from the XStatic packages
installed with the app. Files are read once, gzip-compressed once, and served
from memory (``webmap.send``) with a strong ETag; URLs carry the package version (or a content
hash for the app's own files), so browsers may cache them for a year.
"""

from __future__ import annotations

import importlib
import mimetypes
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, abort, request, url_for

from geo.cache import LRUCache
from webmap.send import Body, send

#: Bundle name → (Python module, attribute holding its data folder).
BUNDLES: dict[str, tuple[str, str]] = {
    "leaflet": ("xstatic.pkg.leaflet", "BASE_DIR"),
    "markercluster": ("xstatic.pkg.leaflet_markercluster", "BASE_DIR"),
}
#: The app's own static folder, served under the bundle name "atlas".
OWN_BUNDLE = "atlas"
OWN_DIR = Path(__file__).parent / "static"
#: Suffixes worth compressing.
COMPRESSIBLE = (".js", ".css", ".svg", ".json", ".map")
ONE_YEAR_S = 365 * 24 * 3600
MAX_FILES = 512
MAX_BYTES = 64 * 2**20

bp = Blueprint("assets", __name__)


@cache
def bundle_dir(name: str) -> tuple[Path, str]:
    """Return (folder, version) of bundle ``name``; 404 for an unknown bundle."""
    if name == OWN_BUNDLE:
        return OWN_DIR, ""
    if name not in BUNDLES:
        abort(404)
    module = importlib.import_module(BUNDLES[name][0])
    return Path(getattr(module, BUNDLES[name][1])), str(getattr(module, "VERSION", ""))


#: Files read so far (the bundles are small and fixed: the bounds are a safety net).
_files: LRUCache[Body] = LRUCache(MAX_FILES, MAX_BYTES, single_flight=False)


def _read(bundle: str, filename: str) -> Body:
    folder, _ = bundle_dir(bundle)
    path = (folder / filename).resolve()
    if not path.is_relative_to(folder.resolve()) or not path.is_file():
        abort(404)
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if mimetype.startswith("text/") or mimetype.endswith("javascript"):
        mimetype += "; charset=utf-8"
    return Body(path.read_bytes(), mimetype, compress=path.suffix in COMPRESSIBLE, level=9)


def load(bundle: str, filename: str) -> Body:
    """Return file ``filename`` of ``bundle``, read on first use (gzip on first gzip request); 404 if absent."""
    return _files.get((bundle, filename), lambda: _read(bundle, filename))


def asset_url(bundle: str, filename: str) -> str:
    """Return the versioned URL of a bundle file (package version, or content hash for own files)."""
    _, version = bundle_dir(bundle)
    if bundle == OWN_BUNDLE:
        version = load(bundle, filename).etag[:10]
    return url_for("assets.serve", bundle=bundle, filename=filename, v=version)


@bp.get("/vendor/<bundle>/<path:filename>")
def serve(bundle: str, filename: str) -> Response:
    """Serve one file of a bundle, gzip-compressed when the client accepts it."""
    cache_control = f"public, max-age={ONE_YEAR_S}, immutable" if request.args.get("v") else "public, max-age=300"
    return send(load(bundle, filename), cache_control=cache_control)
