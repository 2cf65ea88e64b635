"""Request parsing shared by the views: language, output format, whole numbers, map view state.

Every bad value raises ``InvalidParameter`` naming the parameter (a 400), or a
``NotFound`` subclass for a path that names nothing (a 404).

**One format rule.** The path's extension names the format:
``/communes/ML090101.json``, ``/api/v1/coverage.csv``, ``/api/v1/layers/cscom.geojson``,
``/maps/district.png``; a path without one gets the default representation
(HTML for pages, JSON under ``/api``). The older spellings ``?f=json`` (unit
pages) and ``?format=csv`` (coverage API) are answered with a permanent
redirect (308) to the extension URL. ``/ogcapi`` keeps ``?f=`` because the OGC
API standard defines it and its clients send it.

**Lon-first coordinates.** ``center``, ``bbox`` and ``add`` are all
longitude first; an old ``center=lat,lon`` is redirected (308) to the lon-first URL.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import request
from flask_babel import get_locale
from werkzeug.routing import RequestRedirect

from geo.analysis import map_indicators as indicators
from geo.errors import FormatNotFound, InvalidParameter
from geo.publication.viewstate import FACILITY_LAYERS, ViewState, lon_first_center, parse_view
from webmap.clientconfig import map as mapconfig
from webmap.i18n import DEFAULT_LANGUAGE, LANGUAGES

_DIGITS = re.compile(r"[0-9]{1,12}")


def language() -> str:
    """Return the request's language (``?lang=``, cookie, then Accept-Language; see webmap.i18n)."""
    locale = get_locale()
    return locale.language if locale else DEFAULT_LANGUAGE


def image_language() -> str:
    """Return ``?lang=`` of an image URL, French when absent: only the parameter counts, so a URL gives one image."""
    value = request.args.get("lang") or DEFAULT_LANGUAGE
    if value not in LANGUAGES:
        raise InvalidParameter("lang", f"unknown language {value!r}; expected lang={' or lang='.join(LANGUAGES)}")
    return value


def integer(name: str, default: int, *, maximum: int, minimum: int = 0) -> int:
    """Return the whole-number query parameter ``name`` (ASCII digits only) in [minimum, maximum], or ``default``."""
    value = request.args.get(name)
    if value is None or value == "":
        return default
    if not _DIGITS.fullmatch(value):
        raise InvalidParameter(name, f"expected a whole number, got {value!r}", code="not_a_number")
    number = int(value)
    if not minimum <= number <= maximum:
        raise InvalidParameter(name, f"between {minimum} and {maximum}", code="out_of_range")
    return number


def split_format(name: str, allowed: tuple[str, ...], *, default: str) -> tuple[str, str]:
    """Split a path segment ``"<stem>.<format>"`` into stem and format (``default`` without an extension).

    Raises FormatNotFound (404) for an extension not in ``allowed``.
    """
    stem, dot, fmt = name.rpartition(".")
    if not dot:
        return name, default
    if fmt not in allowed:
        raise FormatNotFound(f"unknown format {fmt!r} in {name!r}; available: {', '.join(allowed)}")
    return stem, fmt


def redirect_format_parameter(parameter: str, allowed: tuple[str, ...], *, default: str) -> None:
    """Redirect (308) ``<path>?<parameter>=<fmt>`` to ``<path>.<fmt>``, the one format rule.

    Does nothing when the parameter is absent; an unknown value is a 400 naming
    the parameter, as before.
    """
    value = request.args.get(parameter)
    if value is None:
        return
    if value not in allowed:
        raise InvalidParameter(parameter, f"unknown format {value!r}; allowed: {', '.join(allowed)}")
    path = request.script_root + request.path + ("" if value == default else f".{value}")
    _redirect(path, {k: v for k, v in request.args.items(multi=True) if k != parameter})


def view_state() -> ViewState:
    """Parse and check the map parameters of the request (400 naming the parameter on bad input).

    An old-style ``center=lat,lon`` is redirected (308) to the same URL with ``center=lon,lat``.
    """
    center = request.args.get("center")
    swapped = lon_first_center(center) if center else None
    if swapped is not None:
        args = [(k, swapped if k == "center" else v) for k, v in request.args.items(multi=True)]
        _redirect(request.script_root + request.path, args)
    view = parse_view(request.args, indicators=mapconfig.MENU_INDICATORS)
    kind = request.args.get("kind")
    layers_with_kinds = [k for k, v in FACILITY_LAYERS.items() if v]
    if indicators.INDICATORS[view.indicator].needs_kinds:
        kind = kind or mapconfig.DEFAULT_KIND_LAYER
        if kind not in layers_with_kinds:
            raise InvalidParameter("kind", f"unknown facility layer {kind!r}; allowed: {', '.join(layers_with_kinds)}")
        extra = {"kind": kind}
    else:
        extra = {}
    return ViewState(view.layers, view.indicator, view.focus, view.basemap, view.center, view.zoom, extra)


def _redirect(path: str, args) -> None:
    query = urlencode(list(args.items()) if isinstance(args, dict) else args, safe=",;")
    raise RequestRedirect(path + (f"?{query}" if query else ""))
