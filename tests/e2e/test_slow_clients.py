"""Issue 13, finding 1: slow clients must not take the server (a real ``serve`` on loopback)."""

from __future__ import annotations

import shutil
import socket
import time
import urllib.request

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
    with serve(home, "--workers", "2", "--threads", "2") as base:
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


def test_trickling_headers_are_cut_at_the_header_deadline(home):
    with serve(home, "--workers", "1", "--header-timeout", "2") as base:
        host, port = base.removeprefix("http://").split(":")
        sock = _slow(host, int(port))
        start = time.monotonic()
        closed = False
        try:
            while time.monotonic() - start < 10:  # bounded: the deadline is 2 s (+1 s maintenance pass)
                try:
                    sock.sendall(b"X-a: b\r\n")
                    sock.settimeout(0.3)
                    if sock.recv(1) == b"":
                        closed = True
                        break
                except TimeoutError:
                    continue
                except OSError:
                    closed = True
                    break
        finally:
            sock.close()
        assert closed
        assert 1.5 < time.monotonic() - start < 6
