"""The change log of planner edits: one row per change, filters, and a spreadsheet-safe CSV export.

Each change records who, when (UTC, ISO 8601 with microseconds and ``Z``),
the action, the facility, the facility's state before and after (JSON), the
fields that changed, the reason, and the import it came from. Changes made by
one call (a merge touches two facilities) share an ``op`` id; a revert names
the change it reverts.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from geo.errors import InvalidParameter

SCHEMA = """
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    op TEXT NOT NULL,
    at TEXT NOT NULL,
    user_name TEXT NOT NULL,
    action TEXT NOT NULL,
    facility_id TEXT NOT NULL,
    related_id TEXT,
    reason TEXT NOT NULL DEFAULT '',
    import_id TEXT,
    reverts INTEGER REFERENCES changes(id),
    version_before INTEGER,
    version_after INTEGER NOT NULL,
    changed TEXT NOT NULL,
    before TEXT,
    after TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_facility ON changes (facility_id);
CREATE INDEX IF NOT EXISTS changes_related ON changes (related_id);
CREATE INDEX IF NOT EXISTS changes_user ON changes (user_name);
CREATE INDEX IF NOT EXISTS changes_at ON changes (at);
CREATE INDEX IF NOT EXISTS changes_import ON changes (import_id);
CREATE INDEX IF NOT EXISTS changes_op ON changes (op);
"""

#: Actions a change can record.
ACTIONS = ("create", "update", "move", "retire", "merge", "revert", "resolve")
#: Columns of the CSV export, in order.
CSV_COLUMNS = (
    "id",
    "at",
    "user",
    "action",
    "facility_id",
    "facility_name",
    "related_id",
    "version_before",
    "version_after",
    "reason",
    "import_id",
    "reverts",
    "changed",
    "before",
    "after",
)
#: Maximum page size of :func:`query`.
MAX_LIMIT = 10_000
# A spreadsheet evaluates a cell starting with one of these as a formula (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_INSERT = (
    "INSERT INTO changes (op, at, user_name, action, facility_id, related_id, reason, import_id, reverts,"
    " version_before, version_after, changed, before, after) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


def utc_now() -> str:
    """Return the current time as the log stores it, e.g. ``2026-11-29T10:39:00.123456Z``."""
    return _format(datetime.now(UTC))


def _format(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def as_utc(value: str | date | datetime, *, field: str, end: bool = False) -> str:
    """Return a filter bound in the stored format.

    A date (or ``YYYY-MM-DD`` text) means midnight UTC of that day; with
    ``end=True`` it means the following midnight, so ``until=date`` includes
    the whole day. A naive datetime is taken as UTC.
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise InvalidParameter(
                field, f"expected an ISO date or date-time, got {value!r}", code="bad_date"
            ) from None
    if isinstance(value, datetime):
        return _format(value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, date):
        day = value + timedelta(days=1) if end else value
        return _format(datetime.combine(day, time(0), tzinfo=UTC))
    raise InvalidParameter(field, f"expected a date, got {type(value).__name__}", code="bad_date")


def record(conn: sqlite3.Connection, changes: Iterable[Mapping[str, Any]]) -> None:
    """Insert ``changes`` (inside the caller's transaction) with one ``executemany``.

    Each mapping has the keys ``op, at, user, action, facility_id, related_id,
    reason, import_id, reverts, version_before, version_after, changed (list),
    before (dict or None), after (dict)``.
    """
    conn.executemany(
        _INSERT,
        (
            (
                c["op"],
                c["at"],
                c["user"],
                c["action"],
                c["facility_id"],
                c.get("related_id"),
                c.get("reason", ""),
                c.get("import_id"),
                c.get("reverts"),
                c.get("version_before"),
                c["version_after"],
                json.dumps(list(c["changed"]), ensure_ascii=False),
                None if c.get("before") is None else json.dumps(c["before"], ensure_ascii=False),
                json.dumps(c["after"], ensure_ascii=False),
            )
            for c in changes
        ),
    )


def flatten(state: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Return a stored facility state as one flat row: columns, lon, lat, status, retired_reason, version."""
    if state is None:
        return None
    return {
        **state["row"],
        "status": state["status"],
        "retired_reason": state.get("reason", ""),
        "version": state["version"],
    }


def changed_fields(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    """Return the flat-row keys whose value differs between two states (all set keys for a creation)."""
    old, new = flatten(before) or {}, flatten(after) or {}
    keys = [k for k in new if k != "version" and old.get(k) != new.get(k)]
    return [k for k in keys if before is not None or new.get(k) not in (None, "")]


def _decode(row: sqlite3.Row, *, flat: bool) -> dict[str, Any]:
    out = dict(row)
    out["user"] = out.pop("user_name")
    out["changed"] = json.loads(out["changed"])
    before = None if out["before"] is None else json.loads(out["before"])
    after = json.loads(out["after"])
    out["before"], out["after"] = (flatten(before), flatten(after)) if flat else (before, after)
    return out


def get(conn: sqlite3.Connection, change_id: int) -> dict[str, Any] | None:
    """Return one change with its raw before/after states (for a revert), or None."""
    if not 0 < int(change_id) < 2**63:  # SQLite's integers: a larger id cannot exist (and cannot be bound)
        return None
    row = conn.execute("SELECT * FROM changes WHERE id = ?", (int(change_id),)).fetchone()
    return None if row is None else _decode(row, flat=False)


def in_op(conn: sqlite3.Connection, op: str) -> list[dict[str, Any]]:
    """Return every change of one operation with raw states, oldest first."""
    return [_decode(r, flat=False) for r in conn.execute("SELECT * FROM changes WHERE op = ? ORDER BY id", (op,))]


#: Filters of :func:`query`: name → SQL condition on one bound value (the facility matches either side of a merge).
_FILTERS: dict[str, str] = {
    "facility_id": "(facility_id = :facility_id OR related_id = :facility_id)",
    "user": "user_name = :user",
    "action": "action = :action",
    "import_id": "import_id = :import_id",
    "since": "at >= :since",
    "until": "at < :until",
}


def query(
    conn: sqlite3.Connection,
    *,
    facility_id: str | None = None,
    user: str | None = None,
    action: str | None = None,
    import_id: str | None = None,
    since: str | date | datetime | None = None,
    until: str | date | datetime | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Return changes matching every given filter, newest first, with flat before/after rows.

    ``since`` is inclusive, ``until`` exclusive (a date ``until`` includes its
    whole day). ``limit=None`` returns everything (the CSV export).
    """
    if action is not None and action not in ACTIONS:
        raise InvalidParameter(
            "action", f"unknown action {action!r}; allowed: {', '.join(ACTIONS)}", code="unknown_action"
        )
    values: dict[str, Any] = {
        "facility_id": facility_id,
        "user": user,
        "action": action,
        "import_id": import_id,
        "since": None if since is None else as_utc(since, field="since"),
        "until": None if until is None else as_utc(until, field="until", end=True),
    }
    bound = {k: v for k, v in values.items() if v is not None}
    where = " AND ".join(_FILTERS[k] for k in bound) or "1"
    if limit is not None and not 1 <= int(limit) <= MAX_LIMIT:
        raise InvalidParameter("limit", f"between 1 and {MAX_LIMIT}", code="out_of_range")
    if int(offset) < 0:
        raise InvalidParameter("offset", "must be 0 or more", code="out_of_range")
    bound["limit"] = -1 if limit is None else int(limit)
    bound["offset"] = int(offset)
    sql = f"SELECT * FROM changes WHERE {where} ORDER BY id DESC LIMIT :limit OFFSET :offset"
    return [_decode(r, flat=True) for r in conn.execute(sql, bound)]


def safe_cell(value: Any) -> str:
    """Return ``value`` as CSV text a spreadsheet shows as text, never evaluates as a formula."""
    text = "" if value is None else str(value)
    if text.lstrip(" ").startswith(_FORMULA_START):
        return "'" + text
    return text


def _changed_values(snapshot: Mapping[str, Any] | None, fields: list[str]) -> str:
    if snapshot is None:
        return ""
    picked = {f: snapshot.get(f) for f in fields}
    return json.dumps(picked, ensure_ascii=False, sort_keys=True)


def history_csv(changes: Iterable[Mapping[str, Any]]) -> str:
    """Return ``changes`` (as from :func:`query`) as CSV text, one row per change.

    ``before`` and ``after`` hold JSON of the changed fields only. Every cell
    is guarded against formula injection: a cell that would start with ``=``,
    ``+``, ``-``, ``@``, a tab or a line break gets a leading apostrophe.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for c in changes:
        after = c.get("after") or {}
        before = c.get("before") or {}
        changed = list(c.get("changed") or [])
        cells = {
            **{k: c.get(k) for k in CSV_COLUMNS},
            "facility_name": after.get("name") or before.get("name") or "",
            "changed": ";".join(changed),
            "before": _changed_values(c.get("before"), changed),
            "after": _changed_values(c.get("after"), changed),
        }
        writer.writerow([safe_cell(cells[k]) for k in CSV_COLUMNS])
    return buffer.getvalue()
