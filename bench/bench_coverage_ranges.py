"""Benchmark what the share ranges add to a coverage request (issue 9 §3): cost per table, cost per store version.

Run from the repository root with a built store in ``BAMAKO_ATLAS_HOME``::

    /tmp/venv/bin/python bench/bench_coverage_ranges.py --repeat 5

For CSCOMs at every threshold step of the coverage view and each unit level, with
the distances cached (as between requests): the median time of ``CoverageState.table``
(what one JSON/CSV request computes per table; the JSON asks for two: the units
and the District), and of ``share_ranges`` alone, the part the ranges add, measured
alternately in the same process. ``population_methods`` runs once per store version.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import date

from geo.analysis.coverage.methods import population_methods, share_ranges
from geo.analysis.coverage.service import CoverageState
from geo.store import open_store, store_path

THRESHOLDS_M = (250, 500, 750, 1000, 1500, 2000, 3000, 4000, 5000)


def _ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="passes over the thresholds (medians)")
    args = parser.parse_args()
    state = CoverageState(open_store(store_path()))
    start = time.perf_counter()
    methods = population_methods(state.grid, state.communes)
    once = time.perf_counter() - start
    rows = []
    for unit in ("quartier", "commune", "district"):
        queries = [state.parse({"kind": "cscom", "threshold_m": str(t), "unit": unit}) for t in THRESHOLDS_M]
        acc = state.access(queries[0])  # distances computed once, as the view keeps them
        table, ranges = [], []
        for _ in range(args.repeat):
            for query in queries:
                start = time.perf_counter()
                state.table(query)
                table.append(time.perf_counter() - start)
                start = time.perf_counter()
                share_ranges(state.grid, acc, methods, threshold_m=query.threshold_m, unit=unit)
                ranges.append(time.perf_counter() - start)
        rows.append((unit, _ms(table), _ms(ranges)))
        print(f"{unit}: table {_ms(table):.2f} ms, share_ranges {_ms(ranges):.2f} ms")
    machine = f"{platform.machine()}, CPython {platform.python_version()}, {os.cpu_count()} CPU"
    load = os.getloadavg()[0]
    print(f"population_methods once per store version: {once * 1e3:.1f} ms ({len(state.grid)} cells, "
          f"{len(methods.names)} methods: {', '.join(methods.names)})")  # fmt: skip
    for unit, total, part in rows:
        print(f"| {date.today()} | {machine} | {unit} | {total:.2f} ms | {part:.2f} ms | {part / total:.0%} | "
              f"{once * 1e3:.1f} ms | {load:.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
