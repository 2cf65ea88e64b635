"""Issue 13, finding 1: slow clients must not take the server (a real ``serve`` on loopback)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.running import serve

pytestmark = pytest.mark.integration
SLOW_CONNECTIONS = 100


@pytest.fixture
def home(tiny_store, tmp_path):
    folder = tmp_path / "home"
    folder.mkdir()
    shutil.copy(tiny_store, folder / "atlas.gpkg")
    return folder


def _probe(base: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(f"{base}/api/v1/layers", timeout=5) as resp:
        assert resp.status == 200
        resp.read()
    return time.perf_counter() - start


def _slow(host: str, port: int) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=5)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # headers never finished
    return sock


def test_100_slow_connections_do_not_block_other_clients(home):
    with serve(home, "--workers", "2", "--threads", "2") as running:
        base = running.url
        _probe(base)
        host, port = base.removeprefix("http://").split(":")
        slow = [_slow(host, int(port)) for _ in range(SLOW_CONNECTIONS)]
        try:
            for _round in range(3):  # keep trickling header lines while probing
                for sock in slow:
                    sock.sendall(b"X-a: b\r\n")
                assert _probe(base) < 2.0
        finally:
            for sock in slow:
                sock.close()


def _cut_after(sock: socket.socket, trickle: bytes) -> float:
    """Trickle ``trickle`` every 0.3 s until the server closes ``sock``; return the seconds it took."""
    start = time.monotonic()
    try:
        while time.monotonic() - start < 10:  # bounded: the deadlines tested are 2 s (+1 s maintenance pass)
            try:
                sock.sendall(trickle)
                sock.settimeout(0.3)
                if sock.recv(1) == b"":
                    return time.monotonic() - start
            except TimeoutError:
                continue
            except OSError:
                return time.monotonic() - start
    finally:
        sock.close()
    raise AssertionError("the server kept the trickling connection open for 10 s")


def test_trickling_headers_are_cut_at_the_header_deadline(home):
    with serve(home, "--workers", "1", "--header-timeout", "2") as running:
        base = running.url
        host, port = base.removeprefix("http://").split(":")
        assert 1.5 < _cut_after(_slow(host, int(port)), b"X-a: b\r\n") < 6


def test_trickling_body_is_cut_at_the_body_deadline(home):
    with serve(home, "--workers", "1", "--body-timeout", "2") as running:
        base = running.url
        host, port = base.removeprefix("http://").split(":")
        sock = socket.create_connection((host, int(port)), timeout=5)
        sock.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n")
        assert 1.5 < _cut_after(sock, b"x") < 6


def test_a_server_process_that_dies_is_replaced(home):
    with serve(home, "--workers", "2") as running:
        base = running.url
        _probe(base)
        supervisor = running.pid
        children = _children(supervisor)
        assert len(children) == 2
        os.kill(children[0], signal.SIGKILL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (len(_children(supervisor)) < 2 or children[0] in _children(supervisor)):
            time.sleep(0.2)
        assert len(_children(supervisor)) == 2 and children[0] not in _children(supervisor)
        for _ in range(5):
            _probe(base)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(c) for c in text]
    return sorted(found)


def test_connections_over_the_cap_wait_until_others_close(home):
    with serve(home, "--workers", "1", "--connection-limit", "10") as running:
        host, port = running.url.removeprefix("http://").split(":")
        _probe(running.url)
        idle = [socket.create_connection((host, int(port)), timeout=5) for _ in range(10)]
        try:
            time.sleep(0.5)
            with pytest.raises(OSError):  # accepted by the kernel, not served: the cap holds
                urllib.request.urlopen(f"{running.url}/api/v1/layers", timeout=1.5)
        finally:
            for sock in idle:
                sock.close()
        assert _probe(running.url) < 2.0


def test_trivial_requests_stay_fast_while_8_maximal_renders_are_asked(home):
    """Finding 10: the render budget admits one render per process and answers the rest 429 at once."""
    with serve(home, "--workers", "1") as running:
        statuses: list[int | str] = []

        def render(i: int) -> None:
            url = f"{running.url}/maps/view.png?size=6000x6000&zoom={12 + i % 4}&center=12.6{i},-8.0{i}"
            try:
                with urllib.request.urlopen(url, timeout=60) as resp:
                    statuses.append(resp.status)
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)
                assert exc.code != 429 or int(exc.headers["Retry-After"]) > 0
            except OSError:
                statuses.append("closed")  # the server stopped at the end of the test

        threads = [threading.Thread(target=render, args=(i,), daemon=True) for i in range(8)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        latencies = [_probe(running.url) for _ in range(5)]
        assert max(latencies) < 1.0, latencies
        assert statuses.count(429) >= 6, statuses
    for t in threads:
        t.join(10)
