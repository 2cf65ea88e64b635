"""The planners' SQLite database: path and connection settings shared by every owner module.

One file, ``<home>/edits.sqlite``, holds the tables of ``geo.planning.edits``
(``facility_state``, ``changes``, ``meta``), ``geo.planning.accounts`` (``users``,
``tokens``, ``login_attempts``) and ``geo.planning.imports`` (``imports``). Each module
creates its own tables with ``CREATE TABLE IF NOT EXISTS`` on a connection from
:func:`connect`.

Connections are in autocommit mode (``isolation_level=None``): nothing is
wrapped in an implicit transaction, so every write goes through
:func:`transaction`, which issues ``BEGIN IMMEDIATE`` (the write lock is taken
before the first read, so a read-modify-write cannot interleave with another
writer) and commits or rolls back as one unit.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from geo.integrity import check_header, create_private, open_read_only, writable
from geo.planning.edits.pg import PgConnection, is_url
from geo.settings import Settings, resolve

log = logging.getLogger(__name__)

#: File name of the database inside the data home.
EDITS_FILENAME = "edits.sqlite"
#: Milliseconds a connection waits for another writer's lock before failing.
BUSY_TIMEOUT_MS = 5000
#: What to do about an edits database that cannot be used (said in every such error).
REMEDY = "restore it from a backup (bamako-atlas data backup) or move it away to start with no accounts or edits"


def edits_path(settings: Settings | Mapping[str, Any] | None = None) -> Path | str:
    """Return the planners' database: the ``DATABASE`` URL when set (PostgreSQL), else ``<home>/edits.sqlite``.

    The home folder is created if needed.
    """
    settings = resolve(settings)
    if is_url(settings["DATABASE"]):
        return settings["DATABASE"]
    return settings.home_dir() / EDITS_FILENAME


def connect(path: Path | str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """Open the database at ``path`` configured for concurrent, durable use (a ``postgresql://`` URL: PostgreSQL).

    WAL journal (readers never block the writer, several processes see each
    other's commits at once), ``synchronous=FULL`` (a committed change survives
    a crash of the process or the machine), foreign keys on, a busy timeout,
    rows as :class:`sqlite3.Row` and autocommit mode (use :func:`transaction`
    for every write).

    Parameters
    ----------
    path
        Database file; its folder must exist. Created (mode 0600) when missing;
        an existing file that is empty or not SQLite raises ``StoreError``
        instead of being taken for a new database.
    busy_timeout_ms
        How long to wait for another connection's write lock.
    """
    if is_url(path):
        return PgConnection(path)
    path = Path(path)
    created = create_private(path)
    if not created:
        check_header(path, remedy=REMEDY)
    conn = None
    try:
        conn = sqlite3.connect(
            str(path),
            timeout=busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=True,
        )
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode = WAL")  # writes the header of a new file
    except sqlite3.OperationalError:
        if conn is not None:
            conn.close()
        if created and path.stat().st_size == 0:  # e.g. a full disk: leave no empty file to be refused later
            path.unlink(missing_ok=True)
        if writable(path.parent):
            raise
        return _read_only(path, busy_timeout_ms)
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _read_only(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    """Open ``path`` in a folder nobody may write to: reads work, every write fails (``query_only``)."""
    log.debug("%s is in a read-only folder: opened for reading only", path)
    conn = open_read_only(path, timeout_s=busy_timeout_ms / 1000)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA query_only = ON")
    return conn


def is_read_only(conn: sqlite3.Connection) -> bool:
    """Return True for a connection opened by :func:`connect` in a read-only folder (never for PostgreSQL)."""
    if not isinstance(conn, sqlite3.Connection):
        return False
    return bool(conn.execute("PRAGMA query_only").fetchone()[0])


@contextmanager
def transaction(conn: sqlite3.Connection, *, immediate: bool = True) -> Iterator[sqlite3.Connection]:
    """Run the block in one transaction: commit on success, roll back on any exception.

    ``immediate=True`` (``BEGIN IMMEDIATE``) takes the write lock at once, which
    every read-modify-write needs; ``immediate=False`` (``BEGIN``) gives a
    consistent read snapshot.
    """
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def backup(path: Path | str, dest_dir: Path | str) -> Path:
    """Write a consistent copy of the database at ``path`` into ``dest_dir``; return the copy's path.

    SQLite's online backup API copies every page in one step, inside one read
    snapshot, so the copy is consistent while other connections (other server
    workers) keep writing. The copy is one self-contained file (rollback
    journal, no ``-wal``) named ``edits-<UTC time>.sqlite``; it appears under
    that name only once complete.
    """
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    name = f"edits-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}.sqlite"
    final, partial = dest_dir / name, dest_dir / f".{name}.partial"
    source = connect(path)
    try:
        create_private(partial)  # hashes, tokens and addresses: readable by the owner only
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    log.info("edit database %s backed up to %s", path, final)
    return final
