"""Probe latency under hostile load: 100 slow connections, 8 concurrent maximal renders (issue 13).

    BAMAKO_ATLAS_HOME=… python bench/bench_hostile.py                 # our front, then gunicorn gthread 2×2
    python bench/bench_hostile.py --fronts serve --skip-throughput      # ours only

For each front, the same store is served on a free loopback port and a trivial
request (``/api/v1/layers``) is timed: unloaded, while 100 connections trickle
header lines (one line per connection per second, headers never finished), and
while 8 clients keep asking for distinct 6000×6000 px PNG renders (a client
that gets 429 retries after 0.2 s, ignoring ``Retry-After``). Throughput of
``/`` and the CSCOM export is measured with wrk when it is installed. Every
loop is bounded; everything started here stops with the benchmark.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import socket
import statistics
import sys
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._report import load_avg, machine  # noqa: E402
from bench._servers import REPO, atlas_argv, atlas_env, free_port, get, running, start, temp_home  # noqa: E402
from bench.bench_web import OUR_PATHS, wrk  # noqa: E402

PROBE = "/api/v1/layers"
SLOW = 100
RENDERS = 8
RENDER_SIZE = "6000x6000"


def gunicorn_argv(port: int) -> list[str]:
    """The previous front: gunicorn, 2 sync-threaded (gthread) workers × 2 threads, same app."""
    return [sys.executable, "-m", "gunicorn", "-k", "gthread", "-w", "2", "--threads", "2", "-b",
            f"127.0.0.1:{port}", "--timeout", "120", "webmap:create_app()"]  # fmt: skip


def probe(url: str, n: int, timeout_s: float = 10.0) -> dict:
    """Time ``n`` sequential GETs; return median, max and timeouts (ms)."""
    times, failures = [], 0
    for _ in range(n):
        start_t = time.perf_counter()
        try:
            status = get(url, timeout=timeout_s)[0]
            if status != 200:
                failures += 1
        except OSError:
            failures += 1
        times.append((time.perf_counter() - start_t) * 1000)
        time.sleep(0.05)
    return {"median": statistics.median(times), "max": max(times), "failed": failures, "n": n}


def slow_clients(base: str, n: int, stop: threading.Event) -> threading.Thread:
    """Open ``n`` connections that send a header line per second and never finish their headers."""
    parts = urlsplit(base)

    def connect() -> socket.socket:
        s = socket.create_connection((parts.hostname, parts.port), timeout=5)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        return s

    def run():
        socks = []
        try:
            socks = [connect() for _ in range(n)]
            while not stop.wait(1.0):
                for i, s in enumerate(socks):
                    try:
                        s.sendall(b"X-Slow: 1\r\n")
                    except OSError:  # closed by the server's header deadline: reopen to keep n open
                        s.close()
                        try:
                            socks[i] = connect()
                        except OSError:
                            pass
        finally:
            for s in socks:
                s.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def renderers(base: str, n: int, stop: threading.Event, counts: dict) -> list[threading.Thread]:
    """Start ``n`` clients asking for distinct maximal renders until ``stop``."""
    lock = threading.Lock()

    def run(client: int):
        i = 0
        while not stop.is_set():
            i += 1
            url = f"{base}/maps/view.png?size={RENDER_SIZE}&zoom={12 + (client + i) % 5}&center=-8.0{i},12.6{client}"  # lon,lat
            try:
                status = get(url, timeout=120)[0]
            except OSError:
                status = "error"
            with lock:
                counts[status] = counts.get(status, 0) + 1
            if status != 200:
                stop.wait(0.2)

    threads = [threading.Thread(target=run, args=(c,), daemon=True) for c in range(n)]
    for t in threads:
        t.start()
    return threads


def measure(name: str, argv_of, home: Path, log_dir: Path, args) -> dict:
    port = free_port()
    server = start(name, argv_of(port), env=atlas_env(home), cwd=REPO, log_dir=log_dir, port=port)
    out: dict = {"front": name}
    with running(server):
        url = server.url + PROBE
        for _ in range(5):
            get(url)
        out["unloaded"] = probe(url, args.probes)
        stop = threading.Event()
        thread = slow_clients(server.url, SLOW, stop)
        time.sleep(2)
        out["slow"] = probe(url, min(args.probes, 5), timeout_s=5)  # bounded: a starved front times out each
        stop.set()
        thread.join(10)
        time.sleep(1)
        stop, counts = threading.Event(), {}
        threads = renderers(server.url, RENDERS, stop, counts)
        time.sleep(2)
        out["renders"] = probe(url, args.probes, timeout_s=30)
        stop.set()
        for t in threads:
            t.join(180)
        out["render_statuses"] = counts
        if not args.skip_throughput and shutil.which("wrk"):
            for key, path in OUR_PATHS.items():
                for _ in range(5):
                    get(server.url + path, {"Accept-Encoding": "gzip"})
                runs = [wrk(server.url + path, duration_s=args.duration, connections=20, threads=2) for _ in range(3)]
                out[f"rps {key}"] = statistics.median(r.rps for r in runs)
                out[f"p99 {key}"] = statistics.median(r.p99_ms for r in runs)
    return out


def fmt_probe(p: dict) -> str:
    return f"{p['median']:.1f} ms (max {p['max']:.0f}), {p['failed']}/{p['n']} failed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fronts", default="serve,gunicorn", help="comma list: serve, gunicorn")
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument("--duration", type=int, default=6, help="seconds per wrk run")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    fronts = {"serve": atlas_argv, "gunicorn": gunicorn_argv}
    names = args.fronts.split(",")
    if "gunicorn" in names and importlib.util.find_spec("gunicorn") is None:
        print("gunicorn is not installed: measuring our front only", file=sys.stderr)
        names.remove("gunicorn")
    results = []
    with ExitStack() as stack:
        home = temp_home(stack)
        log_dir = Path(stack.enter_context(__import__("tempfile").TemporaryDirectory(prefix="bench-hostile-")))
        load_before = load_avg()
        for name in names:
            results.append(measure(name, fronts[name], home, log_dir, args))
            print(results[-1], file=sys.stderr)
        load = f"{load_before}→{load_avg()}"
    print(
        "\n| date | machine | front | probe unloaded | probe, 100 slow connections | probe, 8 renders 6000×6000 "
        "| renders 200 / 429 | `/` req/s (p99) | cscom req/s (p99) | load avg |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    day = f"{datetime.now(UTC):%Y-%m-%d}"
    for r in results:
        statuses = r["render_statuses"]
        tput = [f"{r[f'rps {k}']:.0f} ({r[f'p99 {k}']:.1f} ms)" if f"rps {k}" in r else "—" for k in OUR_PATHS]
        print(f"| {day} | {machine()} | {r['front']} | {fmt_probe(r['unloaded'])} | {fmt_probe(r['slow'])} "
              f"| {fmt_probe(r['renders'])} | {statuses.get(200, 0)} / {statuses.get(429, 0)} | {tput[0]} "
              f"| {tput[1]} | {load} |")  # fmt: skip


if __name__ == "__main__":
    main()
