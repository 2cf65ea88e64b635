"""Serve JavaScript/CSS libraries from installed Python packages, and the app's own static files.

No page loads anything from a CDN: Leaflet and Leaflet.markercluster come from
the XStatic packages installed with the app, and the map pages' lighter Leaflet
(``leaflet-atlas``: Leaflet without what the atlas never uses) is built from
Leaflet's own sources by ``scripts/leaflet/build`` into ``webmap/vendor/``, the
one third-party folder in the repository (its files are pinned by
tests/webmap/test_leaflet_build.py). The files a bundle may serve are listed once (the
manifest); a path is looked up there as sent, a spelling that normalises to a
listed file (``./``, ``a/../``, ``//``) is redirected to the canonical URL and
anything else is a 404, so no request can add to what is held in memory.
Listed files are read once, gzip-compressed once, and served from memory
(``webmap.send``) with a strong ETag; URLs carry the package version (or a content
hash for the app's own files), so browsers may cache them for a year.
"""

from __future__ import annotations

import importlib
import mimetypes
import posixpath
import re
from functools import cache, lru_cache
from pathlib import Path

from flask import Blueprint, Response, abort, redirect, request, url_for
from markupsafe import Markup

from geo.cache import LRUCache
from webmap import esmodules
from webmap.send import Body, send

#: Bundle name → (Python module, attribute holding its data folder).
BUNDLES: dict[str, tuple[str, str]] = {
    "leaflet": ("xstatic.pkg.leaflet", "BASE_DIR"),
    "markercluster": ("xstatic.pkg.leaflet_markercluster", "BASE_DIR"),
}
#: Bundle name → folder of a library built here and committed (``scripts/leaflet/build``), versioned by content.
BUILT: dict[str, Path] = {"leaflet-atlas": Path(__file__).parent / "vendor" / "leaflet-atlas"}
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
    if name in BUILT:
        return BUILT[name], ""
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
    for bundle in (*BUNDLES, *BUILT, OWN_BUNDLE):
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


#: Files read so far: only listed files ever enter (the manifest bounds it; the bounds are a safety net).
_files: LRUCache[Body] = LRUCache(MAX_FILES, MAX_BYTES, single_flight=False)


def _read(bundle: str, filename: str) -> Body:
    folder, _ = bundle_dir(bundle)
    path = folder / filename
    body = path.read_bytes()
    if bundle == OWN_BUNDLE and path.suffix == ".js":  # ES modules: import their dependencies by versioned URL
        body = esmodules.pin_imports(body, filename, own_version)
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if mimetype.startswith("text/") or mimetype.endswith("javascript"):
        mimetype += "; charset=utf-8"
    return Body(body, mimetype, compress=path.suffix in COMPRESSIBLE, level=9, brotli=True)


def load(bundle: str, filename: str) -> Body:
    """Return listed file ``filename`` of ``bundle``, read on first use (gzip on first gzip request); 404 if not listed."""
    if filename not in manifest(bundle):
        abort(404)
    return _files.get((bundle, filename), lambda: _read(bundle, filename))


def own_version(filename: str) -> str:
    """Return the version of an own static file in its URL (a content hash); ModuleGraphError if it is missing."""
    if not (OWN_DIR / filename).is_file():
        raise esmodules.ModuleGraphError(f"{filename} is not in {OWN_DIR}")
    return load(OWN_BUNDLE, filename).etag[:10]


@lru_cache(maxsize=64)
def _dependencies(entry: str, version: str) -> tuple[str, ...]:
    """Return the modules ``entry`` imports; ``version`` (its content hash, which its imports' hashes change) keys it."""
    return tuple(esmodules.dependencies(entry, lambda name: (OWN_DIR / name).read_bytes()))


def module_preloads(entry: str) -> list[str]:
    """Return the versioned URLs of the own modules that module ``entry`` imports (to fetch them in parallel)."""
    return [asset_url(OWN_BUNDLE, dep) for dep in _dependencies(entry, own_version(entry))]


#: ``url(…)`` of a stylesheet that names a file beside it (not ``data:``, ``#…``, an absolute path or a scheme).
RELATIVE_URL = re.compile(r"""url\((["']?)(?![a-z][a-z0-9+.-]*:|[/#])([^)"']+)\1\)""", re.IGNORECASE)


def inline_style(bundle: str, filename: str) -> Markup:
    """Return stylesheet ``filename`` of ``bundle`` for a ``<style>`` element, its relative ``url()`` made absolute.

    An entry page saves a request with its styles inline: on a slow link their bytes arrive with the page,
    while the page waits for its first scripts.
    """
    text = load(bundle, filename).data.decode()
    if "</" in text:
        raise ValueError(f"{bundle}/{filename} holds an end tag: it cannot go inside <style>")
    folder = asset_url(bundle, filename).split("?", 1)[0].rsplit("/", 1)[0]
    return Markup(RELATIVE_URL.sub(lambda m: f"url({m[1]}{folder}/{m[2]}{m[1]})", text))


def asset_url(bundle: str, filename: str) -> str:
    """Return the versioned URL of a bundle file (package version, or content hash for own and built files)."""
    _, version = bundle_dir(bundle)
    if bundle == OWN_BUNDLE:
        version = own_version(filename)
    elif bundle in BUILT:
        version = load(bundle, filename).etag[:10]
    return url_for("assets.serve", bundle=bundle, filename=filename, v=version)


@bp.get("/vendor/<bundle>/<path:filename>")
def serve(bundle: str, filename: str) -> Response:
    """Serve one listed file of a bundle (gzip when accepted); a normalisable spelling redirects, others 404."""
    bundle_dir(bundle)  # 404 for an unknown bundle
    listed = canonical(bundle, filename)
    if listed is None:
        abort(404)
    if listed != filename:
        version = {"v": request.args["v"]} if "v" in request.args else {}
        return redirect(url_for("assets.serve", bundle=bundle, filename=listed, **version), 301)
    cache_control = f"public, max-age={ONE_YEAR_S}, immutable" if request.args.get("v") else "public, max-age=300"
    return send(load(bundle, filename), cache_control=cache_control)
