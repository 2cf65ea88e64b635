"""The history of planners' changes: the ``/history`` page, admin revert, and each facility page's "Historique".

Signed-in users (any role) read the history; an admin may revert any change
(``POST /history/<id>/revert`` with the session's CSRF token), which is itself
recorded and can be reverted in turn. The JSON twin and the CSV export live in
:mod:`webmap.views.edit_api` (``/api/v1/history``, ``/api/v1/history.csv``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from geo import vocabulary
from geo.planning.edits.pg import database_exists
from geo.publication import phrases
from webmap import auth, edit_messages, params
from webmap.catalog import current_catalog
from webmap.clientconfig.map import language, source_label
from webmap.edit_json import history_filters

bp = Blueprint("history", __name__)

#: Changes per page of /history, and on a facility page.
PAGE_SIZE = 50
FACILITY_PAGE_SIZE = 20
#: Largest offset of the page (as in the JSON API).
OFFSET_MAX = 2**31
#: Filters of the page (query parameters), as in the JSON API.
FILTERS = ("facility", "user", "since", "until", "action")


def _value(field: str, value: Any) -> str:
    """Return a field's value as planners read it: controlled values and build notes translated, counts bare."""
    if value is None or value == "":
        return "—"
    if field in ("lon", "lat") and isinstance(value, float):
        return f"{value:.6f}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if field in ("note", "note_fr", "source_refs", "retired_reason", "reason"):
        return phrases.translate(value, language())
    if field == "sources":
        return " ; ".join(source_label(s) for s in str(value).split(";") if s)
    return vocabulary.value_label(field, value, language())


def display_rows(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return changes ready for a table: time, labels, and (field, before, after) for each changed field."""
    rows = []
    for c in changes:
        before, after = c.get("before") or {}, c.get("after") or {}
        diffs = [
            (edit_messages.field_label(f), _value(f, before.get(f)) if c.get("before") else "", _value(f, after.get(f)))
            for f in c.get("changed") or []
        ]
        rows.append(
            {
                **c,
                "when": f"{c['at'][:10]} {c['at'][11:16]} UTC",
                "action_label": edit_messages.action_label(c["action"]),
                "facility_name": after.get("name") or before.get("name") or "",
                "reason": phrases.translate(c.get("reason"), language()),
                "diffs": diffs,
            }
        )
    return rows


def facility_history(facility_id: str) -> list[dict[str, Any]] | None:
    """Return the latest changes of a facility for its page, or None when nobody is signed in."""
    user = auth.current_user()
    if user is None or not user.has_role("viewer"):
        return None
    catalog = current_catalog()
    if catalog.edits_path is None or not database_exists(catalog.edits_path):
        return []
    return display_rows(catalog.edit_store().history(facility_id=facility_id, limit=FACILITY_PAGE_SIZE))


@bp.get("/history")
@auth.require_role("viewer", login_page=True)
def page():
    """Every recorded change, newest first, filtered by facility, user, dates and action."""
    offset_n = params.integer("offset", 0, maximum=OFFSET_MAX)
    changes = current_catalog().edit_store().history(**history_filters(), limit=PAGE_SIZE + 1, offset=offset_n)
    args = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    resp = make_response(
        render_template(
            "history.html",
            changes=display_rows(changes[:PAGE_SIZE]),
            filters=args,
            actions=[(a, edit_messages.action_label(a)) for a in edit_messages.ACTION_LABELS],
            csv_url=url_for("edit_api.history_csv", **args),
            json_url=url_for("edit_api.history", **args),
            newer_url=url_for("history.page", **args, offset=max(offset_n - PAGE_SIZE, 0)) if offset_n else None,
            older_url=url_for("history.page", **args, offset=offset_n + PAGE_SIZE)
            if len(changes) > PAGE_SIZE
            else None,
            can_revert=auth.current_user().has_role("admin"),
        )
    )
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/history/<int:change_id>/revert")
@auth.require_role("admin")
def revert(change_id: int):
    """Undo a change (admin), record the revert, and go back to the history page."""
    store = current_catalog().edit_store()
    row = store.revert(change_id, user=auth.current_user().name, reason=request.form.get("reason", ""))
    flash(_("Modification n° %(id)s annulée (équipement « %(name)s »).", id=change_id, name=row.get("name", "")))
    return redirect(auth.safe_next(request.form.get("next"), url_for("history.page")), code=303)


def retirement(facility_id: str) -> dict[str, Any] | None:
    """Return the change that retired ``facility_id`` (display-ready), or None if it was never retired here.

    Public: a link followed from /history or an old bookmark explains the missing
    page; the reason is shown to signed-in users only (planners wrote it for each other).
    """
    catalog = current_catalog()
    if catalog.edits_path is None or not database_exists(catalog.edits_path):
        return None
    latest = catalog.edit_store().history(facility_id=facility_id, limit=1)
    if not latest or latest[0]["action"] != "retire":
        return None
    row = display_rows(latest)[0]
    user = auth.current_user()
    return {**row, "reason": row["reason"] if user is not None and user.has_role("viewer") else None}
