"""Benchmark planner editing on a running atlas (issue 5 §7): visibility of an edit, serving throughput while editing.

Run from the repository root with the store built (``bamako-atlas data build``)::

    /tmp/venv/bin/python bench/bench_edit.py                     # both parts (about 2 minutes)
    /tmp/venv/bin/python bench/bench_edit.py --only visible      # or: load

(a) ``visible``: an editor saves a new facility (``POST /api/v1/facilities`` with
an API token), then requests are counted until ``/api/v1/map-data.json`` holds
it; target: 1, every time. The facilities export and the OGC API items are
checked the same way, and the latencies of the edit and of the first requests
after it (which rebuild their artefacts) are reported.

(b) ``load``: wrk with 20 connections on ``/api/v1/layers/facilities.geojson?kind=cscom``
while a script saves an edit of a CSCOM every 0.5 s, against the same run
without edits, alternated round by round; target: throughput drops by 10 % at
most. A third mode has the editor also re-fetch the map data after each save,
as the editing page does. On a shared machine req/s follows the other
processes' load, so the server's own CPU time per request served (edits
included) is measured too: its inverse is the throughput of a CPU-bound
server on an idle machine, and the verdict uses it.

The store is copied to a temporary home (the real one is only read); the
server (``bamako-atlas serve``, waitress) is started here on a free loopback
port and stopped here. Prints details, then Markdown rows for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _report import load_avg, machine  # noqa: E402
from _servers import atlas_argv, atlas_env, free_port, get, running, start, temp_home  # noqa: E402
from bench_web import wrk  # noqa: E402

from geo.planning import accounts  # noqa: E402
from geo.planning.edits.db import EDITS_FILENAME  # noqa: E402
from geo.store import open_store  # noqa: E402

CSCOM = "/api/v1/layers/facilities.geojson?kind=cscom"
MAP_DATA = "/api/v1/map-data.json"
ITEMS = "/ogcapi/collections/cscom/items?f=json&limit=1000"
GZIP = {"Accept-Encoding": "gzip"}
#: Issue 5 §7: an edit visible within one request; throughput drop while editing ≤ 10 %.
TARGETS = {"requests": 1, "drop": 0.10}
MODES = ("quiet", "editing", "editing+map")


def call(base: str, method: str, path: str, body: dict | None, headers: dict[str, str]) -> tuple[int, dict]:
    """Send a JSON request and return (status, decoded JSON body)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, body=data, headers={**headers, "Content-Type": "application/json"})
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, json.loads(raw) if raw else {}
    finally:
        conn.close()


def body_text(url: str) -> tuple[str, float]:
    """GET ``url`` with gzip and return (decoded text, milliseconds)."""
    t0 = time.perf_counter()
    status, headers, body = get(url, GZIP, timeout=60)
    ms = (time.perf_counter() - t0) * 1e3
    if status != 200:
        raise RuntimeError(f"{url}: HTTP {status}")
    raw = gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body
    return raw.decode(), ms


def planner_token(home: Path) -> dict[str, str]:
    """Create an editor account in the temporary home's database and return its Bearer header."""
    db = home / EDITS_FILENAME
    accounts.create_user(db, "bench", "editor", secrets.token_urlsafe(16))
    return {"Authorization": f"Bearer {accounts.issue_token(db, 'bench')}"}


def requests_until(url: str, marker: str, *, limit: int = 5) -> tuple[int, float]:
    """Return (requests made until ``marker`` shows in ``url``'s body, ms of the first request)."""
    first_ms = 0.0
    for n in range(1, limit + 1):
        text, ms = body_text(url)
        first_ms = first_ms or ms
        if marker in text:
            return n, first_ms
    return limit + 1, first_ms  # not visible: reported as a miss


def bench_visible(base: str, auth: dict[str, str], inside: tuple[float, float], trials: int) -> dict:
    """Save ``trials`` new CSCOMs, one at a time, and count requests until each shows."""
    for url in (MAP_DATA, CSCOM, ITEMS):  # warm: artefacts built once before the first edit
        body_text(base + url)
    found: dict[str, list[int]] = {"map": [], "export": [], "items": []}
    ms: dict[str, list[float]] = {"edit": [], "map": [], "export": [], "items": [], "map_cached": []}
    for i in range(trials):
        marker = f"Bench CSCOM {i} {secrets.token_hex(4)}"
        body = {"kind": "cscom", "name": marker, "lon": inside[0], "lat": inside[1], "reason": "benchmark"}
        t0 = time.perf_counter()
        status, doc = call(base, "POST", "/api/v1/facilities", body, auth)
        ms["edit"].append((time.perf_counter() - t0) * 1e3)
        if status != 201:
            raise RuntimeError(f"POST /api/v1/facilities: HTTP {status} {doc}")
        for key, url in (("map", MAP_DATA), ("export", CSCOM), ("items", ITEMS)):
            n, first = requests_until(base + url, marker)
            found[key].append(n)
            ms[key].append(first)
        ms["map_cached"].append(body_text(base + MAP_DATA)[1])
    result = {
        "trials": trials,
        "requests": {k: max(v) for k, v in found.items()},
        "ms": {k: statistics.median(v) for k, v in ms.items()},
        "ms_max": {k: max(v) for k, v in ms.items()},
    }
    print(f"\n## (a) Visible within one request ({trials} new CSCOMs, one at a time)\n")
    for key, label in (("map", MAP_DATA), ("export", CSCOM), ("items", ITEMS)):
        print(
            f"  {label:54} requests until visible: max {result['requests'][key]}  "
            f"(first request after the edit: median {result['ms'][key]:.0f} ms, max {result['ms_max'][key]:.0f} ms)"
        )
    print(f"  edit (POST, 201): median {result['ms']['edit']:.1f} ms, max {result['ms_max']['edit']:.1f} ms")
    print(f"  map data once rebuilt (cached): median {result['ms']['map_cached']:.1f} ms")
    return result


class Editor(threading.Thread):
    """Save an edit of one CSCOM every ``interval_s`` (alternating its name), optionally re-fetching the map data."""

    def __init__(self, base: str, auth: dict[str, str], facility_id: str, *, interval_s: float, refetch: bool):
        super().__init__(daemon=True)
        self.base, self.auth, self.facility_id = base, auth, facility_id
        self.interval_s, self.refetch = interval_s, refetch
        self.stop_event = threading.Event()
        self.latencies_ms: list[float] = []
        self.failures = 0

    def run(self) -> None:
        path = f"/api/v1/facilities/{self.facility_id}"
        version = call(self.base, "GET", path, None, self.auth)[1]["version"]
        n = 0
        next_at = time.perf_counter()
        while not self.stop_event.is_set():
            n += 1
            t0 = time.perf_counter()
            status, doc = call(self.base, "PATCH", path, {"version": version, "name": f"CSCOM édité {n}"}, self.auth)
            self.latencies_ms.append((time.perf_counter() - t0) * 1e3)
            if status == 200:
                version = doc["version"]
            else:
                self.failures += 1
                version = call(self.base, "GET", path, None, self.auth)[1]["version"]
            if self.refetch:
                body_text(self.base + MAP_DATA)
            next_at += self.interval_s
            self.stop_event.wait(max(0.0, next_at - time.perf_counter()))

    def stop(self) -> None:
        self.stop_event.set()
        self.join()


def cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system, seconds) used so far by the process group ``pid`` leads (Linux /proc).

    ``serve`` answers from forked worker processes; the server was started in its
    own session, so its group holds exactly the server and its workers.
    """
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[2]) == pid:  # process group
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def edit_cost(base: str, auth: dict[str, str], facility_id: str, *, server_pid: int, n: int = 30) -> dict:
    """Return the server CPU (ms) of one edit with the export rebuild it causes, and of one cached export request.

    Measured one request at a time on the running server, so other processes
    barely affect it. A server held to one core by the GIL, editing every
    ``interval`` seconds, keeps ``1 - cost / interval`` of its capacity.
    """
    path = f"/api/v1/facilities/{facility_id}"
    version = call(base, "GET", path, None, auth)[1]["version"]
    body_text(base + CSCOM)
    start = cpu_seconds(server_pid)
    for _ in range(n * 10):
        body_text(base + CSCOM)
    cached = (cpu_seconds(server_pid) - start) / (n * 10)
    start = cpu_seconds(server_pid)
    for i in range(n):
        status, doc = call(base, "PATCH", path, {"version": version, "name": f"CSCOM coût {i}"}, auth)
        if status != 200:
            raise RuntimeError(f"PATCH {path}: HTTP {status} {doc}")
        version = doc["version"]
        body_text(base + CSCOM)  # the first request after the edit rebuilds the export
    per_edit = (cpu_seconds(server_pid) - start) / n - cached
    return {"edit_ms": per_edit * 1e3, "cached_ms": cached * 1e3}


def bench_load(base: str, auth: dict[str, str], facility_id: str, args, *, server_pid: int) -> dict:
    """Alternate wrk runs without edits, with edits, and with edits + map re-fetch; return medians per mode.

    Besides req/s, the server's own CPU time per request served is measured
    (edits included): on a shared machine req/s follows the other processes'
    load, CPU per request does not, and for a CPU-bound server its inverse is
    the throughput on an idle machine.
    """
    cost = edit_cost(base, auth, facility_id, server_pid=server_pid)
    runs: dict[str, list] = {m: [] for m in MODES}
    cpu_per_request: dict[str, list[float]] = {m: [] for m in MODES}
    edits: dict[str, list[float]] = {m: [] for m in MODES}
    failures = 0
    load_before = load_avg()
    for r in range(args.rounds):
        order = MODES if r % 2 == 0 else tuple(reversed(MODES))  # alternate so no mode always runs first
        for mode in order:
            editor = None
            if mode != "quiet":
                editor = Editor(base, auth, facility_id, interval_s=args.interval, refetch=mode == "editing+map")
                editor.start()
            cpu_before = cpu_seconds(server_pid)
            try:
                run = wrk(
                    base + CSCOM, duration_s=args.duration, connections=args.connections, threads=args.wrk_threads
                )
                runs[mode].append(run)
                cpu_per_request[mode].append((cpu_seconds(server_pid) - cpu_before) / max(run.requests, 1) * 1e3)
            finally:
                if editor is not None:
                    editor.stop()
                    edits[mode] += editor.latencies_ms
                    failures += editor.failures
    result = {
        m: {
            "rps": statistics.median(x.rps for x in rs),
            "p50": statistics.median(x.p50_ms for x in rs),
            "p99": statistics.median(x.p99_ms for x in rs),
            "errors": sum(x.errors for x in rs),
            "each": [x.rps for x in rs],
            "edits": len(edits[m]),
            "edit_ms": statistics.median(edits[m]) if edits[m] else None,
            "cpu_ms": statistics.median(cpu_per_request[m]),
        }
        for m, rs in runs.items()
    }
    quiet = result["quiet"]["rps"]
    result["ratio"] = result["editing"]["rps"] / quiet
    result["ratio_map"] = result["editing+map"]["rps"] / quiet
    # Each round's modes ran back to back: their ratio cancels the machine's slow drift (a shared machine).
    result["paired"] = statistics.median(e.rps / q.rps for e, q in zip(runs["editing"], runs["quiet"], strict=True))
    result["paired_map"] = statistics.median(
        e.rps / q.rps for e, q in zip(runs["editing+map"], runs["quiet"], strict=True)
    )
    result["cpu_ratio"] = result["quiet"]["cpu_ms"] / result["editing"]["cpu_ms"]
    result["cpu_ratio_map"] = result["quiet"]["cpu_ms"] / result["editing+map"]["cpu_ms"]
    result["cost"] = cost
    result["predicted"] = 1 - cost["edit_ms"] / (args.interval * 1e3)
    result["edit_failures"] = failures
    result["load_avg"] = f"{load_before}→{load_avg()}"
    print(
        f"\n## (b) Throughput of {CSCOM} (wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration}s "
        f"× {args.rounds} rounds, alternating; medians)\n"
    )
    for m in MODES:
        x = result[m]
        each = ", ".join(f"{v:.0f}" for v in x["each"])
        extra = f"  {x['edits']} edits, median {x['edit_ms']:.0f} ms" if x["edits"] else ""
        print(
            f"  {m:12} {x['rps']:7.0f} req/s (runs: {each})  p50 {x['p50']:.1f} ms  p99 {x['p99']:.1f} ms  "
            f"{x['errors']} err  server CPU {x['cpu_ms']:.3f} ms/request{extra}"
        )
    print(
        f"  editing ÷ quiet: {result['ratio']:.3f} (median of per-round ratios {result['paired']:.3f}); "
        f"editing + map re-fetch ÷ quiet: {result['ratio_map']:.3f} (per round {result['paired_map']:.3f})"
    )
    print(
        f"  server CPU per request, quiet ÷ editing (throughput ratio on an idle machine): {result['cpu_ratio']:.3f}; "
        f"quiet ÷ editing + map re-fetch: {result['cpu_ratio_map']:.3f}"
    )
    print(
        f"  server CPU of one edit + the export rebuild it causes: {cost['edit_ms']:.1f} ms (a cached export: "
        f"{cost['cached_ms']:.2f} ms) → one edit every {args.interval} s keeps {result['predicted']:.3f} of a "
        "one-core server's capacity"
    )
    print(f"  edit failures (409/other): {failures}; load average {result['load_avg']}")
    return result


def report(visible: dict, load: dict, args) -> None:
    """Print targets met or missed, then Markdown rows for bench/RESULTS.md."""
    day, mach = f"{datetime.now(UTC):%Y-%m-%d}", machine()
    print("\n## Targets")
    if visible:
        worst = max(visible["requests"].values())
        print(
            f"  {'met   ' if worst <= TARGETS['requests'] else 'MISSED'} an edit is visible within {worst} request(s)"
        )
    if load:
        drop, paired, cpu = 1 - load["ratio"], 1 - load["paired"], 1 - load["cpu_ratio"]
        predicted = 1 - load["predicted"]
        print(
            f"  {'met   ' if predicted <= TARGETS['drop'] else 'MISSED'} throughput drop while editing, from the "
            f"cost of an edit: {predicted:.1%}"
        )
        print(
            f"  {'met   ' if paired <= TARGETS['drop'] else 'MISSED'} measured under wrk: req/s {drop:.1%}, "
            f"per-round pairs {paired:.1%}, server CPU per request {cpu:.1%} (shared machine: noisy)"
        )
    print("\n## Rows for bench/RESULTS.md")
    if visible:
        v = visible
        print(
            "\n| date | machine | trials | requests until visible (map data · export · OGC API) | edit (POST) "
            "| first map data after an edit | first export after | first OGC items after | map data cached |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        r, ms = v["requests"], v["ms"]
        print(
            f"| {day} | {mach} | {v['trials']} | **{r['map']}** · {r['export']} · {r['items']} | {ms['edit']:.0f} ms "
            f"| {ms['map']:.0f} ms | {ms['export']:.0f} ms | {ms['items']:.0f} ms | {ms['map_cached']:.1f} ms |"
        )
    if load:
        x = load

        def cell(m: str) -> str:
            return f"{x[m]['rps']:.0f} req/s, p99 {x[m]['p99']:.1f} ms, {x[m]['errors']} err"

        print(
            "\n| date | machine | wrk | quiet | edit every "
            f"{args.interval} s | ÷ quiet (per-round pairs) | edit + map re-fetch | ÷ quiet (pairs) "
            "| server CPU/request quiet · editing · +map | CPU ratio quiet ÷ editing · ÷ +map "
            "| CPU of one edit + export rebuild → capacity kept | edits (median latency) | load avg |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        print(
            f"| {day} | {mach} | {args.connections} conn, {args.duration} s × {args.rounds} | {cell('quiet')} "
            f"| {cell('editing')} | **{x['ratio']:.3f}** ({x['paired']:.3f}) | {cell('editing+map')} "
            f"| {x['ratio_map']:.3f} ({x['paired_map']:.3f}) "
            f"| {x['quiet']['cpu_ms']:.3f} · {x['editing']['cpu_ms']:.3f} · {x['editing+map']['cpu_ms']:.3f} ms "
            f"| {x['cpu_ratio']:.3f} · {x['cpu_ratio_map']:.3f} "
            f"| {x['cost']['edit_ms']:.1f} ms → **{x['predicted']:.3f}** "
            f"| {x['editing']['edits'] + x['editing+map']['edits']} ({x['editing']['edit_ms']:.0f} ms) "
            f"| {x['load_avg']} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=("visible", "load"), help="run one part only")
    parser.add_argument("--trials", type=int, default=20, help="edits checked for visibility")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs per mode, alternated")
    parser.add_argument("--connections", type=int, default=20, help="concurrent wrk connections")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between two edits")
    args = parser.parse_args()
    if args.only != "visible" and shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk); run with --only visible")
    with ExitStack() as stack:
        home = temp_home(stack)
        auth = planner_token(home)
        atlas = open_store(home / "atlas.gpkg")
        point = atlas["quartiers"].geometry.iloc[0].representative_point()
        facilities = atlas["facilities"]
        cscom = facilities.loc[(facilities["kind"] == "cscom") & facilities["in_analysis"].astype(bool), "id"].iloc[0]
        port = free_port()
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-edit-log-")))
        server = start("atlas-edit", atlas_argv(port), env=atlas_env(home), cwd=REPO, log_dir=log_dir, port=port)
        stack.enter_context(running(server))
        print(f"store: {len(facilities)} facilities; server {server.url}; machine {machine()}")
        visible = bench_visible(server.url, auth, (point.x, point.y), args.trials) if args.only != "load" else {}
        load = bench_load(server.url, auth, cscom, args, server_pid=server.proc.pid) if args.only != "visible" else {}
    report(visible, load, args)


if __name__ == "__main__":
    main()
