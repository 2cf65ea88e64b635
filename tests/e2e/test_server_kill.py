"""Nothing lost: SIGKILL the server in the middle of committing a large import.

The store must be exactly as before (same facilities, same history, readable,
no partial rows), the import still uncommitted, and a retry on a restarted
server must add every row.
"""

from __future__ import annotations

import csv
import io
import json
import signal
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import X0, Y0, tiny_layers
from tests.e2e.conftest import add_planners, start_server, stop_server

ROWS = 50_000
pytestmark = pytest.mark.integration


def big_csv(n: int) -> bytes:
    """Return a CSV of ``n`` schools at random points inside the tiny atlas's quartiers."""
    from pyproj import Transformer

    rng = np.random.default_rng(7)
    x = X0 + rng.uniform(50, 2950, n)
    y = Y0 + rng.uniform(50, 950, n)
    lon, lat = Transformer.from_crs(32629, 4326, always_xy=True).transform(x, y)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "kind", "lat", "lon"])
    for i in range(n):
        writer.writerow([f"École test {i}", "school", f"{lat[i]:.6f}", f"{lon[i]:.6f}"])
    return out.getvalue().encode()


def request(url: str, token: str, *, data: bytes | None = None, content_type: str | None = None, timeout=120):
    headers = {"Authorization": f"Bearer {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    req = urllib.request.Request(url, data=data, headers=headers, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


def multipart(filename: str, payload: bytes) -> tuple[bytes, str]:
    boundary = "----bamako-atlas-test"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def snapshot(db: Path) -> dict:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in ("facility_state", "changes")
        } | {"stamp": con.execute("SELECT value FROM meta WHERE key = 'stamp'").fetchone()[0]}
    finally:
        con.close()


@pytest.mark.gpkg_only("the kill is timed on the growth of SQLite's write-ahead log of edits.sqlite")
def test_sigkill_during_a_large_import_commit_loses_nothing(tmp_path):
    from geo.planning import accounts
    from geo.store import write_store

    store = write_store(tmp_path / "atlas.gpkg", tiny_layers(), {"build_id": "kill-test"})
    db = add_planners(store)
    token = accounts.issue_token(db, "awa")
    server = start_server(store, tmp_path / "server.log")
    try:
        body, ctype = multipart("big.csv", big_csv(ROWS))
        preview = request(f"{server.base_url}/api/v1/imports", token, data=body, content_type=ctype)
        assert len(preview["rows_to_add"]) == ROWS and not preview["errors"]
        import_id = preview["id"]
        before = snapshot(db)
        wal = db.with_name(db.name + "-wal")
        wal_before = wal.stat().st_size if wal.exists() else 0

        outcome: dict = {}

        def commit():
            try:
                outcome["answer"] = request(f"{server.base_url}/api/v1/imports/{import_id}/commit", token, data=b"{}",
                                            content_type="application/json")  # fmt: skip
            except (urllib.error.URLError, ConnectionError, OSError) as exc:
                outcome["error"] = exc

        thread = threading.Thread(target=commit)
        thread.start()
        deadline = time.monotonic() + 30
        # Kill once the commit's transaction has started writing (the WAL grows).
        while time.monotonic() < deadline and (wal.stat().st_size if wal.exists() else 0) <= wal_before + 1_000_000:
            time.sleep(0.01)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        thread.join(timeout=30)
        assert "answer" not in outcome, "the commit finished before the kill: make the import larger"
        assert snapshot(db) == before  # exactly as before: no partial rows, readable
    finally:
        if server.process.poll() is None:
            stop_server(server)
        else:
            server.process.stdout.close()

    # A restarted server commits the same import in full.
    server = start_server(store, tmp_path / "server2.log")
    try:
        answer = request(f"{server.base_url}/api/v1/imports/{import_id}/commit", token, data=b"{}",
                         content_type="application/json")  # fmt: skip
        assert answer["added"] == ROWS
        assert snapshot(db)["facility_state"] == before["facility_state"] + ROWS
    finally:
        stop_server(server)
