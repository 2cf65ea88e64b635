"""A consistent copy of the atlas database in PostgreSQL: its layers and the planners' tables, with ``pg_dump``.

``pg_dump`` reads every table inside one repeatable-read transaction, so a change the servers save during the
copy is in it whole or not at all. The copy is one file in ``pg_dump``'s custom format, restored with
``pg_restore`` into a fresh database (:data:`RESTORE_HINT`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from geo.errors import StoreError
from geo.integrity import create_private
from geo.postgis import connect, redact

#: How to restore a copy, for messages and the README.
RESTORE_HINT = "createdb NEW && pg_restore --no-owner --exit-on-error --dbname postgresql://…/NEW FILE"
#: Debian's package with ``pg_dump`` and ``pg_restore``.
CLIENT_PACKAGE = "postgresql-client"


def _client_args(url: str) -> tuple[list[str], dict[str, str]]:
    """Return ``pg_dump``'s connection argument and environment: the password goes in the environment, not argv."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    password = params.pop("password", None)
    env = {**os.environ, **({"PGPASSWORD": str(password)} if password is not None else {})}
    return ["--dbname", make_conninfo(**params)], env


def dump(url: str, dest_dir: Path | str, *, pg_dump: str | None = None) -> Path:
    """Copy the database at ``url`` into ``dest_dir`` as ``atlas-<UTC time>.pgdump``; return the copy's path.

    The copy holds the whole database (schema ``atlas`` and the planners' edits, history, accounts, imports and
    road layers), read in one snapshot by ``pg_dump --format=custom``. It is readable by its owner only (password
    hashes, tokens) and appears under its name only once complete. StoreError names the problem when ``pg_dump``
    is missing, the database cannot be reached or ``pg_dump`` fails.
    """
    program = pg_dump or shutil.which("pg_dump")
    if program is None or not Path(program).exists():
        raise StoreError(f"pg_dump not found: install PostgreSQL's client programs (Debian: {CLIENT_PACKAGE})")
    with connect(url):  # a clear "cannot connect" before pg_dump's own message
        pass
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    final = dest_dir / f"atlas-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%fZ')}.pgdump"
    partial = dest_dir / f".{final.name}.partial"
    args, env = _client_args(url)
    try:
        create_private(partial)
        with partial.open("wb") as out:
            done = subprocess.run(
                [program, "--format=custom", "--no-password", *args], stdout=out, stderr=subprocess.PIPE, env=env
            )
            out.flush()
            os.fsync(out.fileno())
        if done.returncode != 0:
            problem = done.stderr.decode(errors="replace").strip().replace(url, redact(url))
            raise StoreError(f"pg_dump could not copy {redact(url)}: {problem}")
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return final
