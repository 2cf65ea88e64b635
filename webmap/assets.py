"""Serve JavaScript/CSS libraries from installed Python packages, and the app's own static files.

No third-party file is copied into the repository and no page loads anything
from a CDN: Leaflet and Leaflet.markercluster come from the XStatic packages
installed with the app. The files a bundle may serve are listed once (the
manifest); a path is looked up there as sent, a spelling that normalises to a
listed file (``./``, ``a/../``, ``//``) is redirected to the canonical URL and
anything else is a 404, so no request can add to what is held in memory.
Listed files are read once, gzip-compressed once, and served from memory with a
strong ETag; URLs carry the package version (or a content
hash for the app's own files), so browsers may cache them for a year.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import mimetypes
import posixpath
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, redirect, request, url_for

from webmap import esmodules

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

bp = Blueprint("assets", __name__)


@dataclass(frozen=True)
class Asset:
    """One file held in memory."""

    body: bytes
    gzipped: bytes | None
    etag: str
    mimetype: str


@cache
def bundle_dir(name: str) -> tuple[Path, str]:
    """Return (folder, version) of bundle ``name``; 404 for an unknown bundle."""
    if name == OWN_BUNDLE:
        return OWN_DIR, ""
    if name not in BUNDLES:
        abort(404)
    module = importlib.import_module(BUNDLES[name][0])
    return Path(getattr(module, BUNDLES[name][1])), str(getattr(module, "VERSION", ""))


@cache
def manifest(bundle: str) -> frozenset[str]:
    """Return the files of ``bundle`` as relative POSIX paths (listed once per process)."""
    folder, _ = bundle_dir(bundle)
    root = folder.resolve()
    return frozenset(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and path.resolve().is_relative_to(root) and "__pycache__" not in path.parts
    )


@bp.record_once
def _list_at_start_up(_state) -> None:
    for bundle in (*BUNDLES, OWN_BUNDLE):
        manifest(bundle)


def canonical(bundle: str, filename: str) -> str | None:
    """Return the listed file that ``filename`` names in ``bundle`` (normalised), or None."""
    if "\0" in filename or "\\" in filename:
        return None
    files = manifest(bundle)
    if filename in files:
        return filename
    normal = posixpath.normpath(filename).lstrip("/")
    return normal if normal in files else None


_lock = threading.Lock()
_files: dict[tuple[str, str], Asset] = {}


def load(bundle: str, filename: str) -> Asset:
    """Return listed file ``filename`` of ``bundle``, read and compressed on first use; 404 if not listed."""
    key = (bundle, filename)
    if key in _files:
        return _files[key]
    folder, _ = bundle_dir(bundle)
    if filename not in manifest(bundle):
        abort(404)
    path = folder / filename
    body = path.read_bytes()
    if bundle == OWN_BUNDLE and path.suffix == ".js":  # ES modules: import their dependencies by versioned URL
        body = esmodules.pin_imports(body, filename, own_version)
    gzipped = gzip.compress(body, 9, mtime=0) if path.suffix in COMPRESSIBLE else None
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    asset = Asset(body, gzipped, hashlib.sha256(body).hexdigest()[:20], mimetype)
    with _lock:
        _files[key] = asset
    return asset


def own_version(filename: str) -> str:
    """Return the version of an own static file in its URL (a content hash); ModuleGraphError if it is missing."""
    if not (OWN_DIR / filename).is_file():
        raise esmodules.ModuleGraphError(f"{filename} is not in {OWN_DIR}")
    return load(OWN_BUNDLE, filename).etag[:10]


def module_preloads(entry: str) -> list[str]:
    """Return the versioned URLs of the own modules that module ``entry`` imports (to fetch them in parallel)."""
    deps = esmodules.dependencies(entry, lambda name: (OWN_DIR / name).read_bytes())
    return [asset_url(OWN_BUNDLE, dep) for dep in deps]


def asset_url(bundle: str, filename: str) -> str:
    """Return the versioned URL of a bundle file (package version, or content hash for own files)."""
    _, version = bundle_dir(bundle)
    if bundle == OWN_BUNDLE:
        version = own_version(filename)
    nested = "pages.assets.serve" in current_app.view_functions  # registered inside the pages blueprint
    return url_for("pages.assets.serve" if nested else "assets.serve", bundle=bundle, filename=filename, v=version)


@bp.get("/vendor/<bundle>/<path:filename>")
def serve(bundle: str, filename: str) -> Response:
    """Serve one file of a bundle, gzip-compressed when the client accepts it."""
    bundle_dir(bundle)  # 404 for an unknown bundle
    listed = canonical(bundle, filename)
    if listed is None:
        abort(404)
    if listed != filename:
        endpoint = request.endpoint or "assets.serve"
        version = {"v": request.args["v"]} if "v" in request.args else {}
        return redirect(url_for(endpoint, bundle=bundle, filename=listed, **version), 301)
    asset = load(bundle, filename)
    gz = asset.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", "")
    resp = Response(asset.gzipped if gz else asset.body, mimetype=asset.mimetype)
    if asset.mimetype.startswith("text/") or asset.mimetype.endswith("javascript"):
        resp.charset = "utf-8"
    if gz:
        resp.headers["Content-Encoding"] = "gzip"
    if asset.gzipped is not None:
        resp.vary.add("Accept-Encoding")
    resp.set_etag(asset.etag + ("-gz" if gz else ""))
    versioned = request.args.get("v")
    resp.cache_control.public = True
    resp.cache_control.max_age = ONE_YEAR_S if versioned else 300
    if versioned:
        resp.cache_control.immutable = True
    return resp.make_conditional(request)
