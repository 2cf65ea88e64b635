"""The production front of ``bamako-atlas serve``: waitress processes sharing one listening socket.

Why waitress and not gunicorn's ``gthread`` workers: a gthread worker hands a
connection to a thread as soon as it is readable and the thread then reads the
request, so four clients trickling header lines held every slot of 2 workers ×
2 threads (issue 13, finding 1). Waitress reads and buffers whole requests
(headers and body) in an asynchronous event loop and gives a thread only a
complete request, so slow clients cost a socket and a few kilobytes, never a
thread. One waitress process is held by the GIL to about one core, so on POSIX
``workers`` processes are forked after the atlas is loaded and all accept on
the same pre-bound socket; a small supervisor restarts a process that dies.

Waitress closes idle keep-alive connections (``channel_timeout``) but has no
deadline for a request that keeps trickling; :func:`add_request_deadlines`
adds one for the headers and one for the body.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass

import waitress.server

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrontOptions:
    """Limits of the front; times in seconds."""

    workers: int = 2
    #: Threads per process running complete requests: 8 measured 1.5–4× the req/s of 2 (waitress'
    #: threads also wait on output flushed by the event loop); slow clients never hold one.
    threads: int = 8
    #: Open connections per process; more wait in the listen backlog.
    connection_limit: int = 1000
    #: A request's headers must arrive within this time of its first byte.
    header_timeout_s: float = 10.0
    #: Its body (uploads up to 20 MB) within this time of the end of its headers.
    body_timeout_s: float = 120.0
    #: An idle keep-alive connection is closed after this time.
    idle_timeout_s: int = 30
    backlog: int = 2048


def bind(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """Return a listening TCP socket on ``host:port`` (port 0: a free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=backlog)
    sock.setblocking(False)
    return sock


def create(app, sock: socket.socket, options: FrontOptions):
    """Return a waitress server for ``app`` on the listening ``sock``, request deadlines included."""
    _raise_file_limit(options.connection_limit + 64)
    server = waitress.server.create_server(
        app,
        sockets=[sock],
        threads=options.threads,
        connection_limit=options.connection_limit,
        channel_timeout=options.idle_timeout_s,
        cleanup_interval=1,
        backlog=options.backlog,
        asyncore_use_poll=True,  # select() stops at 1024 descriptors
        ident="bamako-atlas",
        expose_tracebacks=False,
    )
    add_request_deadlines(server, options.header_timeout_s, options.body_timeout_s)
    return server


def add_request_deadlines(server, header_timeout_s: float, body_timeout_s: float) -> None:
    """Close connections whose request headers or body keep trickling past their deadline.

    Checked in waitress' maintenance pass (every ``cleanup_interval`` second),
    so a deadline holds to about one second.
    """
    original = server.maintenance
    first_seen: dict[int, tuple[object, bool, float]] = {}

    def maintenance(now: float) -> None:
        original(now)
        seen = {}
        for fd, channel in list(server.active_channels.items()):
            request = channel.request  # the request being read; None between requests
            if request is None or channel.will_close:
                continue
            phase = bool(request.headers_finished)
            previous = first_seen.get(fd)
            since = previous[2] if previous and previous[0] is request and previous[1] == phase else now
            seen[fd] = (request, phase, since)
            if now - since > (body_timeout_s if phase else header_timeout_s):
                log.info("closing a connection whose request %s did not arrive in time", "body" if phase else "headers")
                channel.will_close = True
        first_seen.clear()
        first_seen.update(seen)

    server.maintenance = maintenance


def run(app, sock: socket.socket, options: FrontOptions) -> None:
    """Serve ``app`` on ``sock`` until interrupted: one process, or ``options.workers`` forked ones."""
    if options.workers <= 1 or not hasattr(os, "fork"):
        create(app, sock, options).run()
        return
    _Supervisor(app, sock, options).run()


class _Supervisor:
    """Fork the worker processes, restart one that dies, stop them all on SIGTERM/SIGINT."""

    def __init__(self, app, sock: socket.socket, options: FrontOptions):
        self.app, self.sock, self.options = app, sock, options
        self.children: set[int] = set()
        self.stopping = False

    def run(self) -> None:
        for _ in range(self.options.workers):
            self._spawn()
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            while self.children:
                try:
                    pid, status = os.wait()
                except ChildProcessError:
                    break
                self.children.discard(pid)
                if not self.stopping:
                    log.warning("server process %d ended (status %d): starting another", pid, status)
                    time.sleep(1)  # a process that dies at once must not spin the machine
                    self._spawn()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _stop(self, signum, _frame) -> None:
        self.stopping = True
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                self.children.discard(pid)

    def _spawn(self) -> None:
        pid = os.fork()
        if pid:
            self.children.add(pid)
            return
        code = 0
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            create(self.app, self.sock, self.options).run()
        except BaseException:  # noqa: BLE001 - a child must never return into the supervisor's loop
            log.exception("server process failed")
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)


def _raise_file_limit(wanted: int) -> None:
    """Raise the soft limit of open files to ``wanted`` when the hard limit allows it."""
    try:
        import resource
    except ImportError:  # Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
