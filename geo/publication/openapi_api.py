"""The OpenAPI 3.0 document of /api/v1: downloads (public) and planner editing (signed in), no Flask here.

Editing routes accept either an API token (``Authorization: Bearer``, from
``bamako-atlas users token NAME``) or a signed-in session cookie together with
its CSRF token in the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

from typing import Any

from geo.planning.edits.history import ACTIONS
from geo.planning.edits.validate import CHOICES, CREATE_FIELDS, EDITABLE_FIELDS, NUMERIC_MAX, REASON_MAX, TEXT_MAX
from geo.publication import exports
from geo.publication.openapi_coverage import coverage_paths, coverage_schemas
from geo.vocabulary import FACILITY_COLUMNS, JOIN_STATUSES, KINDS, LAYERS

JSON = "application/json"
#: Security alternatives: a token, or a session cookie (+ CSRF header for writes).
WRITE = [{"bearerAuth": []}, {"sessionCookie": [], "csrfToken": []}]
READ_SIGNED_IN = [{"bearerAuth": []}, {"sessionCookie": []}]
PUBLIC: list = []


def _ref(name: str, kind: str = "schemas") -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _field_schema(field: str) -> dict:
    """Return the schema of one facility column as the editor accepts it."""
    if field in CHOICES:
        return {"type": "string", "enum": list(CHOICES[field])}
    if field in NUMERIC_MAX:
        return {"type": "integer", "minimum": 0, "maximum": NUMERIC_MAX[field], "nullable": True}
    if field in TEXT_MAX:
        return {"type": "string", "maxLength": TEXT_MAX[field]}
    return {"type": "string"}


_POSITION = {
    "lon": {"type": "number", "minimum": -180, "maximum": 180, "description": "Longitude, WGS 84 degrees."},
    "lat": {"type": "number", "minimum": -90, "maximum": 90, "description": "Latitude, WGS 84 degrees."},
    "quartier_pcode": {
        "type": "string",
        "description": "Place at this quartier's representative point (precision 'quartier') instead of lon/lat.",
    },
    "confirm_outside": {
        "type": "boolean",
        "default": False,
        "description": "Keep a point outside the District (flagged outside, excluded from analyses).",
    },
    "reason": {"type": "string", "maxLength": REASON_MAX},
}


def _schemas() -> dict[str, Any]:
    facility = {c: _field_schema(c) for c in FACILITY_COLUMNS}
    facility.update(
        id={"type": "string"},
        sources={"type": "string", "description": "';'-joined source keys."},
        source_refs={"type": "string"},
        commune_pcode={"type": "string", "nullable": True},
        quartier_pcode={"type": "string", "nullable": True},
        join_status={"type": "string", "enum": list(JOIN_STATUSES), "nullable": True},
        in_analysis={"type": "boolean", "nullable": True},
        lon={"type": "number", "nullable": True},
        lat={"type": "number", "nullable": True},
        version={"type": "integer", "minimum": 1, "description": "Send it back with PATCH, DELETE and merge."},
        status={"type": "string", "enum": ["active", "retired"]},
        retired_reason={"type": "string"},
        links={"type": "object", "additionalProperties": {"type": "string"}},
    )
    error_body = {
        "type": "object",
        "required": ["status", "code", "message"],
        "properties": {
            "status": {"type": "integer"},
            "code": {"type": "string", "description": "A stable problem code, e.g. name_required, outside_district."},
            "message": {
                "type": "string",
                "description": "In the request's language (?lang=, cookie, Accept-Language).",
            },
            "field": {"type": "string", "description": "The body key or parameter at fault ('lonlat': lon/lat)."},
            "detail": {"type": "string", "description": "The library's message (English): file, line, value."},
        },
    }
    row_error = {
        "type": "object",
        "properties": {
            k: {"type": "string"}
            for k in ("line", "line_label", "field", "field_label", "problem_code", "message", "detail", "value")
        },
    }
    change = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "op": {"type": "string"},
            "at": {"type": "string", "format": "date-time"},
            "user": {"type": "string"},
            "action": {"type": "string", "enum": list(ACTIONS)},
            "action_label": {"type": "string"},
            "facility_id": {"type": "string"},
            "facility_name": {"type": "string", "nullable": True},
            "related_id": {"type": "string", "nullable": True},
            "reason": {"type": "string"},
            "import_id": {"type": "string", "nullable": True},
            "reverts": {"type": "integer", "nullable": True},
            "version_before": {"type": "integer", "nullable": True},
            "version_after": {"type": "integer"},
            "changed": {"type": "array", "items": {"type": "string"}},
            "before": {"type": "object", "nullable": True},
            "after": {"type": "object"},
        },
    }
    preview = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "status": {"type": "string", "enum": ["previewed", "committed", "discarded"]},
            "summary": {"type": "object"},
            "rows_to_add": {"type": "array", "items": {"type": "object"}},
            "duplicates": {"type": "array", "items": {"type": "object"}},
            "errors": {"type": "array", "items": _ref("RowError")},
        },
    }
    return {
        "Facility": {"type": "object", "properties": facility},
        "FacilityCreate": {
            "type": "object",
            "required": ["kind", "name"],
            "additionalProperties": False,
            "description": "Give lon and lat, or quartier_pcode.",
            "properties": {**{c: _field_schema(c) for c in CREATE_FIELDS}, **_POSITION},
        },
        "FacilityPatch": {
            "type": "object",
            "required": ["version"],
            "additionalProperties": False,
            "properties": {
                "version": {"type": "integer", "minimum": 1},
                **{c: _field_schema(c) for c in EDITABLE_FIELDS},
                **_POSITION,
            },
        },
        "Retire": {
            "type": "object",
            "required": ["version", "reason"],
            "additionalProperties": False,
            "properties": {"version": {"type": "integer", "minimum": 1}, "reason": _POSITION["reason"]},
        },
        "Merge": {
            "type": "object",
            "required": ["keep_id", "keep_version", "drop_id", "drop_version"],
            "additionalProperties": False,
            "properties": {
                "keep_id": {"type": "string"},
                "keep_version": {"type": "integer", "minimum": 1},
                "drop_id": {"type": "string"},
                "drop_version": {"type": "integer", "minimum": 1},
                "reason": _POSITION["reason"],
            },
        },
        "Resolve": {
            "type": "object",
            "required": ["facility_id", "version", "take"],
            "additionalProperties": False,
            "properties": {
                "facility_id": {"type": "string"},
                "field": {"type": "string", "nullable": True},
                "version": {"type": "integer", "minimum": 1},
                "take": {"type": "string", "enum": ["planner", "source"]},
            },
        },
        "Change": change,
        "ChangeList": {
            "type": "object",
            "properties": {
                "changes": {"type": "array", "items": _ref("Change")},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
                "next": {"type": "string", "nullable": True},
                "csv": {"type": "string"},
            },
        },
        "Revert": {"allOf": [_ref("Change"), {"type": "object", "properties": {"facility": _ref("Facility")}}]},
        "ConflictList": {
            "type": "object",
            "properties": {"conflicts": {"type": "array", "items": {"type": "object"}}, "count": {"type": "integer"}},
        },
        "RowError": row_error,
        "ImportPreview": preview,
        "ImportCommit": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "added": {"type": "integer"},
                "ids": {"type": "array", "items": {"type": "string"}},
            },
        },
        "Error": {"type": "object", "required": ["error"], "properties": {"error": error_body}},
        "VersionConflict": {
            "type": "object",
            "required": ["error", "current"],
            "properties": {"error": error_body, "current": _ref("Facility")},
        },
    }


def _responses() -> dict[str, Any]:
    error = _ref("Error")
    return {
        "BadRequest": _json(error, "Invalid body or parameter: error.field and error.code say which and why."),
        "Unauthorized": _json(error, "Not signed in and no valid Bearer token."),
        "Forbidden": _json(error, "Role too low, or a session write without its X-CSRF-Token."),
        "NotFound": _json(error, "No such facility, change or import."),
        "Conflict": _json(_ref("VersionConflict"), "Stale version: `current` holds the facility as it is now."),
        "TooLarge": _json(error, "Body too large: a JSON body over 256 KB, an upload over 20 MB."),
        "UnsupportedMediaType": _json(error, "A JSON body sent without Content-Type: application/json."),
    }


def _files(media_types: list[str], description: str) -> dict:
    """Return a response whose body is a file of one of ``media_types``."""
    return {
        "description": description,
        "content": {mt: {"schema": {"type": "string", "format": "binary"}} for mt in dict.fromkeys(media_types)},
    }


def _op(
    op_id: str,
    summary: str,
    ok: tuple[str, dict, str] | tuple[str, dict],
    *,
    security: list,
    errors: tuple[str, ...] = (),
    body: dict | None = None,
    parameters: list | None = None,
    description: str = "",
) -> dict:
    responses = {ok[0]: _json(ok[1], ok[2]) if len(ok) == 3 else ok[1]}  # (status, response) for non-JSON bodies
    codes = {"400": "BadRequest", "401": "Unauthorized", "403": "Forbidden", "404": "NotFound"}
    codes.update({"409": "Conflict", "413": "TooLarge"})
    for code in errors:
        responses[code] = _ref(codes[code], "responses")
    op = {"operationId": op_id, "summary": summary, "security": security, "responses": responses}
    if description:
        op["description"] = description
    if body is not None:
        op["requestBody"] = {"required": True, "content": body}
        if JSON in body:
            responses.setdefault("413", _ref("TooLarge", "responses"))
            responses["415"] = _ref("UnsupportedMediaType", "responses")
    if parameters:
        op["parameters"] = parameters
    return op


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _path(name: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string"}}


def _read_paths() -> dict[str, Any]:
    selection = [
        _query("kind", {"type": "string"}, "Facility kinds, comma-separated (e.g. cscom,claec)."),
        _query("commune", {"type": "string"}, "Commune P-codes, comma-separated (e.g. ML090105,ML090106)."),
        _query("quartier", {"type": "string"}, "Quartier P-codes, comma-separated (e.g. ML090105595)."),
        _query("bbox", {"type": "string"}, "minlon,minlat,maxlon,maxlat in WGS 84 degrees."),
        _query(
            "scope",
            {"type": "string", "enum": list(exports.SCOPES), "default": "district"},
            "Facility layers: `district` keeps the facilities in the District (in_analysis true); `all` adds "
            "those outside it, flagged by in_analysis false and join_status outside.",
        ),
    ]
    names = [f"{layer}.{fmt}" for layer in (*LAYERS, *KINDS) for fmt in exports.EXPORT_FORMATS]
    return {
        "/layers": {
            "get": _op(
                "listLayers",
                "Layers, counts and download links",
                ("200", {"type": "object"}, "Layer list"),
                security=PUBLIC,
            )
        },
        "/layers/{name}": {
            "get": _op(
                "getLayer",
                "One layer (or a facility kind) in a format",
                (
                    "200",
                    _files(
                        [f.media_type.split(";")[0] for f in exports.EXPORT_FORMATS.values()],
                        "The file (ETag; gzip for text formats)",
                    ),
                ),
                security=PUBLIC,
                errors=("400", "404"),
                parameters=[_path("name", {"type": "string", "enum": names})] + selection,
                description="`<layer>.<format>` with format one of "
                + ", ".join(exports.EXPORT_FORMATS)
                + ". Any other query parameter is a 400 naming it. Missing values are nulls (empty CSV cells); "
                "counts (beds, doctors, nurses, pupils) are integers, in_analysis a boolean.",
            )
        },
        "/package.zip": {
            "get": _op(
                "getPackage",
                "Partner package: every layer, README, licences",
                ("200", _files(["application/zip"], "ZIP archive")),
                security=PUBLIC,
                errors=("400",),
                parameters=[_query("lang", {"type": "string", "enum": ["fr", "en"]}, "README language.")],
            )
        },
        "/map-data.json": {
            "get": _op(
                "getMapData",
                "Everything the map draws (compact), with an ETag that changes on every edit",
                ("200", {"type": "object"}, "Map data"),
                security=PUBLIC,
            )
        },
    }


def _edit_paths() -> dict[str, Any]:
    fac, body = _ref("Facility"), lambda name: {JSON: {"schema": _ref(name)}}
    fid = [_path("facility_id")]
    history_filters = [
        _query("facility", {"type": "string"}, "Facility id (either side of a merge)."),
        _query("user", {"type": "string"}, "User name."),
        _query("since", {"type": "string", "format": "date"}, "From this date (UTC, inclusive)."),
        _query("until", {"type": "string", "format": "date"}, "Up to this date (UTC, the whole day)."),
        _query("action", {"type": "string", "enum": list(ACTIONS)}, "Action."),
    ]
    paging = [
        _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}, "Page size."),
        _query("offset", {"type": "integer", "minimum": 0, "default": 0}, "Changes to skip."),
    ]
    iid = [_path("import_id")]
    upload = {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "CSV, GeoJSON, GeoPackage, .osm, .osm.pbf",
                    },
                    "crs": {"type": "string", "description": "CRS of a CSV's x/y when not lon/lat, e.g. EPSG:32629."},
                    "layer": {"type": "string", "description": "GeoPackage layer (default: the first point layer)."},
                    "target": {
                        "type": "string",
                        "enum": ["facilities", "roads"],
                        "default": "facilities",
                        "description": "roads: the highway=* ways of an .osm/.osm.pbf extract become the road layer "
                        "travel time follows (a commit replaces the previous layer).",
                    },
                },
            }
        }
    }
    optional_reason = {JSON: {"schema": {"type": "object", "properties": {"reason": _POSITION["reason"]}}}}
    return {
        "/facilities": {
            "post": _op(
                "createFacility", "Add a facility", ("201", fac, "The new facility (version 1)"),
                security=WRITE, errors=("400", "401", "403"), body=body("FacilityCreate"),
            )
        },
        "/facilities/{facility_id}": {
            "get": _op(
                "getFacility", "One facility, retired ones included", ("200", fac, "The facility"),
                security=READ_SIGNED_IN, errors=("401", "404"), parameters=fid,
            ),
            "patch": _op(
                "updateFacility", "Edit fields and/or move", ("200", fac, "The facility after the edit"),
                security=WRITE, errors=("400", "401", "403", "404", "409"), body=body("FacilityPatch"),
                parameters=fid, description="Carry the `version` you edited; a stale one is refused with 409.",
            ),
            "delete": _op(
                "retireFacility", "Retire a facility (kept in history)", ("200", fac, "The retired facility"),
                security=WRITE, errors=("400", "401", "403", "404", "409"), body=body("Retire"), parameters=fid,
            ),
        },
        "/facilities/merge": {
            "post": _op(
                "mergeFacilities", "Merge a duplicate pair", ("200", fac, "The kept facility"),
                security=WRITE, errors=("400", "401", "403", "404", "409"), body=body("Merge"),
            )
        },
        "/history": {
            "get": _op(
                "listChanges", "Recorded changes, newest first", ("200", _ref("ChangeList"), "Changes"),
                security=READ_SIGNED_IN, errors=("400", "401"), parameters=history_filters + paging,
            )
        },
        "/history.csv": {
            "get": _op(
                "exportChanges", "Changes as CSV (formula-safe cells)",
                ("200", _files(["text/csv"], "CSV, UTF-8 with BOM")),
                security=READ_SIGNED_IN, errors=("400", "401"), parameters=history_filters,
            )
        },
        "/history/{change_id}/revert": {
            "post": _op(
                "revertChange", "Undo a change (admin); the revert is recorded", ("200", _ref("Revert"), "The revert"),
                security=WRITE, errors=("400", "401", "403", "404", "409"),
                parameters=[_path("change_id", {"type": "integer"})], body=optional_reason,
            )
        },
        "/conflicts": {
            "get": _op(
                "listConflicts", "Planner corrections the rebuilt sources disagree with",
                ("200", _ref("ConflictList"), "Conflicts"), security=READ_SIGNED_IN, errors=("401", "403"),
            )
        },
        "/conflicts/resolve": {
            "post": _op(
                "resolveConflict", "Keep the planner's or the source's value", ("200", fac, "The facility"),
                security=WRITE, errors=("400", "401", "403", "404", "409"), body=body("Resolve"),
            )
        },
        "/imports": {
            "get": _op(
                "listImports", "Latest imports", ("200", {"type": "object"}, "Import summaries"),
                security=READ_SIGNED_IN, errors=("401", "403"),
            ),
            "post": _op(
                "createImport", "Upload a file and preview it", ("201", _ref("ImportPreview"), "The preview"),
                security=WRITE, errors=("400", "401", "403", "413"), body=upload,
                description="Files over 20 MB or 50 000 rows are refused; nothing is written before the commit.",
            ),
        },
        "/imports/{import_id}": {
            "get": _op(
                "getImport", "An import's preview", ("200", _ref("ImportPreview"), "The preview"),
                security=READ_SIGNED_IN, errors=("401", "403", "404"), parameters=iid,
            ),
            "delete": _op(
                "discardImport", "Abandon a previewed import", ("200", {"type": "object"}, "Discarded"),
                security=WRITE, errors=("400", "401", "403", "404"), parameters=iid,
            ),
        },
        "/imports/{import_id}/commit": {
            "post": _op(
                "commitImport", "Add the import's rows, all or none", ("200", _ref("ImportCommit"), "Added"),
                security=WRITE, errors=("400", "401", "403", "404"), parameters=iid,
                body={JSON: {"schema": {"type": "object", "properties": {"include_duplicates": {"type": "boolean"}}}}},
            )
        },
        "/openapi.json": {
            "get": _op("getOpenAPI", "This document", ("200", {"type": "object"}, "OpenAPI 3.0"), security=PUBLIC)
        },
    }  # fmt: skip


def document(*, version: str) -> dict[str, Any]:
    """Return the OpenAPI 3.0 document of /api/v1 (paths relative to the server URL the caller adds)."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Atlas de Bamako — API",
            "version": version,
            "description": (
                "Downloads of the atlas layers (public) and facility editing for planners. "
                "Writes need role editor (admin for a revert) and either `Authorization: Bearer <token>` "
                "(`bamako-atlas users token NAME`) or a signed-in session cookie with its CSRF token in "
                "`X-CSRF-Token`. Every change is recorded with who, when, before/after and reason. "
                + exports.ATTRIBUTION
            ),
        },
        "paths": {**_read_paths(), **coverage_paths(), **_edit_paths()},
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "description": "API token of a planner."},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session"},
                "csrfToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-CSRF-Token",
                    "description": "The session's CSRF token (the page's <meta name=\"csrf-token\">).",
                },
            },
            "schemas": {**_schemas(), **coverage_schemas()},
            "responses": _responses(),
        },
    }
