"""Hostile GeoPackages against a real server (issue 13, finding 2): refused at once, no worker pinned, no temp file.

Four uploads of a 98 KB GeoPackage whose layer is an endless recursive view
used to pin four request threads at 100 % CPU until restart, each leaving a
temporary file behind. Now each is a 400 within seconds, the server keeps
answering, and its temporary folder is empty afterwards. Imports over their time
budget (IMPORT_SECONDS) are 400 ``import_too_slow`` and leave no reading process behind.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.conftest import tiny_layers
from tests.e2e.conftest import add_planners, start_server, stop_server
from tests.geo.imports.samples import csv_bytes, ll, lying_count_gpkg, recursive_view_gpkg


def upload(base_url: str, token: str, filename: str, payload: bytes) -> tuple[int, dict]:
    boundary = "----bamako-atlas-hostile"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/geopackage+sqlite3\r\n\r\n"
        ).encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )
    req = urllib.request.Request(
        f"{base_url}/api/v1/imports",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def upload_concurrently(base_url: str, token: str, name: str, data: bytes, *, clients: int) -> list[tuple[int, dict]]:
    """Send ``data`` from ``clients`` threads at once; every answer must come within 30 s."""
    answers: list[tuple[int, dict]] = []
    started = time.monotonic()
    threads = [
        threading.Thread(target=lambda: answers.append(upload(base_url, token, name, data))) for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == clients and time.monotonic() - started < 30
    return answers


def test_hostile_geopackages_are_refused_and_the_server_keeps_serving(tmp_path, monkeypatch):
    from geo.planning import accounts
    from geo.store import write_store

    scratch = tmp_path / "server-tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))  # the server's temporary folder
    store = write_store(tmp_path / "atlas.gpkg", tiny_layers(), {"build_id": "hostile-test"})
    token = accounts.issue_token(add_planners(store), "awa")
    evil = recursive_view_gpkg(tmp_path)
    lying = lying_count_gpkg(tmp_path, 60_000, declared=3)
    server = start_server(store, tmp_path / "server.log")
    try:
        answers = upload_concurrently(server.base_url, token, "evil.gpkg", evil, clients=4)
        assert {(status, body["error"]["code"]) for status, body in answers} == {(400, "unsafe_geopackage")}

        probe_started = time.monotonic()
        with urllib.request.urlopen(f"{server.base_url}/api/v1/layers", timeout=10) as resp:
            assert resp.status == 200
        assert time.monotonic() - probe_started < 5

        status, body = upload(server.base_url, token, "lying.gpkg", lying)
        assert (status, body["error"]["code"]) == (400, "too_many_rows")
        assert "60,000 rows" in body["error"]["detail"]
        # Nothing of the imports is left; the one folder multiprocessing keeps for the import fork server's
        # socket (pymp-*, removed when the server exits) holds no file.
        left = [p for p in scratch.iterdir() if not (p.name.startswith("pymp-") and p.is_dir())]
        assert left == [] and [f for p in scratch.glob("pymp-*") for f in p.rglob("*") if f.is_file()] == []
    finally:
        stop_server(server)


def _descendants(pid: int) -> dict[int, int]:
    """Return {pid: parent pid} of every live descendant of ``pid`` (Linux /proc)."""
    found: dict[int, int] = {}
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            for child in map(int, task.read_text().split()):
                found[child] = parent
                todo.append(child)
    return found


def test_imports_over_their_time_budget_are_stopped_and_the_server_keeps_serving(tmp_path, monkeypatch):
    from geo.planning import accounts
    from geo.store import write_store

    scratch = tmp_path / "server-tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setenv("BAMAKO_ATLAS_IMPORT_SECONDS", "0.5")
    store = write_store(tmp_path / "atlas.gpkg", tiny_layers(), {"build_id": "budget-test"})
    token = accounts.issue_token(add_planners(store), "awa")
    lon, lat = ll(500, 500)
    big = csv_bytes([[f"S{i}", "school", f"{lat:.6f}", f"{lon:.6f}"] for i in range(50_000)])
    server = start_server(store, tmp_path / "server.log")
    try:
        answers = upload_concurrently(server.base_url, token, "big.csv", big, clients=3)
        assert {(status, body["error"]["code"]) for status, body in answers} == {(400, "import_too_slow")}
        with urllib.request.urlopen(f"{server.base_url}/api/v1/layers", timeout=10) as resp:
            assert resp.status == 200
        tree = _descendants(server.process.pid)
        fork_servers = {p for p in tree if b"forkserver" in Path(f"/proc/{p}/cmdline").read_bytes()}
        assert fork_servers and [p for p, parent in tree.items() if parent in fork_servers] == []
        left = [p for p in scratch.iterdir() if not (p.name.startswith("pymp-") and p.is_dir())]
        assert left == []
    finally:
        stop_server(server)
