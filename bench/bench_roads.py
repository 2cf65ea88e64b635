"""Benchmark a road layer import and travel time on it (issue 11 §3), on a synthetic street grid over the District.

Run from the repository root with a built store in ``BAMAKO_ATLAS_HOME``::

    BAMAKO_ATLAS_HOME=/path/to/home .venv/bin/python bench/bench_roads.py

No road data ships with the atlas and nothing is downloaded: the extract is a street every ``--spacing``
metres both ways over the District's raster (ways of three nodes, classes in turn: primary, secondary,
residential ×2, track), written as OpenStreetMap XML. Measured: parse + preview in the budgeted child
process, saving the preview, the commit (one transaction), loading the layer (first and cached); then
for 100 m and 50 m cells the road raster, the moto network and ``travel_coverage_table`` for CSCOM,
hospitals and CLAEC (cold, then cached). Temporary files go to the system temp folder and are removed.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from pyproj import Transformer

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from geo.analysis.coverage import population_grid  # noqa: E402
from geo.analysis.travel import Raster, build_network, travel_coverage_table  # noqa: E402
from geo.planning.edits import EditStore  # noqa: E402
from geo.planning.imports import commit, current_road_layer, parse_and_preview, save_preview  # noqa: E402
from geo.store import STORE_NAME, open_store  # noqa: E402

CLASSES = ("primary", "secondary", "residential", "residential", "track")
KINDS = ("cscom", "hospital", "claec")


def _store() -> Path:
    home = os.environ.get("BAMAKO_ATLAS_HOME")
    if not home or not (Path(home) / STORE_NAME).is_file():
        sys.exit("set BAMAKO_ATLAS_HOME to a folder holding a built store (bamako-atlas data build)")
    return Path(home) / STORE_NAME


def street_grid_osm(raster: Raster, spacing_m: float) -> tuple[bytes, int]:
    """Return an OSM XML street grid over ``raster`` (ways of three nodes) and its number of ways."""
    to_lonlat = Transformer.from_crs("EPSG:32629", "EPSG:4326", always_xy=True)
    xs = np.arange(raster.origin_x + spacing_m / 2, raster.origin_x + raster.n_cols * raster.cell_m, spacing_m)
    ys = np.arange(raster.origin_y + spacing_m / 2, raster.origin_y + raster.n_rows * raster.cell_m, spacing_m)
    grid_x, grid_y = np.meshgrid(xs, ys)
    lon, lat = to_lonlat.transform(grid_x.ravel(), grid_y.ravel())
    ids = np.arange(1, grid_x.size + 1).reshape(grid_x.shape)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="bench_roads">']
    parts += [
        f'<node id="{i}" version="1" lat="{b:.7f}" lon="{a:.7f}"/>'
        for i, a, b in zip(ids.ravel(), lon, lat, strict=True)
    ]
    way = 0
    for line in (*ids, *ids.T):  # rows, then columns
        for k in range(0, len(line) - 2, 2):
            way += 1
            nodes = "".join(f'<nd ref="{n}"/>' for n in line[k : k + 3])
            parts.append(f'<way id="{way}" version="1">{nodes}<tag k="highway" v="{CLASSES[way % 5]}"/></way>')
    parts.append("</osm>")
    return "\n".join(parts).encode(), way


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spacing", type=float, default=150.0, help="metres between streets")
    args = parser.parse_args()
    atlas = open_store(_store())
    fac, quartiers = atlas["facilities"], atlas["quartiers"]
    raster = Raster.of(population_grid(quartiers, fac, cell_m=100.0))
    data, ways = street_grid_osm(raster, args.spacing)
    when = f"{datetime.now(UTC):%Y-%m-%d}"
    where = f"{platform.machine()}, CPython {platform.python_version()}, {os.cpu_count()} CPU"
    with tempfile.TemporaryDirectory(prefix="atlas-roads-") as tmp:
        db = Path(tmp) / "edits.sqlite"
        edits = EditStore(db, base=fac, quartiers=quartiers)
        pv, parse_s = _timed(
            lambda: parse_and_preview(data, "grid.osm", quartiers=quartiers, existing=None, target="roads")
        )
        import_id, save_s = _timed(lambda: save_preview(db, pv, user="bench"))
        _, commit_s = _timed(lambda: commit(import_id, edits, "bench"))
        layer, load_s = _timed(lambda: current_road_layer(db))
        _, again_s = _timed(lambda: current_road_layer(db))
        edits.close()
    print(f"{when} · {where} · synthetic street grid every {args.spacing:g} m: {ways} ways, {len(data) / 2**20:.1f} MB")
    print()
    print("| ways imported | parse + preview (child) | save preview | commit | load layer | again (cached) |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {len(layer)} | {parse_s:.2f} s | {save_s:.2f} s | {commit_s:.2f} s | {load_s:.2f} s | "
        f"{again_s * 1000:.1f} ms |"
    )
    print()
    print("| cell | road cells | road raster | moto network | 3 kinds × thresholds × 3 levels, cold | cached |")
    print("|---|---:|---:|---:|---:|---:|")
    for cell in (100.0, 50.0):
        grid = population_grid(quartiers, fac, cell_m=cell)
        road_raster, raster_s = _timed(lambda grid=grid: layer.raster(Raster.of(grid)))
        _, network_s = _timed(lambda grid=grid: build_network(grid, mode="moto", roads=layer))
        run = lambda grid=grid: travel_coverage_table(grid, fac, KINDS, mode="moto", roads=layer)  # noqa: E731
        _, cold_s = _timed(run)
        _, warm_s = _timed(run)
        print(
            f"| {cell:g} m | {int((road_raster > 0).sum())} / {road_raster.size} | {raster_s:.2f} s | "
            f"{network_s:.2f} s | {cold_s:.2f} s | {warm_s * 1000:.0f} ms |"
        )


if __name__ == "__main__":
    main()
