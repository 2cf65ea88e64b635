"""Benchmark the coverage service in minutes against straight lines (issue 11 §4, §6): server time per request.

Run from the repository root with a built store in ``BAMAKO_ATLAS_HOME``::

    /tmp/venv/bin/python bench/bench_coverage_minutes.py --repeat 5

Per kind group, in one process at the grid of ``COVERAGE_CELL_M`` (100 m): the first
request of a (kind, mode) (the straight-line distances, or the network and the
travel-time surface), then medians of what a request computes once those are cached
(the units table and the District's, as ``/api/v1/coverage.json``): a threshold change, a scenario
change (one site added: new distances, or a new Dijkstra), the suggestions (k = 3) and the
catchments. Straight line at the kind's default threshold, travel time at its walking time.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import time
from datetime import date

from geo.analysis.coverage import walk_minutes
from geo.analysis.travel.service import MinutesCoverageState
from geo.store import open_store, store_path

KINDS = ("cscom", "claec", "sports")
#: Scenario sites (lon, lat): one in Commune VI, one in Commune I.
SITES = ("-7.9500,12.5900", "-7.9800,12.6700")


def _time(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def _row(state: MinutesCoverageState, kind: str, travel: bool, repeat: int) -> list[str]:
    threshold_m = state.parse({"kind": kind}).threshold_m
    minutes = float(walk_minutes(threshold_m, settings=state.settings))

    def args(value: float, **more) -> dict:
        base = (
            {"kind": kind, "mode": "walk", "minutes": f"{value:.2f}"}
            if travel
            else {"kind": kind, "threshold_m": f"{value}"}
        )
        return {**base, **more}  # fmt: skip

    def table(query) -> None:
        state.table(query)
        state.table(query, unit="district")

    value = minutes if travel else threshold_m
    start = time.perf_counter()
    table(state.parse(args(value)))
    first = (time.perf_counter() - start) * 1e3
    steps = iter(range(10_000))
    threshold = _time(lambda: table(state.parse(args(value * (1 + (next(steps) % 7) / 10)))), repeat)
    sites = iter(range(10_000))

    def scenario() -> None:
        i = next(sites)
        lon, lat = (float(v) for v in SITES[i % 2].split(","))
        table(state.parse(args(value, add=f"{lon + i * 1e-4:.6f},{lat:.6f}")))

    scenario_ms = _time(scenario, repeat)
    suggest = _time(lambda: state.suggest(state.parse(args(value)), 3), max(1, repeat // 2))
    catch = _time(lambda: state.catchments(state.parse(args(value, add=SITES[0]))), 1)
    method = "travel time (walk)" if travel else "straight line"
    within = f"{minutes:.1f} min" if travel else f"{threshold_m / 1000:g} km"
    return [method, kind, within, f"{first:.0f}", f"{threshold:.0f}", f"{scenario_ms:.0f}", f"{suggest:.0f}",
            f"{catch:.0f}"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="repeats per measure (medians)")
    args = parser.parse_args()
    state = MinutesCoverageState(open_store(store_path()))
    print(f"{date.today()}, {platform.machine()}, CPython {platform.python_version()}, {os.cpu_count()} CPU, "
          f"{len(state.grid)} cells of {state.grid.cell_m:g} m, load {os.getloadavg()[0]:.1f}")  # fmt: skip
    print("| method | kind | within | first request (ms) | threshold change | scenario change | suggest k=3 "
          "| catchments |")  # fmt: skip
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for kind in KINDS:
        for travel in (False, True):
            print("| " + " | ".join(_row(state, kind, travel, args.repeat)) + " |", flush=True)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
