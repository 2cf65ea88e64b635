"""OGC API – Features at /ogcapi: Part 1 Core with GeoJSON, HTML and OpenAPI 3.0, Part 3 queryables, Part 5 schemas.

Every resource has a JSON and an HTML representation built from the same
document (``?f=json|html`` or the Accept header). Collection metadata, GeoJSON
features and the OpenAPI document are computed once per store version.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _

from geo.cache import LRUCache
from geo.errors import InvalidParameter
from geo.publication import ogc as features
from geo.publication import ogc_schema
from geo.publication.exports import ATTRIBUTION
from geo.publication.openapi_ogc import (
    CONFORMANCE,
    GEOJSON,
    HTML,
    JSON,
    OGC_REPRESENTATIONS,
    OPENAPI,
    SCHEMA,
    openapi_document,
)
from webmap.pagecache import personal
from webmap.params import language
from webmap.send import Body, send, unchanged
from webmap.snapshot import snapshot

bp = Blueprint("ogcapi", __name__, url_prefix="/ogcapi")

CACHE_CONTROL = "public, max-age=60"
VARY = ("Accept", "Accept-Language", "Cookie")
#: Finished responses kept per store version: entries and bytes.
RESPONSE_CACHE_LIMITS = (512, 64 * 2**20)
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
REL_SCHEMA = "http://www.opengis.net/def/rel/ogc/1.0/schema"

# --- request helpers --------------------------------------------------------------------------


def _base() -> str:
    return request.url_root.rstrip("/") + bp.url_prefix


def _url(path: str = "", **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{_base()}{path}" + (f"?{query}" if query else "")


def _link(href: str, rel: str, media_type: str, title: str) -> dict:
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def _format(json_type: str) -> str:
    """Return ``json`` or ``html`` from ``?f=``, else from the Accept header (JSON by default)."""
    asked = request.args.get("f")
    if asked is not None:
        if asked not in OGC_REPRESENTATIONS:
            raise InvalidParameter("f", f"unknown format {asked!r}; accepted: f=json or f=html")
        return asked
    best = request.accept_mimetypes.best_match([JSON, json_type, GEOJSON, HTML], default=JSON)
    return "html" if best == HTML else "json"


def _respond(build, *, json_type: str, template: str, **context) -> Response:
    """Return ``build()`` as JSON or HTML (``template`` with ``context``), with an ETag per store version, or 304.

    Anonymous visitors' bodies are kept per store version with their gzip variant (the key names the URL).
    """
    fmt = _format(json_type)
    snap = snapshot()
    key = f"{snap.version}|{fmt}|{language()}|{request.url}"
    etag = hashlib.sha256(key.encode()).hexdigest()[:32]
    headers = {"Content-Crs": f"<{features.CRS84}>"} if json_type == GEOJSON and fmt == "json" else {}
    held = unchanged(etag, cache_control=CACHE_CONTROL, headers=headers)
    if held is not None:
        return held

    def body() -> Body:
        if fmt == "html":
            html = render_template(template, doc=build(), lang=language(), attribution=ATTRIBUTION, **context)
            return Body(html.encode(), f"{HTML}; charset=utf-8", tag=etag)
        data = json.dumps(build(), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
        return Body(data, json_type, tag=etag)

    found = body() if personal() else snap.memo("ogcapi:responses", _response_cache).get(key, body)
    return send(found, cache_control=CACHE_CONTROL, vary=VARY, headers=headers)


def _response_cache() -> LRUCache[Body]:
    return LRUCache(*RESPONSE_CACHE_LIMITS, single_flight="key")


# --- cached per store version -----------------------------------------------------------------


def _collections() -> dict[str, features.Collection]:
    return snapshot().memo("ogcapi:collections", lambda: features.collections(snapshot().atlas.layers))


def _collection(collection_id: str) -> features.Collection:
    return features.get_collection(_collections(), collection_id)


def _queryables(coll: features.Collection) -> dict[str, str]:
    layer = snapshot().atlas.layers[coll.layer]
    return snapshot().memo(f"ogcapi:queryables:{coll.layer}", lambda: features.queryables(layer, coll.layer))


def _order(coll: features.Collection):
    layers = snapshot().atlas.layers
    return snapshot().memo(f"ogcapi:order:{coll.id}", lambda: features.serving_order(layers, coll, _queryables(coll)))


def _layer_features(coll: features.Collection) -> list[dict]:
    layer = snapshot().atlas.layers[coll.layer]
    return snapshot().memo(f"ogcapi:features:{coll.layer}", lambda: features.geojson_features(layer, coll))


def _extent(coll: features.Collection) -> list[float] | None:
    atlas = snapshot().atlas
    return snapshot().memo(
        f"ogcapi:extent:{coll.id}", lambda: features.spatial_extent(features.collection_frame(atlas.layers, coll))
    )


# --- documents --------------------------------------------------------------------------------


def _collection_doc(coll: features.Collection) -> dict:
    lang, path = language(), f"/collections/{coll.id}"
    extent = _extent(coll)
    doc = {
        "id": coll.id,
        "title": coll.title(lang),
        "description": coll.description(lang),
        "attribution": ATTRIBUTION,
        "itemType": "feature",
        "crs": [features.CRS84],
        "storageCrs": features.CRS84,
        "links": [
            _link(_url(path, f="json"), "self", JSON, _("Cette collection (JSON)")),
            _link(_url(path, f="html"), "alternate", HTML, _("Cette collection (HTML)")),
            _link(_url(f"{path}/items", f="json"), "items", GEOJSON, _("Objets (GeoJSON)")),
            _link(_url(f"{path}/items", f="html"), "items", HTML, _("Objets (HTML)")),
            _link(_url(f"{path}/queryables"), REL_QUERYABLES, SCHEMA, _("Propriétés filtrables")),
            _link(_url(f"{path}/schema"), REL_SCHEMA, SCHEMA, _("Schéma des objets")),
            _link(_url(f"{path}/feature-schema"), "describedby", SCHEMA, _("Schéma GeoJSON des objets")),
            # The same link spelt as GDAL 3.6 (QGIS 3.22's Debian 12) looks for it: it compares rel values
            # case-sensitively, while RFC 8288 makes them case-insensitive, so both spellings mean the same.
            _link(_url(f"{path}/feature-schema"), "describedBy", SCHEMA, _("Schéma GeoJSON des objets")),
        ],
    }
    if extent:
        doc["extent"] = {"spatial": {"bbox": [extent], "crs": features.CRS84}}
    return doc


def _collections_doc() -> dict:
    # Built per request (about a millisecond): links carry the request's host, which must not key a cache.
    return {
        "links": [
            _link(_url("/collections", f="json"), "self", JSON, _("Collections (JSON)")),
            _link(_url("/collections", f="html"), "alternate", HTML, _("Collections (HTML)")),
        ],
        "collections": [_collection_doc(c) for c in _collections().values()],
    }


def _items_links(coll: features.Collection, page: features.Page) -> list[dict]:
    path = f"/collections/{coll.id}/items"

    def href(fmt: str, offset: int) -> str:
        args = request.args.to_dict(flat=False)
        args.update(f=[fmt], limit=[str(page.limit)], offset=[str(offset)])
        return f"{_base()}{path}?{urlencode(args, doseq=True)}"

    links = [
        _link(href("json", page.offset), "self", GEOJSON, _("Cette page (GeoJSON)")),
        _link(href("html", page.offset), "alternate", HTML, _("Cette page (HTML)")),
        _link(_url(f"/collections/{coll.id}", f="json"), "collection", JSON, coll.title(language())),
    ]
    if page.next_offset is not None:
        links.append(_link(href("json", page.next_offset), "next", GEOJSON, _("Page suivante")))
    if page.prev_offset is not None:
        links.append(_link(href("json", page.prev_offset), "prev", GEOJSON, _("Page précédente")))
    return links


# --- routes -----------------------------------------------------------------------------------


@bp.get("/", strict_slashes=False)
def landing():
    """Landing page."""

    def build():
        return {
            "title": _("Atlas de Bamako — OGC API Features"),
            "description": _(
                "Communes, quartiers et équipements (santé, lecture, sport…) du District de Bamako, "
                "en GeoJSON, pour QGIS, GDAL et les navigateurs."
            ),
            "attribution": ATTRIBUTION,
            "links": [
                _link(_url(f="json"), "self", JSON, _("Cette page (JSON)")),
                _link(_url(f="html"), "alternate", HTML, _("Cette page (HTML)")),
                _link(_url("/openapi"), "service-desc", OPENAPI, _("Définition de l'API (OpenAPI 3.0)")),
                _link(_url("/openapi", f="html"), "service-doc", HTML, _("Documentation de l'API")),
                _link(_url("/conformance"), "conformance", JSON, _("Classes de conformité")),
                _link(_url("/collections"), "data", JSON, _("Collections")),
                _link(
                    request.host_url.rstrip("/") + url_for("edit_api.openapi"),
                    "related",
                    OPENAPI,
                    _("API de téléchargement et d'édition (OpenAPI 3.0)"),
                ),
            ],
        }

    return _respond(build, json_type=JSON, template="ogcapi/landing.html")


@bp.get("/conformance")
def conformance():
    """Conformance classes."""
    return _respond(lambda: {"conformsTo": list(CONFORMANCE)}, json_type=JSON, template="ogcapi/conformance.html")


@bp.get("/openapi")
def openapi():
    """OpenAPI 3.0 definition (JSON) or its HTML rendering (service-doc)."""

    def build():
        def compute():
            colls = _collections()
            return openapi_document(
                colls,
                {c.id: _queryables(c) for c in colls.values()},
                title=_("Atlas de Bamako — OGC API Features"),
                version=str(snapshot().atlas.meta.get("package_version") or "0"),
                lang=language(),
            )

        # Paths are relative to the server URL, the only part that depends on the request's host.
        doc = snapshot().memo(f"ogcapi:openapi:{language()}", compute)
        return {"openapi": doc["openapi"], "info": doc["info"], "servers": [{"url": _base()}], **doc}

    return _respond(build, json_type=OPENAPI, template="ogcapi/openapi.html")


@bp.get("/collections")
def collections():
    """All collections."""
    return _respond(_collections_doc, json_type=JSON, template="ogcapi/collections.html")


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    """One collection's metadata."""
    coll = _collection(collection_id)
    return _respond(lambda: _collection_doc(coll), json_type=JSON, template="ogcapi/collection.html")


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str):
    """Properties usable as ``?name=value`` equality filters (Parts 3 and 5), as a JSON Schema."""
    coll = _collection(collection_id)

    def build():
        return ogc_schema.queryables_schema(
            _queryables(coll),
            layer=coll.layer,
            schema_id=_url(f"/collections/{coll.id}/queryables"),
            title=coll.title(language()),
            lang=language(),
        )

    return _respond(
        build, json_type=SCHEMA, template="ogcapi/schema.html", heading=_("Propriétés filtrables"), filters=True
    )


@bp.get("/collections/<collection_id>/schema")
def schema(collection_id: str):
    """Schema of the features (Part 5): properties, their types, titles, order and roles."""
    coll = _collection(collection_id)

    def build():
        lang = language()
        frame = features.collection_frame(snapshot().atlas.layers, coll)
        return ogc_schema.feature_schema(
            _queryables(coll),
            layer=coll.layer,
            schema_id=_url(f"/collections/{coll.id}/schema"),
            title=coll.title(lang),
            description=coll.description(lang),
            lang=lang,
            id_column=coll.id_column,
            geometry_types=frozenset(frame.geom_type.dropna()),
        )

    return _respond(build, json_type=SCHEMA, template="ogcapi/schema.html", heading=_("Schéma des objets"))


@bp.get("/collections/<collection_id>/feature-schema")
def feature_schema(collection_id: str):
    """JSON Schema of one GeoJSON feature (the ``describedby`` link, read by GDAL)."""
    coll = _collection(collection_id)

    def build():
        return ogc_schema.geojson_feature_schema(
            _queryables(coll), schema_id=_url(f"/collections/{coll.id}/feature-schema"), title=coll.title(language())
        )

    return _respond(build, json_type=SCHEMA, template="ogcapi/schema.html", heading=_("Schéma GeoJSON des objets"))


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    """Features of a collection: bbox, property filters, limit/offset paging."""
    coll = _collection(collection_id)
    query = features.parse_items_query(request.args, _queryables(coll))

    def build():
        page = features.select_page(snapshot().atlas.layers, coll, query, order=_order(coll))
        all_features = _layer_features(coll)
        return {
            "type": "FeatureCollection",
            "features": [all_features[i] for i in page.rows],
            "numberMatched": page.number_matched,
            "numberReturned": page.number_returned,
            "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "links": _items_links(coll, page),
        }

    return _respond(
        build,
        json_type=GEOJSON,
        template="ogcapi/items.html",
        collection=coll,
        columns=[c for c in _queryables(coll) if c != "id"],
    )


@bp.get("/collections/<collection_id>/items/<feature_id>")
def item(collection_id: str, feature_id: str):
    """One feature."""
    coll = _collection(collection_id)
    row = features.find_row(snapshot().atlas.layers[coll.layer], coll, feature_id)

    def build():
        feature = dict(_layer_features(coll)[row])
        path = f"/collections/{coll.id}/items/{quote(str(feature['id']), safe='')}"
        feature["links"] = [
            _link(_url(path, f="json"), "self", GEOJSON, _("Cet objet (GeoJSON)")),
            _link(_url(path, f="html"), "alternate", HTML, _("Cet objet (HTML)")),
            _link(_url(f"/collections/{coll.id}", f="json"), "collection", JSON, coll.title(language())),
        ]
        return feature

    return _respond(build, json_type=GEOJSON, template="ogcapi/item.html", collection=coll)
