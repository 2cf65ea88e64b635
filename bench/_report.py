"""Report of the web benchmarks: machine, targets met or missed, Markdown rows for bench/RESULTS.md."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime

#: Issue 3 §8: page ≤ 1/10 of explore(), ≥ pygeoapi's req/s (aim 1.5×), p99 ≤ 20 ms, start-up < 3 s.
TARGETS = {"weight_ratio": 0.10, "throughput_ratio": 1.0, "throughput_aim": 1.5, "p99_ms": 20.0, "startup_s": 3.0}


def machine() -> str:
    """Return the machine as bench_build.py writes it: architecture, Python, CPU count."""
    return f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPU"


def load_avg() -> str:
    """Return the 1-minute load average: on a shared machine it explains noisy latencies."""
    return f"{os.getloadavg()[0]:.1f}"


#: Table headers of bench/RESULTS.md, one table per benchmark.
HEADERS = {
    "weight": "| date | machine | `/` sent, gzip (HTML + data) | requests | decoded | explore() raw / gzip "
    "| ÷ explore gzip | ÷ explore raw | own JS/CSS, gzip (not counted) |",
    "load": "| date | machine | wrk | `/` | `facilities.geojson?kind=cscom` | pygeoapi `cscom/items` "
    "| `/` ÷ pygeoapi | cscom ÷ pygeoapi | repeat with ETag (`/` · cscom) | load avg |",
    "startup": "| date | machine | median | min–max | runs | load avg |",
}


def rows(weight: dict, load: dict, startup: dict, args) -> None:
    """Print a header and a Markdown row per benchmark run, for bench/RESULTS.md."""
    day, mach = f"{datetime.now(UTC):%Y-%m-%d}", machine()
    print("\n## Rows for bench/RESULTS.md")
    if weight:
        w = weight
        print(f"\n{HEADERS['weight']}")
        print(
            f"| {day} | {mach} | {w['sent'] / 1e3:.1f} KB | {w['requests']} | {w['raw'] / 1e3:.0f} KB "
            f"| {w['explore_raw'] / 1e6:.2f} MB / {w['explore_gz'] / 1e3:.0f} KB | 1/{1 / w['ratio_gz']:.1f} "
            f"| 1/{1 / w['ratio_raw']:.0f} | {w['own'] / 1e3:.1f} KB |"
        )
    if load:
        peer = load["pygeoapi"]["rps"]

        def cell(k: str) -> str:
            r = load[k]
            return f"{r['rps']:.0f} req/s, p99 {r['p99']:.1f} ms, {r['errors']} err"

        print(f"\n{HEADERS['load']}")
        print(
            f"| {day} | {mach} | {args.connections} conn, {args.duration} s × {args.rounds} | {cell('/')} "
            f"| {cell('cscom')} | {cell('pygeoapi')} | {load['/']['rps'] / peer:.2f}× | {load['cscom']['rps'] / peer:.2f}× "
            f"| {load['etags']['/'].split()[0]} · {load['etags']['cscom'].split()[0]} | {load['load_avg']} |"
        )
    if startup:
        print(f"\n{HEADERS['startup']}")
        print(
            f"| {day} | {mach} | {startup['median']:.2f} s | {startup['min']:.2f}–{startup['max']:.2f} s "
            f"| {len(startup['statuses'])} | {startup['load_avg']} |"
        )


def verdicts(weight: dict, load: dict, startup: dict) -> list[str]:
    """Return one line per target: met or missed, with the measured value."""
    out = []

    def line(ok: bool, text: str) -> None:
        out.append(f"  {'met   ' if ok else 'MISSED'} {text}")

    if weight:
        line(
            weight["ratio_gz"] <= TARGETS["weight_ratio"],
            f"page weight 1/{1 / weight['ratio_gz']:.1f} of explore() gzip",
        )
    if load:
        peer = load["pygeoapi"]["rps"]
        for key in ("/", "cscom"):
            r = load[key]
            ratio = r["rps"] / peer
            aim = "aim met" if ratio >= TARGETS["throughput_aim"] else "below the 1.5× aim"
            line(ratio >= TARGETS["throughput_ratio"], f"{key}: {ratio:.2f}× pygeoapi's req/s ({aim})")
            line(r["p99"] <= TARGETS["p99_ms"], f"{key}: p99 {r['p99']:.1f} ms")
            line(r["errors"] == 0, f"{key}: {r['errors']} errors")
            line(load["etags"][key].startswith("304"), f"{key}: repeat request with ETag → {load['etags'][key]}")
    if startup:
        line(startup["median"] < TARGETS["startup_s"], f"start-up median {startup['median']:.2f} s")
    return out
