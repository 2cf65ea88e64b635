"""The atlas pages: the map (``/``), its embeddable twin (``/embed``), the map data, and unit pages.

Every unit page has a JSON twin from the same call (``/communes/<pcode>.json``; the
older ``?f=json`` redirects there, see webmap.params). The map
data is built once per store version, kept gzip-compressed in the catalog
memo, and served with an ETag (304 on repeat requests).
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify, render_template, request
from flask_babel import get_locale
from markupsafe import Markup

from geo.analysis import map_indicators as indicators
from geo.analysis.coverage.service import coverage_state
from geo.analysis.coverage.unit_summary import access_tables, quartier_access
from geo.errors import FacilityNotFound, InvalidParameter
from geo.publication import mapdata as display
from geo.publication.landmarks import read_landmarks
from geo.publication.viewstate import FACILITY_LAYERS
from webmap import params
from webmap.clientconfig import map as mapconfig
from webmap.clientconfig.coverage import distance_text
from webmap.clientconfig.coverage import kind_label as coverage_kind_label
from webmap.pagecache import cached_html
from webmap.send import Body, send
from webmap.settings import current_settings
from webmap.snapshot import snapshot
from webmap.views import history
from webmap.views.data_page import unit_downloads

bp = Blueprint("pages", __name__)

#: Representations of a unit page: HTML (no extension) or ``.json``.
PAGE_FORMATS = ("html", "json")
MAP_DATA_MAX_AGE_S = 7 * 24 * 3600


def _map_payload() -> dict:
    atlas = snapshot().atlas
    payload = display.map_payload(
        atlas.layers,
        facility_layers=FACILITY_LAYERS,
        indicator_options=mapconfig.indicator_options(),
        settings=current_settings(),
        landmarks=read_landmarks(),
    )
    payload["build"] = atlas.version
    return payload


def _build_map_data(part: str | None = None) -> Body:
    payload = snapshot().memo("pages:map-payload", _map_payload)
    if part:
        payload = display.payload_part(payload, part)
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    return Body(raw, "application/json", compress=True, level=9, brotli=True)


#: What must not appear raw inside <script>: each can only stand in a JSON string, where its escape means the same.
_HTML_UNSAFE = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026", ord("'"): "\\u0027"}


def map_shapes_json() -> Markup:
    """Return the first part of the map data (``part=shapes``) as JSON safe inside a page's ``<script>``.

    Map pages carry it inline: it arrives with the page, while the page waits for its scripts, instead of
    after a request of its own.
    """
    return snapshot().memo(
        "pages:map-shapes-html", lambda: Markup(_build_map_data("shapes").data.decode().translate(_HTML_UNSAFE))
    )


@bp.app_context_processor
def _map_shapes() -> dict:
    return {"map_shapes_json": map_shapes_json}


def _split(name: str) -> tuple[str, str]:
    """Return the id and format of a unit page path segment (``ML090101.json``); redirect ``?f=``."""
    stem, fmt = params.split_format(name, PAGE_FORMATS, default="html")
    if stem == name:
        params.redirect_format_parameter("f", PAGE_FORMATS, default="html")
    return stem, fmt


def _focus(focus_id: str | None) -> dict | None:
    """Return what a map should frame for a commune/quartier P-code or facility id (None for none)."""
    if not focus_id:
        return None
    layers = snapshot().atlas.layers
    for level in ("communes", "quartiers"):
        units = layers[level]
        match = units[units["pcode"] == focus_id]
        if len(match):
            return {"type": level[:-1], "id": focus_id, "name": match["name"].iloc[0],
                    "bbox": [round(float(v), 5) for v in match.total_bounds]}  # fmt: skip
    fac = layers["facilities"]
    match = fac[fac["id"] == focus_id]
    if len(match) and match.geometry.notna().iloc[0] and not match.geometry.iloc[0].is_empty:
        return {"type": "facility", "id": focus_id, "name": match["name"].iloc[0],
                "bbox": [round(float(v), 5) for v in match.total_bounds]}  # fmt: skip
    raise InvalidParameter("focus", f"unknown unit or facility {focus_id!r}; expected a commune or quartier "
                           "P-code (e.g. ML090101) or a facility id from /facilities/<id>")  # fmt: skip


def _render_map(template: str, *, embed: bool) -> Response:
    view = params.view_state()  # first, so bad parameters are refused before anything is cached
    focus = _focus(view.focus)

    def render() -> str:
        config = mapconfig.page_config(view, focus=focus, embed=embed)
        return render_template(template, config=config, view=view, menu=config["indicators"])

    return cached_html((template, str(get_locale())), render)


def _page(html: str) -> Response:
    return send(Body(html.encode(), "text/html; charset=utf-8"), cache_control="no-cache")


@bp.get("/")
def index() -> Response:
    """The interactive map."""
    return _render_map("map.html", embed=False)


@bp.get("/embed")
def embed() -> Response:
    """The map with minimal chrome, for iframes; the whole view state is in the URL."""
    return _render_map("embed.html", embed=True)


@bp.get("/api/v1/map-data.json")
def map_data() -> Response:
    """Everything the map draws, compact (see geo.publication.mapdata.map_payload), gzip-compressed, with an ETag.

    ``part=shapes`` or ``part=rest``: half of it (geo.publication.mapdata.payload_part), for a quicker first view.
    """
    snap = snapshot()
    part = request.args.get("part") or None
    if part is not None and part not in display.PAYLOAD_PARTS:
        raise InvalidParameter("part", f"unknown part {part!r}; allowed: {', '.join(display.PAYLOAD_PARTS)}")
    # A URL naming the store build is safe to keep.
    versioned = request.args.get("v") == snap.version
    cache_control = f"public, max-age={MAP_DATA_MAX_AGE_S}" if versioned else "public, no-cache"
    memo = f"pages:map-data:{part}" if part else "pages:map-data"
    return send(snap.memo(memo, lambda: _build_map_data(part)), cache_control=cache_control)


def _json(document: dict) -> Response:
    return send(Body(jsonify(document).get_data(), "application/json"), cache_control="no-cache")


def _unit_page(name: str, level: str) -> Response:
    pcode, fmt = _split(name)
    layers = snapshot().atlas.layers
    # memoised per store version; unknown P-codes raise before anything is stored
    profile = snapshot().memo(f"pages:{level}:{pcode}", lambda: indicators.unit_profile(layers, pcode, level=level))
    if fmt == "json":
        return _json(profile)
    access = None
    if level == "quartiers":
        state = coverage_state(snapshot(), current_settings())
        tables = snapshot().memo("pages:access-tables", lambda: access_tables(state))  # one for every quartier
        access = snapshot().memo(f"pages:access:{pcode}", lambda: quartier_access(state, pcode, tables=tables))
    return _unit_html(profile, focus={"type": profile["type"], "id": pcode, "name": profile["name"],
                                      "bbox": profile["bbox"]}, downloads=unit_downloads(level, pcode),
                      access=access)  # fmt: skip


def _unit_html(
    profile: dict, *, focus: dict | None, downloads: list[dict] | None = None, access: dict | None = None
) -> Response:
    view = params.view_state()
    config = mapconfig.page_config(view, focus=focus)
    return _page(render_template("unit.html", p=profile, config=config, view=view, menu=config["indicators"],
                                 kind_label=mapconfig.kind_label, source_label=mapconfig.source_label,
                                 labels=mapconfig, json_url=request.script_root + request.path + ".json",
                                 downloads=downloads, access=access, group_label=coverage_kind_label,
                                 distance_text=distance_text))  # fmt: skip


@bp.get("/communes/<pcode>")
def commune(pcode: str) -> Response:
    """A commune: map, population, facilities by kind, its quartiers, QA findings."""
    return _unit_page(pcode, "communes")


@bp.get("/quartiers/<pcode>")
def quartier(pcode: str) -> Response:
    """A quartier: map, population, facilities by kind and list, neighbours, QA findings."""
    return _unit_page(pcode, "quartiers")


@bp.get("/facilities/<facility_id>")
def facility(facility_id: str) -> Response:
    """A facility: its attributes, position precision, sources and QA findings."""
    facility_id, fmt = _split(facility_id)
    layers = snapshot().atlas.layers
    profile = snapshot().memo("pages:facilities", lambda: indicators.facility_profiles(layers)).get(facility_id)
    if profile is None:
        retired = history.retirement(facility_id) if fmt != "json" else None
        if retired is None:
            raise FacilityNotFound(f"no facility with id {facility_id!r}")
        return Response(render_template("retired.html", change=retired, facility_id=facility_id), 410)
    if fmt == "json":
        return _json(profile)
    if profile["lon"] is None:
        focus = None
    else:
        lon, lat = profile["lon"], profile["lat"]
        focus = {"type": "facility", "id": facility_id, "name": profile["name"], "bbox": [lon, lat, lon, lat]}
    profile = {**profile, "type": "facility"}
    return _unit_html(profile, focus=focus)
