"""Two ``bamako-atlas serve`` processes (two hosts) on one PostGIS: edits shared, a race settled by one 409."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from geo.planning import accounts
from geo.store import PostgisStore, open_store

pytestmark = pytest.mark.postgis
ROOT = Path(__file__).resolve().parents[2]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(method: str, url: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture
def servers(pg_url, tiny_store, tmp_path):
    """Start two servers on one database, each with its own home; yield their base URLs."""
    atlas = open_store(tiny_store)
    PostgisStore(pg_url).write(atlas.layers, {k: v for k, v in atlas.meta.items() if k != "schema_version"}, tables={})
    accounts.create_user(pg_url, "awa", "editor", "correct horse battery")
    procs, urls = [], []
    for name in ("one", "two"):
        home, port = tmp_path / name, _port()
        home.mkdir()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "BAMAKO_ATLAS_HOME": str(home),
            "BAMAKO_ATLAS_DATABASE": pg_url,
            "BAMAKO_ATLAS_SECRET_KEY": "s" * 40,  # the same on every host, as README says
        }
        cmd = [sys.executable, "-m", "webmap.cli", "serve", "--port", str(port)]
        procs.append(subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, proc in zip(urls, procs, strict=True):
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, proc.stderr.read().decode()
                try:
                    if _call("GET", url + "/api/v1/layers")[0] == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.3)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)


def test_two_servers_share_edits_and_a_race_has_one_winner(servers, pg_url):
    one, two = servers
    token = accounts.issue_token(pg_url, "awa")
    facility = "/api/v1/facilities/dnacpn-01"
    status, saved = _call("PATCH", one + facility, {"version": 1, "name": "ASACOFA II"}, token)
    assert status == 200 and saved["version"] == 2
    status, layer = _call("GET", two + "/api/v1/layers/cscom.geojson")
    assert layer["features"][0]["properties"]["name"] == "ASACOFA II"  # the other host's very next request

    results = []
    barrier = threading.Barrier(2)

    def save(base: str, beds: int) -> None:
        barrier.wait()
        results.append(_call("PATCH", base + facility, {"version": 2, "beds": beds}, token)[0])

    threads = [threading.Thread(target=save, args=(base, beds)) for base, beds in ((one, 10), (two, 12))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == [200, 409]
    versions = {_call("GET", base + facility, token=token)[1]["version"] for base in (one, two)}
    assert versions == {3}
