"""Benchmark the store build against a plain geopandas read of the same sources.

Run: ``.venv/bin/python bench/bench_build.py`` with BAMAKO_ATLAS_MIRROR set.
Prints a Markdown row for bench/RESULTS.md. Both measurements run side by side
in the same process, each repeated; the ratio is what counts (shared machines
are noisy).
"""

from __future__ import annotations

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

from geo.pipeline import sources  # noqa: E402
from geo.pipeline.build import build  # noqa: E402
from geo.store import open_store  # noqa: E402

REPEAT = 5


def plain_read(paths: list[Path]) -> None:
    """Read every layer of every source file with geopandas, nothing else."""
    for path in paths:
        for layer, _ in pyogrio.list_layers(path):
            gpd.read_file(path, layer=layer)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    paths = [sources.fetch(key) for key in sources.registry()]
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "atlas.gpkg"
        overrides = {"CACHE": tmp}
        read_s, build_s, open_s = [], [], []
        for _ in range(REPEAT):  # interleaved so both see the same machine load
            read_s.append(timed(lambda: plain_read(paths)))
            build_s.append(timed(lambda: build(overrides, force=True, path=target)))
            open_s.append(timed(lambda: open_store(target)))
    read, built, opened = (statistics.median(x) for x in (read_s, build_s, open_s))
    machine = f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}, {_cpus()} CPU"
    print(
        f"| {datetime.now(UTC):%Y-%m-%d} | {machine} | {read:.3f} s | {built:.3f} s | {built / read:.2f}× | {opened:.3f} s |"
    )


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


if __name__ == "__main__":
    main()
