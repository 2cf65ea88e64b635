"""The JSON side of the planners' API: read request bodies strictly, represent facilities, changes and imports.

Bodies are JSON objects; every malformed value raises
:class:`geo.errors.InvalidParameter` naming the key, with a stable code (see
:mod:`webmap.edit_messages`). Facility columns are passed on untouched for
:mod:`geo.planning.edits.validate` to check, so there is one set of rules for the
editor, the API and the imports.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flask import request, url_for

from geo.errors import InvalidParameter
from geo.planning import imports
from webmap import edit_messages
from webmap.catalog import current_catalog

#: Largest JSON body of a write (files are uploaded as multipart, not JSON).
MAX_JSON_BYTES = 256 * 1024
#: Deepest nesting of a JSON body (facility bodies are flat objects).
MAX_JSON_DEPTH = 16

#: Columns the spatial join adds to a facility (read from the current atlas).
JOIN_COLUMNS = ("commune_pcode", "quartier_pcode", "join_status", "in_analysis")


# --- request bodies and arguments -----------------------------------------------------------------


def json_body(*, optional: bool = False) -> dict[str, Any]:
    """Return the JSON object of the request body (``{}`` for an empty optional body).

    The body must be sent as ``application/json`` (``unsupported_media_type``,
    415), hold at most ``MAX_JSON_BYTES`` (``body_too_large``, 413) and nest at
    most ``MAX_JSON_DEPTH`` levels (``bad_json``, 400).
    """
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise InvalidParameter("body", f"at most {MAX_JSON_BYTES} bytes of JSON", code="body_too_large")
    raw = request.get_data(cache=True)
    if optional and not raw:
        return {}
    if len(raw) > MAX_JSON_BYTES:
        raise InvalidParameter("body", f"at most {MAX_JSON_BYTES} bytes of JSON", code="body_too_large")
    if request.mimetype != "application/json":
        raise InvalidParameter(
            "body",
            f"send the body as application/json, not {request.mimetype or 'untyped'}",
            code="unsupported_media_type",
        )
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        raise InvalidParameter("body", "expected a JSON object", code="bad_json")
    if _depth(data) > MAX_JSON_DEPTH:
        raise InvalidParameter("body", f"nested deeper than {MAX_JSON_DEPTH} levels", code="bad_json")
    return data


def _depth(value: Any) -> int:
    """Return how deep ``value`` nests (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in children)
    return deepest


def only_keys(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """Refuse the first key of ``body`` that is not in ``allowed`` (``unknown_field``)."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise InvalidParameter(unknown[0], f"unknown key; allowed: {', '.join(allowed)}", code="unknown_field")


def flag(body: dict[str, Any], key: str) -> bool:
    """Return ``body[key]`` (default False); anything but true/false is refused (``not_boolean``)."""
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise InvalidParameter(key, f"expected true or false, got {value!r}", code="not_boolean")
    return value


def id_text(body: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    """Return the id text at ``key`` (None when absent and not required); refuse anything else (``id_required``)."""
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameter(key, "an id (text) is required", code="id_required")
    return value.strip()


def lonlat(body: dict[str, Any]) -> tuple[Any, Any] | None:
    """Return (lon, lat) as given, None when neither is, or raise when only one is or one is not a number."""
    lon, lat = body.get("lon"), body.get("lat")
    if lon is None and lat is None:
        return None
    if lon is None or lat is None:
        missing = "lon" if lon is None else "lat"
        raise InvalidParameter(missing, "give both lon and lat", code="coordinates_incomplete")
    for key, value in (("lon", lon), ("lat", lat)):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise InvalidParameter(key, f"expected a number, got {value!r}", code="bad_coordinates")
    return lon, lat


def position(body: dict[str, Any]) -> dict[str, Any]:
    """Return the position arguments of ``EditStore.create`` / ``update`` from the body."""
    quartier = body.get("quartier_pcode")
    if quartier is not None and not isinstance(quartier, str):
        raise InvalidParameter("quartier_pcode", f"expected a P-code, got {quartier!r}", code="unknown_quartier")
    return {
        "lonlat": lonlat(body),
        "quartier_pcode": quartier or None,
        "confirm_outside": flag(body, "confirm_outside"),
    }


def facility_fields(body: dict[str, Any], *, meta: tuple[str, ...]) -> dict[str, Any]:
    """Return the facility columns of the body (every key not in ``meta``; EditStore checks them)."""
    return {k: v for k, v in body.items() if k not in meta}


# --- representations --------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """Return a table cell as JSON: None for missing values, Python scalars."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    try:
        if value != value:  # pandas NA-like
            return None
    except TypeError:
        return None
    return value


def facility_doc(row: dict[str, Any]) -> dict[str, Any]:
    """Return a facility (the edit store's flat row) with its spatial join and links."""
    doc = dict(row)
    if row.get("status") == "active":
        facilities = current_catalog().atlas.layers["facilities"]
        hit = facilities.loc[facilities["id"].to_numpy() == row["id"], list(JOIN_COLUMNS)]
        if len(hit):
            doc.update({c: plain(v) for c, v in hit.iloc[0].items()})
    doc["links"] = {
        "self": url_for("edit_api.get_facility", facility_id=row["id"]),
        "page": url_for("pages.facility", facility_id=row["id"]),
        "history": url_for("edit_api.history", facility=row["id"]),
    }
    return doc


def change_doc(change: dict[str, Any]) -> dict[str, Any]:
    """Return a history entry with its action and facility name for display."""
    shown = change.get("after") or change.get("before") or {}
    return {**change, "action_label": edit_messages.action_label(change["action"]), "facility_name": shown.get("name")}


def history_filters() -> dict[str, str | None]:
    """Return the history filters of the query string (``facility``, ``user``, ``since``, ``until``, ``action``)."""
    args = request.args
    return {
        "facility_id": args.get("facility") or None,
        "user": args.get("user") or None,
        "since": args.get("since") or None,
        "until": args.get("until") or None,
        "action": args.get("action") or None,
    }


def import_doc(record: imports.ImportRecord) -> dict[str, Any]:
    """Return an import: status, summary, rows to add, duplicates, errors in the request's language, links.

    Road ways are listed without their coordinates (``points``: how many), which only the commit needs.
    """
    preview = record.preview
    rows = preview.to_add
    if preview.target == "roads":
        rows = [{"line": r["line"], "fields": r["fields"], "points": len(r["coords"])} for r in rows]
    return {
        "id": record.id,
        "status": record.status,
        "user": record.user,
        "created_at": record.created_at,
        "decided_at": record.decided_at,
        "decided_by": record.decided_by,
        "facility_ids": record.facility_ids,
        "summary": preview.summary(),
        "rows_to_add": rows,
        "duplicates": preview.duplicates,
        "errors": [edit_messages.row_error(e.to_dict()) for e in preview.errors],
        "links": {
            "self": url_for("edit_api.get_import", import_id=record.id),
            "commit": url_for("edit_api.commit_import", import_id=record.id),
        },
    }
