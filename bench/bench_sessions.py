"""The anonymous page cache under forged, ended and live session cookies (issue 13, finding 5).

Serves the atlas (``bamako-atlas serve``) over a copy of the built store with one
planner account, signs the planner in over HTTP, and runs wrk on ``/`` with: no
cookie, a garbage ``session`` cookie, the planner's cookie replayed after
sign-out (an ended session) and a live session. Only the live session should
miss the cache. Modes are alternated round by round; medians are printed with
a row for ``bench/RESULTS.md``.

    .venv/bin/python bench/bench_sessions.py [--duration 5] [--rounds 3] [--connections 20]
"""

from __future__ import annotations

import argparse
import http.client
import re
import statistics
import sys
import tempfile
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import load_avg, machine  # noqa: E402
from _servers import REPO, atlas_argv, atlas_env, free_port, running, start, temp_home  # noqa: E402
from bench_web import wrk  # noqa: E402

from geo.planning import accounts  # noqa: E402

PASSWORD = "bench sessions password"


def _request(base: str, method: str, path: str, *, cookie: str = "", form: dict | None = None):
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Set-Cookie") or "", resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def _session_cookie(set_cookie: str) -> str:
    found = re.search(r"(?:^|[ ,])session=([^;]+)", set_cookie)
    if not found:
        raise RuntimeError(f"no session cookie in {set_cookie!r}")
    return f"session={found.group(1)}"


def sign_in(base: str) -> tuple[str, str]:
    """Sign the planner in; return (session cookie, CSRF token)."""
    status, set_cookie, html = _request(base, "GET", "/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    status, set_cookie, _ = _request(
        base, "POST", "/login", cookie=_session_cookie(set_cookie),
        form={"name": "planner", "password": PASSWORD, "csrf_token": csrf},
    )  # fmt: skip
    if status != 302:
        raise RuntimeError(f"sign-in answered {status}")
    cookie = _session_cookie(set_cookie)
    _, _, page = _request(base, "GET", "/history", cookie=cookie)
    return cookie, re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--wrk-threads", type=int, default=2)
    args = parser.parse_args()
    with ExitStack() as stack:
        home = temp_home(stack)
        accounts.create_user(home / "edits.sqlite", "planner", "editor", PASSWORD)
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-sessions-log-")))
        port = free_port()
        server = start("atlas-sessions", atlas_argv(port), env=atlas_env(home), cwd=REPO, log_dir=log_dir, port=port)
        stack.enter_context(running(server))
        base = server.url
        ended, csrf = sign_in(base)
        status, _, _ = _request(base, "POST", "/logout", cookie=ended, form={"csrf_token": csrf})
        assert status == 302 and _request(base, "GET", "/api/v1/history", cookie=ended)[0] == 401
        live, _ = sign_in(base)
        modes = {"no cookie": "", "garbage cookie": "session=x", "ended session": ended, "live session": live}
        for cookie in modes.values():  # warm the page cache and the code paths
            for _ in range(5):
                _request(base, "GET", "/", cookie=cookie)
        before = load_avg()
        runs: dict[str, list] = {k: [] for k in modes}
        for _ in range(args.rounds):
            for key, cookie in modes.items():
                headers = ("-H", f"Cookie: {cookie}") if cookie else ()
                runs[key].append(
                    wrk(base + "/", duration_s=args.duration, connections=args.connections,
                        threads=args.wrk_threads, extra=headers)
                )  # fmt: skip
        after = load_avg()
    cells = []
    print(f"\n## / under {args.connections} wrk connections, {args.duration} s × {args.rounds} rounds (medians)\n")
    for key, results in runs.items():
        rps = statistics.median(r.rps for r in results)
        p99 = statistics.median(r.p99_ms for r in results)
        errors = sum(r.errors for r in results)
        print(f"  {key:15} {rps:8.0f} req/s  p99 {p99:.1f} ms  errors {errors}")
        cells.append(f"{rps:.0f} req/s, p99 {p99:.1f} ms, {errors} err")
    print("\n| date | machine | wrk | " + " | ".join(modes) + " | load avg |")
    print("|---|---|---|" + "---|" * len(modes) + "---|")
    print(
        f"| {date.today()} | {machine()} | {args.connections} conn, {args.duration} s × {args.rounds} | "
        + " | ".join(cells)
        + f" | {before}→{after} |"
    )


if __name__ == "__main__":
    main()
