"""Run ``bamako-atlas serve`` itself in a child process on 127.0.0.1 (a free port), for the front's tests."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60


@dataclass(frozen=True)
class Running:
    """A running ``serve``: its base URL and the pid of its main (supervisor) process."""

    url: str
    pid: int


@contextmanager
def serve(home: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Running]:
    """Serve the store in ``home`` with ``bamako-atlas serve --port 0 ARGS``; yield where it runs."""
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "BAMAKO_ATLAS_HOME": str(home), **(env or {})}
    code = "from webmap.cli import main; main()"
    argv = [sys.executable, "-c", code, "serve", "--host", "127.0.0.1", "--port", "0", *args]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT, env=environ,
                            start_new_session=True)  # fmt: skip
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            ready = sel.select(timeout=START_TIMEOUT_S)
        line = proc.stdout.readline().decode() if ready else ""
        if "http://127.0.0.1:" not in line:
            raise RuntimeError(f"serve did not start: {line}{proc.stdout.read(4000).decode() if ready else ''}")
        address = line.split("http://", 1)[1].split("/", 1)[0]
        yield Running(f"http://{address}", proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # this server's own process group: the supervisor and its workers
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()
