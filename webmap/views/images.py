"""Static map images for slides and print: ``/maps/<name>.png`` and ``/maps/<name>.pdf``.

Same view parameters as ``/embed`` (``layers``, ``indicator`` with ``kind``,
``focus``, ``center``, ``zoom``; ``basemap`` is accepted but no tiles are drawn) plus
``size`` (``A4``/``A3`` with ``-landscape``/``-portrait``, ``slide-16x9`` or
``slide-4x3``, or ``WIDTHxHEIGHT`` pixels), ``dpi`` (50–300, default 150; 144 for slides) and ``lang`` (``fr`` default, ``en``;
only the parameter counts, so a URL always gives the same image). Malformed
values and values over the limits are refused with a 400 naming the parameter.
Images are cached per (store version, parameters) in a bounded cache and
carry an ETag, so a slide deck re-fetching them gets a 304.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace

from flask import Blueprint, Response, request
from flask_babel import force_locale, gettext

from geo.cache import LRUCache
from geo.errors import MapNotFound
from geo.render import PRESETS, file_name, prepare, render
from geo.render.cartography import parse_page
from geo.render.data import MapData
from geo.render.figure import IMAGE_MEDIA_TYPES
from webmap import budget
from webmap.params import image_language, view_state
from webmap.send import Body, send, unchanged
from webmap.settings import current_settings
from webmap.snapshot import snapshot

bp = Blueprint("images", __name__)

#: Bump when the drawing changes, so clients holding an ETag fetch the new image.
RENDER_REVISION = "2"
CACHE_MAX_ITEMS = 64
CACHE_MAX_BYTES = 128 * 1024 * 1024
CACHE_CONTROL = "public, max-age=3600"


class ByteCache(LRUCache[bytes]):
    """The cache of rendered images: an LRU bounded by item count and total bytes."""

    def __init__(self, *, max_items: int = CACHE_MAX_ITEMS, max_bytes: int = CACHE_MAX_BYTES):
        super().__init__(max_items, max_bytes, single_flight="key")


@bp.get("/maps/<name>.<any(png, pdf):fmt>")
def static_map(name: str, fmt: str):
    """Return the map ``name`` (a preset or ``view``) as PNG or PDF."""
    preset = PRESETS.get(name)
    if preset is None:
        raise MapNotFound(f"unknown map {name!r}; available: {', '.join(PRESETS)}")
    view = view_state()  # exactly the parameters of / and /embed, checked the same way
    if preset.layers is not None and "layers" not in request.args:
        view = replace(view, layers=preset.layers)
    page = parse_page(request.args.get("size"), request.args.get("dpi"))
    lang = image_language()

    query = {k: v for k, v in view.to_query().items() if k != "basemap"}  # tiles are never drawn
    key = [name, fmt, page.label, page.dpi, lang, sorted(query.items())]

    def draw(data: MapData) -> bytes:
        with force_locale(lang):
            return render(data, view, preset=preset, page=page, fmt=fmt, lang=lang, translate=gettext)

    return send_image(key, fmt, file_name(name, page, fmt, focus=view.focus, lang=lang), draw)


def send_image(
    key: list, fmt: str, filename: str, draw: Callable[[MapData], bytes], *, cache: str = "images:cache"
) -> Response:
    """Send a map image: 304 when the client holds this version's, else from the version's cache or ``draw(data)``.

    ``key`` lists everything the image depends on besides the store version.
    """
    snap = snapshot()
    key_text = json.dumps([RENDER_REVISION, *key])
    etag = hashlib.sha256(f"{snap.version}\n{key_text}".encode()).hexdigest()[:32]
    held = unchanged(etag, cache_control=CACHE_CONTROL)
    if held is not None:
        return held

    def image() -> bytes:
        data = snap.memo(
            "images:data", lambda: prepare(snap.atlas.layers, snap.atlas.meta, settings=current_settings())
        )
        with budget.RENDERS.hold():  # uncached renders are few at a time: others get 429 + Retry-After
            return draw(data)

    body = snap.memo(cache, ByteCache).get(key_text, image)
    return send(
        Body(body, IMAGE_MEDIA_TYPES[fmt], filename, tag=etag), cache_control=CACHE_CONTROL, disposition="inline"
    )
