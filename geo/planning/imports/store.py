"""The ``imports`` table: previews kept until a planner commits or discards them.

One row per uploaded file (in ``<home>/edits.sqlite``, see
:mod:`geo.planning.edits.db`): who uploaded it and when, its status
(``previewed`` → ``committed`` or ``discarded``), the rows to add, the probable
duplicates and the errors (JSON), the summary, and after a commit the ids of
the facilities created.

A commit hands the rows to :meth:`geo.planning.edits.EditStore.apply_rows`, which
writes all of them or none in one transaction. The status changes only after
that transaction has committed, so a process killed in the middle leaves the
import ``previewed`` and the facilities untouched. Two commits of one import
cannot both run: the first *claims* the row (``claimed_by``/``claimed_at``, a
lease that ends with the claiming process), and a commit finding facilities
already created under the import id repairs the status instead of importing
twice.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo.errors import ImportNotFound, InvalidParameter, PermissionDenied
from geo.planning.edits.db import connect, transaction
from geo.planning.imports import roads
from geo.planning.imports.preview import Preview

if TYPE_CHECKING:
    from geo.planning.edits import EditStore

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS imports (
    id TEXT PRIMARY KEY,
    "user" TEXT NOT NULL,
    filename TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('previewed', 'committed', 'discarded')),
    format TEXT NOT NULL,
    rows TEXT NOT NULL,
    duplicates TEXT NOT NULL,
    errors TEXT NOT NULL,
    summary TEXT NOT NULL,
    decided_at TEXT,
    decided_by TEXT,
    facility_ids TEXT,
    claimed_by TEXT,
    claimed_at TEXT
);
CREATE INDEX IF NOT EXISTS imports_user ON imports ("user", created_at);
"""
#: Statuses of an import.
STATUSES = ("previewed", "committed", "discarded")
#: Prefix of import ids.
ID_PREFIX = "imp-"
#: A claim older than this is taken as abandoned even when its process cannot be checked (another host).
CLAIM_LEASE = timedelta(minutes=10)


@dataclass
class ImportRecord:
    """One row of the ``imports`` table, its preview decoded."""

    id: str
    user: str
    filename: str
    created_at: str
    status: str
    preview: Preview
    decided_at: str | None = None
    decided_by: str | None = None
    facility_ids: list[str] | None = None

    def to_dict(self, *, rows: bool = True) -> dict[str, Any]:
        """Return a JSON-ready dict; ``rows=False`` leaves out the rows, duplicates and errors."""
        out = {
            "id": self.id,
            "user": self.user,
            "filename": self.filename,
            "created_at": self.created_at,
            "status": self.status,
            "decided_at": self.decided_at,
            "decided_by": self.decided_by,
            "facility_ids": self.facility_ids,
        }
        out.update(self.preview.to_dict() if rows else self.preview.summary())
        return out


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _open(db_path: Path | str) -> sqlite3.Connection:
    conn = connect(db_path)
    conn.executescript(SCHEMA)
    conn.executescript(roads.SCHEMA)
    return conn


def _user(user: Any) -> str:
    if not isinstance(user, str) or not user.strip():
        raise InvalidParameter("user", "the user making the import is required", code="user_required")
    return user.strip()


def save_preview(db_path: Path | str, preview: Preview, *, user: str) -> str:
    """Store ``preview`` as a new ``previewed`` import by ``user``; return its id (``imp-…``)."""
    user = _user(user)
    import_id = ID_PREFIX + uuid.uuid4().hex[:16]
    conn = _open(db_path)
    try:
        with transaction(conn):
            conn.execute(
                'INSERT INTO imports (id, "user", filename, created_at, status, format, rows, duplicates, errors, '
                "summary) VALUES (?, ?, ?, ?, 'previewed', ?, ?, ?, ?, ?)",
                (
                    import_id,
                    user,
                    preview.filename,
                    _now(),
                    preview.format,
                    json.dumps(preview.to_add, ensure_ascii=False),
                    json.dumps(preview.duplicates, ensure_ascii=False),
                    json.dumps([e.to_dict() for e in preview.errors], ensure_ascii=False),
                    json.dumps(preview.summary(), ensure_ascii=False),
                ),
            )
    finally:
        conn.close()
    log.info("import %s previewed by %s: %s", import_id, user, preview.counts())
    return import_id


def _record(row: sqlite3.Row) -> ImportRecord:
    summary = json.loads(row["summary"])
    preview = Preview.from_dict(
        {
            **summary,
            "to_add": json.loads(row["rows"]),
            "duplicates": json.loads(row["duplicates"]),
            "errors": json.loads(row["errors"]),
        }
    )
    return ImportRecord(
        id=row["id"],
        user=row["user"],
        filename=row["filename"],
        created_at=row["created_at"],
        status=row["status"],
        preview=preview,
        decided_at=row["decided_at"],
        decided_by=row["decided_by"],
        facility_ids=None if row["facility_ids"] is None else json.loads(row["facility_ids"]),
    )


def _fetch(conn: sqlite3.Connection, import_id: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM imports WHERE id = ?", (str(import_id),)).fetchone()
    if row is None:
        raise ImportNotFound(f"no import {import_id!r}")
    return row


def load_import(db_path: Path | str, import_id: str) -> ImportRecord:
    """Return the import ``import_id``; raise ImportNotFound when there is none."""
    conn = _open(db_path)
    try:
        return _record(_fetch(conn, import_id))
    finally:
        conn.close()


def list_imports(
    db_path: Path | str, *, user: str | None = None, status: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Return the summaries (no rows) of the latest imports, newest first, optionally by user and status."""
    if status is not None and status not in STATUSES:
        raise InvalidParameter("status", f"unknown status {status!r}; allowed: {', '.join(STATUSES)}")
    if not 1 <= int(limit) <= 1000:
        raise InvalidParameter("limit", "between 1 and 1000", code="out_of_range")
    where, args = [], []
    if user is not None:
        where.append('"user" = ?')
        args.append(user)
    if status is not None:
        where.append("status = ?")
        args.append(status)
    sql = f"SELECT * FROM imports WHERE {' AND '.join(where) or '1'} ORDER BY created_at DESC LIMIT ?"
    conn = _open(db_path)
    try:
        return [_record(r).to_dict(rows=False) for r in conn.execute(sql, (*args, int(limit)))]
    finally:
        conn.close()


def _claimant() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _claim_alive(claimed_by: str | None, claimed_at: str | None) -> bool:
    """Return whether a claim still holds: younger than the lease and, on this host, its process still runs."""
    if not claimed_by or not claimed_at:
        return False
    started = datetime.fromisoformat(claimed_at.replace("Z", "+00:00"))
    if datetime.now(UTC) - started >= CLAIM_LEASE:
        return False
    host, _, pid = claimed_by.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    return True


def _created_ids(conn: sqlite3.Connection, import_id: str) -> list[str]:
    """Return the facilities already created under ``import_id`` (the edit store's change log)."""
    try:
        rows = conn.execute(
            "SELECT facility_id FROM changes WHERE import_id = ? AND action = 'create' ORDER BY id", (import_id,)
        ).fetchall()
    except sqlite3.OperationalError:  # no change log yet: nothing was ever imported
        return []
    return [r[0] for r in rows]


def _decided(import_id: str, row: sqlite3.Row) -> InvalidParameter:
    return InvalidParameter(
        "import",
        f"import {import_id} was already {row['status']} by {row['decided_by']} at {row['decided_at']}",
        code=f"already_{row['status']}",
    )


def check_owner(owner: str, user: str, *, admin: bool) -> None:
    """Raise PermissionDenied unless ``user`` is the import's ``owner`` (who uploaded it) or acts as an admin."""
    if not admin and owner != user:
        raise PermissionDenied(f"this import belongs to {owner}: only they or an admin may commit or discard it")


def _undecided(conn: sqlite3.Connection, import_id: str, user: str, *, admin: bool) -> sqlite3.Row:
    """Return the row of a ``previewed`` import no live process is committing, or raise why it cannot be decided."""
    row = _fetch(conn, import_id)
    check_owner(row["user"], user, admin=admin)
    if row["status"] != "previewed":
        raise _decided(import_id, row)
    if _claim_alive(row["claimed_by"], row["claimed_at"]):
        raise InvalidParameter(
            "import", f"import {import_id} is being committed since {row['claimed_at']}", code="commit_running"
        )
    return row


def _claim(db_path: Path, import_id: str, user: str, *, admin: bool) -> ImportRecord:
    """Claim a ``previewed`` import for this process, or raise why it cannot be committed."""
    conn = _open(db_path)
    try:
        with transaction(conn):
            row = _undecided(conn, import_id, user, admin=admin)
            created = _created_ids(conn, import_id)
            if created:  # a previous commit wrote the rows but died before recording it: repair
                _finish(conn, import_id, "committed", user, created)
                return _record(_fetch(conn, import_id))
            conn.execute(
                "UPDATE imports SET claimed_by = ?, claimed_at = ? WHERE id = ?", (_claimant(), _now(), import_id)
            )
            return _record(row)
    finally:
        conn.close()


def _finish(conn: sqlite3.Connection, import_id: str, status: str, user: str, ids: list[str] | None) -> None:
    conn.execute(
        "UPDATE imports SET status = ?, decided_at = ?, decided_by = ?, facility_ids = ?, claimed_by = NULL, "
        "claimed_at = NULL WHERE id = ?",
        (status, _now(), user, None if ids is None else json.dumps(ids), import_id),
    )


def commit(
    import_id: str, edit_store: EditStore, user: str, *, include_duplicates: bool = False, admin: bool = False
) -> list[str]:
    """Create the facilities of a previewed import, all or none; return their ids in row order.

    A road import (``preview.target == "roads"``) replaces the road layer instead
    (:mod:`geo.planning.imports.roads`) and returns the OSM ids of its ways.

    Parameters
    ----------
    import_id
        An import saved by :func:`save_preview` in ``edit_store``'s database.
    edit_store
        The :class:`geo.planning.edits.EditStore` (its ``path`` holds the ``imports`` table).
    user
        Who commits (recorded in the history and on the import).
    include_duplicates
        Also create the rows listed as probable duplicates.
    admin
        ``user`` is an admin: may commit anyone's import (an editor only their own).

    Raises
    ------
    PermissionDenied
        ``user`` neither uploaded the import nor is an admin.
    InvalidParameter
        ``already_committed`` / ``already_discarded``, ``commit_running``, or a
        row refused by the edit store (nothing is then written).
    ImportNotFound
        No such import.
    """
    user = _user(user)
    db_path = edit_store.path  # a file path, or a PostgreSQL URL
    record = _claim(db_path, import_id, user, admin=admin)
    if record.status == "committed":  # repaired above: the rows were already there
        raise InvalidParameter(
            "import",
            f"import {import_id} was already committed ({len(record.facility_ids or [])} facilities)",
            code="already_committed",
        )
    if record.preview.target == "roads":
        return _commit_roads(db_path, record, user)
    rows = record.preview.to_add + ([d["row"] for d in record.preview.duplicates] if include_duplicates else [])
    conn = _open(db_path)
    try:
        try:
            ids = edit_store.apply_rows(rows, user=user, import_id=import_id)
        except BaseException:
            with transaction(conn):
                conn.execute("UPDATE imports SET claimed_by = NULL, claimed_at = NULL WHERE id = ?", (import_id,))
            raise
        with transaction(conn):
            _finish(conn, import_id, "committed", user, ids)
    finally:
        conn.close()
    log.info("import %s committed by %s: %d facilities", import_id, user, len(ids))
    return ids


def _commit_roads(db_path: Path, record: ImportRecord, user: str) -> list[str]:
    """Make the import's ways the road layer and mark it committed, in one transaction; return the ways' OSM ids.

    One transaction for both, so a killed process leaves the import ``previewed`` and the previous layer whole.
    """
    refs = [str(r["line"]) for r in record.preview.to_add]
    conn = _open(db_path)
    try:
        try:
            with transaction(conn):
                roads.write_road_layer(
                    conn, record.id, record.preview.to_add, filename=record.filename, user=user, at=_now()
                )
                _finish(conn, record.id, "committed", user, refs)
        except BaseException:
            with transaction(conn):
                conn.execute("UPDATE imports SET claimed_by = NULL, claimed_at = NULL WHERE id = ?", (record.id,))
            raise
    finally:
        conn.close()
    log.info("import %s committed by %s: road layer of %d ways", record.id, user, len(record.preview.to_add))
    return refs


def discard(db_path: Path | str, import_id: str, user: str, *, admin: bool = False) -> None:
    """Mark a previewed import ``discarded`` (its preview is kept for the record).

    Only the user who uploaded it may discard it, or an admin (``admin=True``):
    anyone else gets PermissionDenied.
    """
    user = _user(user)
    conn = _open(db_path)
    try:
        with transaction(conn):
            _undecided(conn, import_id, user, admin=admin)
            _finish(conn, import_id, "discarded", user, None)
    finally:
        conn.close()
    log.info("import %s discarded by %s", import_id, user)
