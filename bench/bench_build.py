"""Benchmark the store build against a plain geopandas read of the same sources.

Run: ``.venv/bin/python bench/bench_build.py [--repeat N]`` with BAMAKO_ATLAS_MIRROR set.
Prints a Markdown row for bench/RESULTS.md. Both measurements run side by side
in the same process, alternated read/build pair by pair, each repeated; the ratio
is what counts (shared machines are noisy): the ratio of the medians, and the
median and range of the per-pair ratios (a read and the build right after it see
the same load). Each build starts with the name cache of :mod:`geo.text` empty,
as a ``data build`` process does.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pyogrio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo import text  # noqa: E402
from geo.pipeline import sources  # noqa: E402
from geo.pipeline.build import build  # noqa: E402
from geo.store import open_store  # noqa: E402

REPEAT = 5


def plain_read(paths: list[Path]) -> None:
    """Read every layer of every source file with geopandas, nothing else."""
    for path in paths:
        for layer, _ in pyogrio.list_layers(path):
            gpd.read_file(path, layer=layer)


def timed(fn) -> tuple[float, float]:
    """Return the wall-clock and CPU seconds of ``fn()`` (CPU time barely moves with the machine's load)."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def cold_build(overrides: dict, target: Path) -> None:
    """Build the store as a fresh ``data build`` process would: no name folded yet."""
    getattr(text, "clear_name_cache", lambda: None)()  # absent from trees older than the cache
    build(overrides, force=True, path=target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=REPEAT, help=f"read/build pairs (default {REPEAT})")
    args = parser.parse_args()
    paths = [sources.fetch(key) for key in sources.registry()]
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "atlas.gpkg"
        overrides = {"CACHE": tmp}
        cold_build(overrides, target)  # warm-up: imports, GDAL drivers, file system cache, for both sides
        plain_read(paths)
        read_s, build_s, open_s = [], [], []
        for _ in range(args.repeat):  # interleaved so both see the same machine load
            read_s.append(timed(lambda: plain_read(paths)))
            build_s.append(timed(lambda: cold_build(overrides, target)))
            open_s.append(timed(lambda: open_store(target)))
    read, built, opened = (statistics.median(w for w, _ in x) for x in (read_s, build_s, open_s))
    read_cpu, built_cpu = (statistics.median(c for _, c in x) for x in (read_s, build_s))
    pairs = [b / r for (r, _), (b, _) in zip(read_s, build_s, strict=True)]
    machine = f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}, {_cpus()} CPU"
    print(
        f"| {datetime.now(UTC):%Y-%m-%d} | {machine} | {read:.3f} s | {built:.3f} s | {built / read:.2f}× | {opened:.3f} s |"
    )
    print(
        f"pairs: {len(pairs)}, per-pair wall ratio median {statistics.median(pairs):.2f}× "
        f"(min {min(pairs):.2f}×, max {max(pairs):.2f}×); CPU time: read {read_cpu:.3f} s, build {built_cpu:.3f} s, "
        f"{built_cpu / read_cpu:.2f}×; load average {load_before:.1f}→{os.getloadavg()[0]:.1f}"
    )


def _cpus() -> int:
    return os.cpu_count() or 0


if __name__ == "__main__":
    main()
