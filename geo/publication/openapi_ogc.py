"""The OpenAPI 3.0 definition of the /ogcapi service, built from its collections (no Flask here)."""

from __future__ import annotations

from geo.publication import ogc as features
from geo.publication.exports import ATTRIBUTION

#: Media types of the representations.
JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA = "application/schema+json"
#: Values of the ``f`` query parameter.
OGC_REPRESENTATIONS = ("json", "html")

_FEATURES = "http://www.opengis.net/spec/ogcapi-features-{part}/1.0/conf/{name}"
_COMMON_3 = "http://www.opengis.net/spec/ogcapi-common-3/1.0/conf/{name}"
#: Conformance classes of the service (``/conformance``). Part 5 "Schemas" is published both as
#: OGC API – Features – Part 5 and as OGC API – Common – Part 3: its classes are declared under
#: both names (QGIS looks for the Features one). Not "returnables-and-receivables": a missing
#: value is a JSON null, which a property typed by one JSON type (what QGIS and GDAL read) refuses.
CONFORMANCE = (
    *(_FEATURES.format(part=1, name=name) for name in ("core", "geojson", "html", "oas30")),
    _FEATURES.format(part=3, name="queryables"),
    _FEATURES.format(part=3, name="queryables-query-parameters"),
    *(_FEATURES.format(part=5, name=name) for name in ("schemas", "core-roles-features", "queryables")),
    *(_COMMON_3.format(name=name) for name in ("schemas", "advanced-property-roles", "queryables")),
)


def _param(name: str, schema: dict, description: str, *, where: str = "query") -> dict:
    param = {"name": name, "in": where, "required": where == "path", "description": description, "schema": schema}
    if where == "query":
        param.update(style="form", explode=False)
    return param


def _ok(description: str, *media_types: str, schema: str = "object") -> dict:
    content = {m: {"schema": {"$ref": f"#/components/schemas/{schema}"}} for m in media_types}
    content.setdefault(HTML, {"schema": {"type": "string"}})
    return {
        "200": {"description": description, "content": content},
        "400": {"$ref": "#/components/responses/InvalidParameter"},
        "404": {"$ref": "#/components/responses/NotFound"},
    }


def _components() -> dict:
    ref = {"$ref": "#/components/schemas/link"}
    obj = {"type": "object"}
    return {
        "parameters": {
            "f": _param(
                "f",
                {"type": "string", "enum": list(OGC_REPRESENTATIONS)},
                "Representation (default: Accept header, else JSON).",
            ),
            "lang": _param("lang", {"type": "string", "enum": ["fr", "en"]}, "Language of titles (fr, en)."),
            "bbox": _param(
                "bbox",
                {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
                "minlon,minlat,maxlon,maxlat in CRS84 degrees; features intersecting the box.",
            ),
            "limit": _param(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": features.MAX_LIMIT, "default": features.DEFAULT_LIMIT},
                f"Page size; values above {features.MAX_LIMIT} are capped to {features.MAX_LIMIT}.",
            ),
            "offset": _param("offset", {"type": "integer", "minimum": 0, "default": 0}, "Matching features to skip."),
            "crs": _param("crs", {"type": "string", "enum": [features.CRS84]}, "CRS of the response: CRS84 only."),
            "bbox-crs": _param("bbox-crs", {"type": "string", "enum": [features.CRS84]}, "CRS of bbox: CRS84 only."),
            "datetime": _param(
                "datetime",
                {"type": "string"},
                "RFC 3339 date-time or interval (start/end, '..' for an open end); validated, then selects every "
                "feature: the atlas has no temporal data.",
            ),
            "featureId": _param("featureId", {"type": "string"}, "Feature id.", where="path"),
        },
        "schemas": {
            "object": obj,
            "link": {
                "type": "object",
                "required": ["href", "rel"],
                "properties": {k: {"type": "string"} for k in ("href", "rel", "type", "title", "hreflang")},
            },
            "confClasses": {
                "type": "object",
                "required": ["conformsTo"],
                "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
                "example": {"conformsTo": list(CONFORMANCE)},
            },
            "jsonSchema": {
                "description": "A JSON Schema (draft 2020-12) of feature properties (OGC API - Features - Part 5).",
                "type": "object",
                "required": ["$schema", "$id", "type", "properties"],
                "properties": {
                    "$schema": {"type": "string", "enum": ["https://json-schema.org/draft/2020-12/schema"]},
                    "$id": {"type": "string", "format": "uri"},
                    "type": {"type": "string", "enum": ["object"]},
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                    "properties": {"type": "object", "additionalProperties": {"type": "object"}},
                    "additionalProperties": {"type": "boolean"},
                },
            },
            "exception": {
                "type": "object",
                "required": ["code"],
                "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
            },
            "featureGeoJSON": {
                "type": "object",
                "required": ["type", "geometry", "properties"],
                "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                    "geometry": {"type": "object", "nullable": True},
                    "properties": {"type": "object", "nullable": True},
                    "links": {"type": "array", "items": ref},
                },
            },
            "featureCollectionGeoJSON": {
                "type": "object",
                "required": ["type", "features"],
                "properties": {
                    "type": {"type": "string", "enum": ["FeatureCollection"]},
                    "features": {"type": "array", "items": {"$ref": "#/components/schemas/featureGeoJSON"}},
                    "links": {"type": "array", "items": ref},
                    "timeStamp": {"type": "string", "format": "date-time"},
                    "numberMatched": {"type": "integer", "minimum": 0},
                    "numberReturned": {"type": "integer", "minimum": 0},
                },
            },
        },
        "responses": {
            "InvalidParameter": {
                "description": "A query parameter has an invalid value or is unknown.",
                "content": {JSON: {"schema": {"$ref": "#/components/schemas/exception"}}},
            },
            "NotFound": {
                "description": "The collection or feature does not exist.",
                "content": {JSON: {"schema": {"$ref": "#/components/schemas/exception"}}},
            },
        },
    }


def openapi_document(
    colls: dict[str, features.Collection],
    queryables_of: dict[str, dict[str, str]],
    *,
    title: str,
    version: str,
    lang: str,
) -> dict:
    """Return the OpenAPI 3.0 definition of the service, with explicit paths per collection."""
    common = [{"$ref": f"#/components/parameters/{p}"} for p in ("f", "lang")]

    def get(op_id: str, summary: str, responses: dict, parameters: list | None = None) -> dict:
        return {
            "get": {
                "operationId": op_id,
                "summary": summary,
                "parameters": common + (parameters or []),
                "responses": responses,
            }
        }

    paths = {
        "/": get("getLandingPage", "Landing page", _ok("Landing page", JSON)),
        "/conformance": get(
            "getConformance", "Conformance classes", _ok("Conformance classes", JSON, schema="confClasses")
        ),
        "/openapi": get("getAPI", "This API definition", _ok("OpenAPI 3.0 definition", OPENAPI)),
        "/collections": get("getCollections", "Feature collections", _ok("Collections", JSON)),
    }
    paging = [
        {"$ref": f"#/components/parameters/{p}"} for p in ("bbox", "bbox-crs", "crs", "limit", "offset", "datetime")
    ]
    for cid, coll in colls.items():
        name, base = coll.title(lang), f"/collections/{cid}"
        filters = [
            _param(prop, {"type": kind}, f"Equality filter on '{prop}'.") for prop, kind in queryables_of[cid].items()
        ]
        paths[base] = get(f"describe_{cid}", f"{name}: metadata", _ok("Collection", JSON))
        paths[f"{base}/queryables"] = get(
            f"queryables_{cid}", f"{name}: queryables (Parts 3 and 5)", _ok("Queryables", SCHEMA, schema="jsonSchema")
        )
        paths[f"{base}/schema"] = get(
            f"schema_{cid}",
            f"{name}: schema of the features (Part 5: types, titles, roles id, type and primary-geometry)",
            _ok("Schema", SCHEMA, schema="jsonSchema"),
        )
        paths[f"{base}/feature-schema"] = get(
            f"featureSchema_{cid}", f"{name}: GeoJSON feature schema", _ok("Schema", SCHEMA, schema="jsonSchema")
        )
        paths[f"{base}/items"] = get(
            f"items_{cid}",
            f"{name}: features",
            _ok("Features", GEOJSON, schema="featureCollectionGeoJSON"),
            paging + filters,
        )
        paths[f"{base}/items/{{featureId}}"] = get(
            f"item_{cid}",
            f"{name}: one feature",
            _ok("Feature", GEOJSON, schema="featureGeoJSON"),
            [{"$ref": "#/components/parameters/featureId"}],
        )
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": version, "description": ATTRIBUTION},
        "paths": paths,
        "components": _components(),
    }
