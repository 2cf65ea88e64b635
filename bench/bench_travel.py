"""Benchmark the river-aware travel time (issue 11 §6) side by side with the straight-line path.

Run from the repository root with a built store in ``BAMAKO_ATLAS_HOME``::

    BAMAKO_ATLAS_HOME=/path/to/home .venv/bin/python bench/bench_travel.py [--repeat 5]

For each cell size (100 m, 50 m), in a fresh subprocess (so the peak memory is that size's):

- ``straight``: ``coverage_table`` (the straight-line path, KD-tree) for every kind with analysed
  facilities at the distances walked in the thresholds (× 1.3 at 4 km/h), three unit levels;
- ``travel cold``: the walking network (barrier, crossings, graph) and, for every kind, the travel-time
  surface and the same indicators in minutes (caches cleared before each repeat);
- ``travel warm``: the same with the surfaces cached (what a threshold change costs);
- peak memory: ``tracemalloc`` of the cold run and the process's ``ru_maxrss``.

Then the District shares within 15 and 30 minutes' walk for CSCOM, hospitals and CLAEC: straight line,
raster without the river (the raster metric alone), raster with the river (wet season) and dry season.
Prints Markdown rows for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from geo.analysis.coverage import (  # noqa: E402
    CoverageSpec,
    coverage_table,
    facility_points,
    minutes_to_metres,
    nearest,
    population_grid,
    walk_minutes,
)
from geo.analysis.travel import build_network, travel_coverage_table, travel_time  # noqa: E402
from geo.analysis.travel import surface as surface_module  # noqa: E402
from geo.analysis.travel.indicators import default_thresholds  # noqa: E402
from geo.store import STORE_NAME, open_store  # noqa: E402

SIZES = (100.0, 50.0)
TARGET_S = {100.0: 1.5, 50.0: 6.0}
UNITS = ("quartier", "commune", "district")
REPORTED = ("cscom", "hospital", "claec")


def _store() -> Path:
    home = os.environ.get("BAMAKO_ATLAS_HOME")
    if not home or not (Path(home) / STORE_NAME).is_file():
        sys.exit("set BAMAKO_ATLAS_HOME to a folder holding a built store (bamako-atlas data build)")
    return Path(home) / STORE_NAME


def _kinds(atlas) -> list[str]:
    fac = atlas["facilities"]
    return sorted(set(fac.loc[fac["in_analysis"].astype(bool), "kind"]))


def _straight(grid, fac, kinds, thresholds):
    """The straight-line path: ``coverage_table`` at the distances walked in the thresholds."""
    metres = tuple(minutes_to_metres(t) for t in thresholds)
    coverage_table(grid, fac, specs=[CoverageSpec(kind, metres) for kind in kinds], units=UNITS)


def _travel(grid, fac, kinds, thresholds, *, cold: bool):
    """The travel-time path: ``travel_coverage_table`` (surfaces from the cache unless ``cold``)."""
    if cold:
        surface_module._networks.clear()
        surface_module._surfaces.clear()
    travel_coverage_table(grid, fac, kinds, thresholds_min=thresholds, units=UNITS)


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _shares(grid, fac) -> dict:
    wet, dry = build_network(grid, season="wet"), build_network(grid, season="dry")
    no_river = build_network(grid, right_bank=())
    out = {}
    total = grid.pop.sum()
    for kind in REPORTED:
        points = facility_points(fac, kind)
        straight = walk_minutes(nearest(grid, points).distance_m)
        surfaces = {name: travel_time(net, grid, points) for name, net in
                    (("no_river", no_river), ("wet", wet), ("dry", dry))}  # fmt: skip
        changed = float(grid.pop[surfaces["wet"].index != nearest(grid, points).index].sum() / total)
        longer = float(grid.pop[surfaces["wet"].minutes >= surfaces["no_river"].minutes + 10].sum() / total)
        for t in (15.0, 30.0, 60.0):
            row = {"straight": float(grid.pop[straight <= t].sum() / total)}
            row.update({k: float(grid.pop[s.minutes <= t].sum() / total) for k, s in surfaces.items()})
            out[f"{kind}|{t:g}"] = row | {"nearest_changed": changed, "longer": longer, "facilities": len(points)}
    return out


def run_size(cell_m: float, repeat: int) -> dict:
    atlas = open_store(_store())
    fac = atlas["facilities"]
    grid = population_grid(atlas["quartiers"], fac, cell_m=cell_m)
    kinds, thresholds = _kinds(atlas), default_thresholds()
    straight = _median(lambda: _straight(grid, fac, kinds, thresholds), repeat)
    cold = _median(lambda: _travel(grid, fac, kinds, thresholds, cold=True), repeat)
    warm = _median(lambda: _travel(grid, fac, kinds, thresholds, cold=False), repeat)
    start = time.perf_counter()
    build_network(grid)
    network_s = time.perf_counter() - start
    tracemalloc.start()
    _travel(grid, fac, kinds, thresholds, cold=True)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "cell_m": cell_m,
        "cells": len(grid),
        "kinds": len(kinds),
        "thresholds": list(thresholds),
        "straight_s": straight,
        "travel_cold_s": cold,
        "travel_warm_s": warm,
        "network_s": network_s,
        "traced_peak_mb": peak / 2**20,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "shares": _shares(grid, fac) if cell_m == 100.0 else {},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--size", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.size:
        print(json.dumps(run_size(args.size, args.repeat)))
        return
    results = []
    for size in SIZES:
        cmd = [sys.executable, __file__, "--size", str(size), "--repeat", str(args.repeat)]
        results.append(json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout))
    when = f"{datetime.now(UTC):%Y-%m-%d}"
    where = f"{platform.machine()}, CPython {platform.python_version()}, {os.cpu_count()} CPU"
    print(
        "| date | machine | cell | cells | kinds | straight line | travel, cold | travel, cached | network | "
        "peak traced / RSS | target | load avg |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for r in results:
        ok = "✓" if r["travel_cold_s"] < TARGET_S[r["cell_m"]] else "✗"
        print(
            f"| {when} | {where} | {r['cell_m']:g} m | {r['cells']} | {r['kinds']} | {r['straight_s'] * 1000:.0f} ms "
            f"| {r['travel_cold_s'] * 1000:.0f} ms | {r['travel_warm_s'] * 1000:.0f} ms | "
            f"{r['network_s'] * 1000:.0f} ms | {r['traced_peak_mb']:.0f} / {r['maxrss_mb']:.0f} MB | "
            f"< {TARGET_S[r['cell_m']]:g} s {ok} | {os.getloadavg()[0]:.1f} |"
        )
    print()
    print(
        "| kind | within | straight line | raster, no river | river, wet season | river, dry season | "
        "people whose fastest facility is not the nearest | people ≥ 10 min farther because of the river |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for key, row in results[0]["shares"].items():
        kind, t = key.split("|")
        print(
            f"| `{kind}` ({row['facilities']}) | {t} min | {row['straight']:.1%} | {row['no_river']:.1%} | "
            f"{row['wet']:.1%} | {row['dry']:.1%} | {row['nearest_changed']:.1%} | {row['longer']:.1%} |"
        )


if __name__ == "__main__":
    main()
