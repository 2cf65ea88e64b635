"""Servers for the web benchmarks: start on a free loopback port, wait for an answer, always stop.

Each server runs in its own process group, so a server's workers (gunicorn's)
stop with it; nothing started here outlives the benchmark.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from geo.store import store_path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, headers: dict[str, str] | None = None, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """GET ``url`` and return (status, headers, body as sent — still gzip-encoded if it was)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def wait_answered(url: str, *, timeout_s: float, proc: subprocess.Popen) -> int:
    """Poll ``url`` until the server answers; return the status of that first answer."""
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode} before answering {url}")
        try:
            return get(url, timeout=5)[0]
        except OSError:
            time.sleep(0.01)
    raise RuntimeError(f"no answer from {url} within {timeout_s} s")


@dataclass
class Server:
    """A server process started here, in its own process group (so its workers stop with it)."""

    name: str
    url: str
    proc: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def start(name: str, argv: list[str], *, env: dict[str, str], cwd: Path, log_dir: Path, port: int) -> Server:
    log = log_dir / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return Server(name, f"http://127.0.0.1:{port}", proc, log)


def cli_argv(*args: str) -> list[str]:
    """Return ``bamako-atlas ARGS`` for this checkout (the console script does the same import)."""
    code = "import sys; sys.argv[0] = 'bamako-atlas'; from webmap.cli import main; main()"
    return [sys.executable, "-c", code, *args]


def atlas_argv(port: int) -> list[str]:
    """Return ``bamako-atlas serve`` for this checkout on ``port``."""
    return cli_argv("serve", "--host", "127.0.0.1", "--port", str(port))


def atlas_env(home: Path, repo: Path = REPO) -> dict[str, str]:
    """Return the environment of a server on ``home`` importing the checkout ``repo`` (this one by default)."""
    return {**os.environ, "BAMAKO_ATLAS_HOME": str(home), "PYTHONPATH": str(repo)}


@contextmanager
def running(server: Server, *, ready_path: str = "/", timeout_s: float = 60.0) -> Iterator[Server]:
    try:
        wait_answered(server.url + ready_path, timeout_s=timeout_s, proc=server.proc)
        yield server
    except Exception:
        print(f"--- {server.name} log (tail) ---\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        server.stop()


def temp_home(stack: ExitStack) -> Path:
    """Copy the built store into a temporary data home (the real one is never written)."""
    src = store_path()
    if not src.exists():
        sys.exit(f"no store at {src}: build it first (bamako-atlas data build) or set BAMAKO_ATLAS_HOME")
    home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-web-home-")))
    shutil.copy2(src, home / src.name)
    return home
