"""Download API at /api/v1: the layer list, layer exports in five formats, the partner package.

Each export is computed once per store version and selection, then served from
memory: the request path is parse parameters → cache lookup → send bytes, with
a strong ETag (304 on If-None-Match), Cache-Control and gzip for text formats.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for
from flask_babel import gettext as _

from geo.cache import LRUCache
from geo.errors import FormatNotFound
from geo.publication import exports, package
from geo.spatial.query import UNIT_COLUMNS
from geo.vocabulary import KINDS, LAYERS
from webmap import budget
from webmap.params import language
from webmap.send import Body, send
from webmap.settings import current_settings
from webmap.snapshot import snapshot

bp = Blueprint("api", __name__, url_prefix="/api/v1")

CACHE_CONTROL = "public, max-age=300"
#: Bounds of the per-store-version caches: selections without bbox, and with bbox.
CACHE_LIMITS = {"plain": (256, 512 * 2**20), "bbox": (32, 64 * 2**20)}
#: Exports are titled in French, the atlas's first language (KML name, GeoPackage description).
EXPORT_LANG = "fr"


def _cache(kind: str) -> LRUCache[Body]:
    return snapshot().memo(f"api:cache:{kind}", lambda: LRUCache(*CACHE_LIMITS[kind]))


def _send(body: Body, *, vary: tuple[str, ...] = ()) -> Response:
    """Return the export (gzip when accepted), or 304 when the client's ETag matches."""
    return send(body, cache_control=CACHE_CONTROL, vary=vary, disposition="attachment")


def _body(export: exports.Export) -> Body:
    """Return the body of an export (gzip for text formats, computed once and kept with it)."""
    return Body(export.data, export.media_type, export.filename, compress=export.text)


@bp.get("/layers/<name>")
def layer_file(name: str):
    """Send one layer, or a selection of it, in the format named by the extension."""
    layer, dot, fmt = name.partition(".")
    if not dot:
        raise FormatNotFound(
            f"no format in {name!r}; ask for {name}.<format> with format one of {', '.join(exports.EXPORT_FORMATS)}"
        )
    exports.format_or_raise(fmt)
    snap = snapshot()
    atlas = snap.atlas
    args = request.args
    exports.check_parameters(args.keys())
    selection = exports.parse_request(
        layer,
        units=snap.memo("api:units", lambda: exports.unit_pcodes(atlas.layers)),
        kind=args.getlist("kind") or None,
        commune=args.getlist("commune") or None,
        quartier=args.getlist("quartier") or None,
        bbox=args.get("bbox"),
        scope=args.get("scope"),
    )
    payload = _cache("bbox" if selection.bbox else "plain").get(
        f"{selection.key()}|{fmt}",
        lambda: _body(
            exports.export_layer(
                atlas,
                selection,
                fmt,
                title=package.layer_title(selection.label, EXPORT_LANG),
                column_docs=package.column_docs(selection.layer),
            )
        ),
    )
    return _send(payload)


@bp.get("/package.zip")
def partner_package():
    """Send the partner package, README in ``?lang=`` (else the request language)."""
    lang = package.lang_or_raise(request.args.get("lang") or language())
    atlas = snapshot().atlas

    def build() -> Body:
        with budget.EXPORTS.hold():
            return _body(package.build_package(atlas, lang=lang, settings=current_settings()))

    payload = _cache("plain").get(f"package|{lang}", build)
    return _send(payload, vary=("Accept-Language", "Cookie"))


def _filters(layer: str) -> list[str]:
    kinds = ["kind"] if layer in ("facilities", "qa_findings") else []
    scope = ["scope"] if layer == "facilities" else []
    return kinds + [p for p in ("commune", "quartier") if (layer, p) in UNIT_COLUMNS] + ["bbox"] + scope


def layers_doc(lang: str) -> dict:
    """Return the layer list: title, counts, geometry, filters and a link per format of every layer."""
    atlas = snapshot().atlas
    facilities = atlas.layers["facilities"]
    kind_counts = facilities["kind"].value_counts()
    district_counts = facilities.loc[facilities["in_analysis"].astype(bool).to_numpy(), "kind"].value_counts()

    def entry(name: str, layer: str, count: int, kind: str | None = None, count_all: int | None = None) -> dict:
        counts = {} if count_all is None else {"count_all": count_all}  # count: the default (District) scope
        return {
            "name": name,
            "title": package.layer_title(name, lang),
            "layer": layer,
            "kind": kind,
            "count": count,
            **counts,
            "geometry": exports.LAYER_GEOMETRY[layer],
            "filters": _filters(layer) if kind is None else [p for p in _filters(layer) if p != "kind"],
            "links": {fmt: url_for("api.layer_file", name=f"{name}.{fmt}") for fmt in exports.EXPORT_FORMATS},
        }

    layers = [
        entry(name, name, int(district_counts.sum()), count_all=len(facilities))
        if name == "facilities"
        else entry(name, name, len(atlas.layers[name]))
        for name in LAYERS
    ]
    layers += [
        entry(kind, "facilities", int(district_counts.get(kind, 0)), kind, int(kind_counts.get(kind, 0)))
        for kind in KINDS
    ]
    return {
        "title": package.T["title"](lang),
        "attribution": exports.ATTRIBUTION,
        "build": {
            "build_id": atlas.meta.get("build_id"),
            "built_at": atlas.meta.get("built_at"),
            "date": exports.build_date(atlas.meta),
        },
        "formats": {
            f.key: {"media_type": f.media_type, "extension": f.extension} for f in exports.EXPORT_FORMATS.values()
        },
        "parameters": {
            "kind": _("Types d'équipements, séparés par des virgules (ex. kind=cscom,claec)."),
            "commune": _("Codes P de communes, séparés par des virgules (ex. commune=ML090105,ML090106)."),
            "quartier": _("Codes P de quartiers, séparés par des virgules (ex. quartier=ML090105595)."),
            "bbox": _("Rectangle minlon,minlat,maxlon,maxlat en degrés WGS84 (ex. bbox=-8.05,12.60,-7.95,12.66)."),
            "scope": _(
                "Équipements : district (par défaut) ceux du District ; all y ajoute ceux hors du District, "
                "signalés par in_analysis faux."
            ),
        },
        "layers": layers,
        "package": {code: url_for("api.partner_package", lang=code) for code in package.LANGUAGES},
        "openapi": url_for("edit_api.openapi"),
    }


@bp.get("/layers")
def layer_list():
    """List the layers with their feature counts and a link to every format."""
    lang = language()
    body = snapshot().memo(
        f"api:layers:{lang}:{request.script_root}",
        lambda: Body(jsonify(layers_doc(lang)).get_data(), "application/json"),
    )
    return send(body, cache_control=CACHE_CONTROL, vary=("Accept-Language",))
