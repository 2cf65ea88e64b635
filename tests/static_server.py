"""A static web server over a published site for the tests: Debian's nginx, else a small stdlib server."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"static server did not listen on port {port}")


@contextlib.contextmanager
def nginx(site: Path, work: Path, port: int, *, workers: int = 1) -> Iterator[str]:
    """Serve ``site`` on ``port`` with nginx (``workers`` processes) and the snippet ``publish`` wrote; yield its URL."""
    work.mkdir(parents=True, exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else ""
    conf = work / "nginx.conf"
    conf.write_text(f"""{user}
worker_processes {workers}; daemon off; pid {work}/nginx.pid; error_log {work}/error.log;
events {{ worker_connections 64; }}
http {{
  include /etc/nginx/mime.types; default_type application/octet-stream;
  types {{ application/geo+json geojson; }}
  access_log {work}/access.log;
  client_body_temp_path {work}/body; proxy_temp_path {work}/proxy; fastcgi_temp_path {work}/fastcgi;
  uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
  server {{ listen 127.0.0.1:{port}; root {site}; include {site}/nginx-bamako-atlas.conf; }}
}}
""")
    process = subprocess.Popen([NGINX, "-p", str(work), "-c", str(conf)], stderr=subprocess.PIPE)
    try:
        _wait(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serve files, with ``index.json`` as a folder's index after ``index.html`` (as the nginx snippet does)."""

    def translate_path(self, path: str) -> str:
        local = super().translate_path(path)
        if os.path.isdir(local) and not os.path.exists(os.path.join(local, "index.html")):
            candidate = os.path.join(local, "index.json")
            if os.path.exists(candidate) and path.split("?")[0].endswith("/"):
                return candidate
        return local

    def log_message(self, *args) -> None:  # quiet
        pass


@contextlib.contextmanager
def stdlib(site: Path, port: int) -> Iterator[str]:
    """Serve ``site`` on ``port`` with Python's http.server (only when nginx is missing)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(_Handler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def serve(site: Path, work: Path, port: int):
    """Return a context manager serving ``site`` on ``port``: nginx when installed, else the stdlib server."""
    return nginx(site, work, port) if NGINX else stdlib(site, port)
