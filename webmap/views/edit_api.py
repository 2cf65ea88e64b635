"""The planners' JSON API under /api/v1: facilities, history, conflicts, imports and its OpenAPI document.

Every write goes through the catalog's :class:`geo.planning.edits.EditStore` (one
SQLite transaction, version-checked) and needs role ``editor`` (``admin`` for a
revert), with a signed-in session plus its CSRF token or an
``Authorization: Bearer`` token (see :mod:`webmap.auth`). The next request of
any server process sees the edit: the catalog's version moves, so every memo
and ETag downstream (map data, exports, OGC API) refreshes.

Errors (:mod:`webmap.errors`) keep the app's JSON shape ``{"error": {"status", "code", "message"}}``;
validation errors add ``field`` and the stable ``code`` of ``geo.planning.edits`` /
``geo.planning.imports`` with the message in the request's language
(:mod:`webmap.edit_messages`) and the library's ``detail``; a stale version
(409) adds ``current``, the facility as it is now.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for

from geo.errors import InvalidParameter
from geo.planning import imports
from geo.planning.edits import EditStore
from geo.publication import openapi_api as api_openapi
from webmap import auth, edit_json, edit_messages, params
from webmap.catalog import current_catalog
from webmap.settings import current_settings
from webmap.snapshot import snapshot

bp = Blueprint("edit_api", __name__, url_prefix="/api/v1")

#: Body keys of a create/update that are not facility columns.
POSITION_KEYS = ("lon", "lat", "quartier_pcode", "confirm_outside")
#: Default and largest page of the history API.
HISTORY_LIMIT, HISTORY_MAX = 100, 1000


@bp.after_request
def _no_store(resp: Response) -> Response:
    """Planner data is per-user and changes at any time: never kept by a cache."""
    if "Cache-Control" not in resp.headers:
        resp.headers["Cache-Control"] = "no-store"
    return resp


# --- who and where -----------------------------------------------------------------------------


def _user() -> str:
    return auth.current_user().name


def _store() -> EditStore:
    """Return THE edit store of the current store (every write goes through it)."""
    return current_catalog().edit_store()


# --- facilities ---------------------------------------------------------------------------------


@bp.post("/facilities")
@auth.require_role("editor")
def create_facility():
    """Add a facility: ``{kind, name, lon, lat | quartier_pcode, …, confirm_outside?, reason?}`` → 201."""
    body = edit_json.json_body()
    row = _store().create(
        user=_user(),
        fields=edit_json.facility_fields(body, meta=POSITION_KEYS + ("reason",)),
        reason=body.get("reason", ""),
        **edit_json.position(body),
    )
    resp = jsonify(edit_json.facility_doc(row))
    resp.status_code = 201
    resp.headers["Location"] = url_for("edit_api.get_facility", facility_id=row["id"])
    return resp


@bp.get("/facilities/<facility_id>")
@auth.require_role("viewer")
def get_facility(facility_id: str):
    """One facility as edits leave it, with ``version``, ``lon``, ``lat`` and ``status`` (retired ones too)."""
    return jsonify(edit_json.facility_doc(_store().facility(facility_id)))


@bp.patch("/facilities/<facility_id>")
@auth.require_role("editor")
def update_facility(facility_id: str):
    """Change fields and/or move: ``{version, …fields…, lon?, lat?, reason?}``; a stale version → 409."""
    body = edit_json.json_body()
    if body.get("version") is None:
        raise InvalidParameter("version", "the version you edited is required", code="version_required")
    row = _store().update(
        facility_id,
        user=_user(),
        version=body["version"],
        fields=edit_json.facility_fields(body, meta=POSITION_KEYS + ("reason", "version")),
        reason=body.get("reason", ""),
        **edit_json.position(body),
    )
    return jsonify(edit_json.facility_doc(row))


@bp.delete("/facilities/<facility_id>")
@auth.require_role("editor")
def retire_facility(facility_id: str):
    """Retire a facility (hidden from maps and analyses, kept in history): ``{version, reason}``."""
    body = edit_json.json_body()
    edit_json.only_keys(body, ("version", "reason"))
    if body.get("version") is None:
        raise InvalidParameter("version", "the version you edited is required", code="version_required")
    row = _store().retire(facility_id, user=_user(), version=body["version"], reason=body.get("reason", ""))
    return jsonify(edit_json.facility_doc(row))


@bp.post("/facilities/merge")
@auth.require_role("editor")
def merge_facilities():
    """Merge a duplicate pair: ``{keep_id, keep_version, drop_id, drop_version, reason?}`` → the kept facility."""
    body = edit_json.json_body()
    edit_json.only_keys(body, ("keep_id", "keep_version", "drop_id", "drop_version", "reason"))
    for key in ("keep_version", "drop_version"):
        if body.get(key) is None:
            raise InvalidParameter(key, "the version you edited is required", code="version_required")
    row = _store().merge(
        edit_json.id_text(body, "keep_id"),
        edit_json.id_text(body, "drop_id"),
        user=_user(),
        keep_version=body["keep_version"],
        drop_version=body["drop_version"],
        reason=body.get("reason", ""),
    )
    return jsonify(edit_json.facility_doc(row))


# --- history and conflicts ----------------------------------------------------------------------


@bp.get("/history")
@auth.require_role("viewer")
def history():
    """Recorded changes, newest first; filters ``facility``, ``user``, ``since``, ``until``, ``action``."""
    limit = params.integer("limit", HISTORY_LIMIT, maximum=HISTORY_MAX) or HISTORY_LIMIT
    offset = params.integer("offset", 0, maximum=2**31)
    filters = edit_json.history_filters()
    changes = _store().history(**filters, limit=limit + 1, offset=offset)
    args = {k: v for k, v in request.args.items() if k not in ("limit", "offset")}
    more = len(changes) > limit
    return jsonify(
        {
            "changes": [edit_json.change_doc(c) for c in changes[:limit]],
            "limit": limit,
            "offset": offset,
            "next": url_for("edit_api.history", **args, limit=limit, offset=offset + limit) if more else None,
            "csv": url_for("edit_api.history_csv", **args),
        }
    )


@bp.get("/history.csv")
@auth.require_role("viewer")
def history_csv():
    """Every change matching the filters as CSV (UTF-8 with BOM; cells never start a formula)."""
    text = _store().history_csv(**edit_json.history_filters())
    resp = Response(text.encode("utf-8-sig"), mimetype="text/csv")
    resp.headers["Content-Disposition"] = 'attachment; filename="bamako-atlas-history.csv"'
    return resp


@bp.post("/history/<int:change_id>/revert")
@auth.require_role("admin")
def revert_change(change_id: int):
    """Undo a change (admin); the revert is itself recorded. ``{reason?}`` → the revert's change record."""
    body = edit_json.json_body(optional=True)
    edit_json.only_keys(body, ("reason",))
    store = _store()
    row = store.revert(change_id, user=_user(), reason=body.get("reason", ""))
    change = next(c for c in store.history(facility_id=row["id"], action="revert") if c["reverts"] == change_id)
    return jsonify({**edit_json.change_doc(change), "facility": edit_json.facility_doc(row)})


@bp.get("/conflicts")
@auth.require_role("editor")
def conflicts():
    """Planner corrections the rebuilt sources now disagree with (the planner's value is kept)."""
    found = _store().conflicts()
    for entry in found:
        entry["problem_label"] = edit_messages.conflict_label(entry["problem"])
        entry["field_label"] = edit_messages.field_label(entry["field"]) if entry["field"] else None
    return jsonify({"conflicts": found, "count": len(found)})


@bp.post("/conflicts/resolve")
@auth.require_role("editor")
def resolve_conflict():
    """Settle a conflict: ``{facility_id, field, version, take: "planner" | "source"}`` → the facility."""
    body = edit_json.json_body()
    edit_json.only_keys(body, ("facility_id", "field", "version", "take"))
    if body.get("version") is None:
        raise InvalidParameter("version", "the version you edited is required", code="version_required")
    row = _store().resolve(
        edit_json.id_text(body, "facility_id"),
        edit_json.id_text(body, "field", required=False),
        user=_user(),
        version=body["version"],
        take=body.get("take"),
    )
    return jsonify(edit_json.facility_doc(row))


# --- imports ------------------------------------------------------------------------------------


@bp.post("/imports")
@auth.require_role("editor")
def create_import():
    """Upload a file (multipart field ``file``; optional ``crs``, ``layer``, ``target``) → 201 with its preview."""
    upload = request.files.get("file")
    if upload is None:
        raise InvalidParameter("file", "no file in the multipart field 'file'", code="file_required")
    catalog = current_catalog()
    atlas = catalog.atlas
    pv = imports.parse_and_preview(
        upload.read(),
        upload.filename or "upload",
        quartiers=atlas["quartiers"],
        existing=atlas["facilities"],
        crs=request.form.get("crs") or None,
        layer=request.form.get("layer") or None,
        target=request.form.get("target") or "facilities",
        settings=current_settings(),
    )
    store = catalog.edit_store()
    import_id = imports.save_preview(store.path, pv, user=_user())
    resp = jsonify(edit_json.import_doc(imports.load_import(store.path, import_id)))
    resp.status_code = 201
    resp.headers["Location"] = url_for("edit_api.get_import", import_id=import_id)
    return resp


@bp.get("/imports")
@auth.require_role("editor")
def list_imports():
    """The latest imports (summaries), newest first."""
    found = imports.list_imports(_store().path, limit=params.integer("limit", 50, maximum=1000) or 50)
    return jsonify({"imports": found})


@bp.get("/imports/<import_id>")
@auth.require_role("editor")
def get_import(import_id: str):
    """One import's preview: rows to add, probable duplicates, per-row errors, status."""
    return jsonify(edit_json.import_doc(imports.load_import(_store().path, import_id)))


@bp.post("/imports/<import_id>/commit")
@auth.require_role("editor")
def commit_import(import_id: str):
    """Create the import's facilities, all or none: ``{include_duplicates?}`` → ``{added, ids}`` (its uploader or an admin)."""
    body = edit_json.json_body(optional=True)
    edit_json.only_keys(body, ("include_duplicates",))
    admin = auth.current_user().has_role("admin")
    ids = imports.commit(
        import_id, _store(), _user(), include_duplicates=edit_json.flag(body, "include_duplicates"), admin=admin
    )
    return jsonify({"id": import_id, "added": len(ids), "ids": ids})


@bp.delete("/imports/<import_id>")
@auth.require_role("editor")
def discard_import(import_id: str):
    """Abandon a previewed import (kept for the record); its uploader or an admin."""
    imports.discard(_store().path, import_id, _user(), admin=auth.current_user().has_role("admin"))
    return jsonify({"id": import_id, "status": "discarded"})


# --- OpenAPI ------------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.0 document of /api/v1 (download and editing routes)."""
    snap = snapshot()
    version = str(snap.atlas.meta.get("package_version") or "0")
    doc = snap.memo("api:openapi", lambda: api_openapi.document(version=version))
    resp = jsonify({**doc, "servers": [{"url": request.host_url.rstrip("/") + request.script_root + bp.url_prefix}]})
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp
