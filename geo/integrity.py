"""Start-up checks of the atlas' SQLite files (the store and ``edits.sqlite``) and private file creation.

SQLite takes an empty file for a new, empty database, so a 0-byte
``edits.sqlite`` left by a full disk or a bad copy would silently become a
fresh database with every account and edit gone. These checks refuse such a
file, a file that is not SQLite, and one whose pages fail ``PRAGMA
quick_check``, with one message naming the file and what to do.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from pathlib import Path

from geo.errors import StoreError

#: The first 16 bytes of every SQLite database.
SQLITE_HEADER = b"SQLite format 3\x00"
#: A file this young and still empty may be one another process is creating right now.
_CREATING_GRACE_S = 2.0


def check_header(path: Path, *, remedy: str) -> None:
    """Raise ``StoreError`` if the existing file ``path`` is empty or not an SQLite database."""
    deadline = time.monotonic() + _CREATING_GRACE_S
    while True:
        try:
            with open(path, "rb") as f:
                head = f.read(len(SQLITE_HEADER))
            age_s = time.time() - path.stat().st_mtime
        except OSError as exc:
            raise StoreError(f"{path}: cannot be read ({exc.strerror}); {remedy}") from None
        if head or age_s > _CREATING_GRACE_S or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if not head:
        raise StoreError(f"{path} is empty (0 bytes), not a database; {remedy}")
    if head != SQLITE_HEADER:
        raise StoreError(f"{path} is not an SQLite database; {remedy}")


def check_database(path: Path, *, remedy: str) -> None:
    """Raise ``StoreError`` if the existing database ``path`` is empty, foreign or fails ``PRAGMA quick_check``.

    A missing file passes: creating it is the caller's business.
    """
    path = Path(path)
    if not path.exists():
        return
    check_header(path, remedy=remedy)
    try:
        con = open_read_only(path)
        try:
            result = [row[0] for row in con.execute("PRAGMA quick_check(3)")]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is corrupt ({exc}); {remedy}") from None
    if result != ["ok"]:
        found = "; ".join(" ".join(r.replace("*** in database main ***", "").split()) for r in result)
        raise StoreError(f"{path} is corrupt (quick_check: {found}); {remedy}")


def open_read_only(path: Path, *, timeout_s: float = 5.0) -> sqlite3.Connection:
    """Open the existing database ``path`` for reading only, even in a folder nobody may write to.

    A WAL database needs its ``-shm`` file, which a read-only folder cannot
    hold; then the file is opened ``immutable`` (nothing can change it anyway).
    """
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout_s, isolation_level=None)
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return con
    except sqlite3.OperationalError:
        if writable(path.parent):
            raise
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, timeout=timeout_s, isolation_level=None)


def writable(folder: Path) -> bool:
    """Return True when a file can be created in ``folder`` (tried for real: root ignores permission bits)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def create_private(path: Path) -> bool:
    """Create ``path`` empty with mode 0600 unless it exists; return True when this call created it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    os.close(fd)
    return True
