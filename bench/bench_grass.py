"""Compare the atlas's travel-time engine with GRASS GIS ``r.cost -k`` on the same friction surface (issue 11 §5).

Run from the repository root with a built store in ``BAMAKO_ATLAS_HOME`` and GRASS GIS installed
(Debian package ``grass-core``, bench only: ``apt-get install grass-core``)::

    BAMAKO_ATLAS_HOME=/path/to/home .venv/bin/python bench/bench_grass.py [--cell 100] [--kinds cscom,hospital,claec]

For the real District at ``--cell`` metres, walking, wet season (bridges only):

1. the engine's network (``build_network``): its friction raster (seconds per metre, inf on the river
   band and outside the District) is written as an ESRI ASCII grid in seconds per cell (GRASS's cost
   unit: the cost of crossing one cell width), null where impassable;
2. for each kind, the start cells are the passable cells nearest each facility (the engine's own
   stand-in rule); GRASS ``r.cost -k`` (16 neighbours: the knight's move, the engine's connectivity;
   null cells excluded, GRASS's default) runs from them in a throw-away location in EPSG:32629;
3. the engine runs twice: as the atlas does (facility points where they are) and from the same start
   cells' centres (isolating the graph from the facility links);
4. per passable cell: |engine − r.cost| in minutes (median, p95, max); per quartier: the share of
   inhabitants within 15 and 30 minutes (grid cells on the river band take their stand-in's time plus
   the walk to it, for both), the difference in percentage points (median, p95, max) and the District
   shares.

Prints Markdown rows for bench/RESULTS.md. Temporary files go to the system temp folder and are removed.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from geo.analysis.coverage import FacilityPoints, facility_points, population_grid  # noqa: E402
from geo.analysis.travel import build_network, travel_time  # noqa: E402
from geo.store import STORE_NAME, open_store  # noqa: E402

THRESHOLDS_MIN = (15.0, 30.0)
NODATA = -9999


def _store() -> Path:
    home = os.environ.get("BAMAKO_ATLAS_HOME")
    if not home or not (Path(home) / STORE_NAME).is_file():
        sys.exit("set BAMAKO_ATLAS_HOME to a folder holding a built store (bamako-atlas data build)")
    return Path(home) / STORE_NAME


def _grass() -> str:
    for name in ("grass", "grass82", "grass83", "grass78"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("GRASS GIS not found: apt-get install grass-core (bench only, not needed by CI)")


def _write_ascii(path: Path, values: np.ndarray, raster) -> None:
    """Write ``values`` (rows × columns, row 0 at the bottom as the engine's raster) as an ESRI ASCII grid."""
    header = (
        f"ncols {raster.n_cols}\nnrows {raster.n_rows}\nxllcorner {raster.origin_x!r}\n"
        f"yllcorner {raster.origin_y!r}\ncellsize {raster.cell_m!r}\nNODATA_value {NODATA}\n"
    )
    with path.open("w") as f:
        f.write(header)
        np.savetxt(f, np.where(np.isfinite(values), values, NODATA)[::-1], fmt="%.6f")


def _read_ascii(path: Path) -> np.ndarray:
    """Read an ASCII grid written by ``r.out.ascii`` back into the engine's orientation (NaN for null)."""
    with path.open() as f:
        lines = f.read().splitlines()
    head = {}
    i = 0
    while lines[i].split()[0].lower() in ("north:", "south:", "east:", "west:", "rows:", "cols:", "null:"):
        key, value = lines[i].split()[:2]
        head[key.rstrip(":").lower()] = value
        i += 1
    data = np.array([[float(v) if v != "*" else np.nan for v in line.split()] for line in lines[i:] if line.strip()])
    return data[::-1]


def _r_cost(grass: str, workdir: Path, cost_s_per_cell: np.ndarray, starts: np.ndarray, raster) -> tuple:
    """Return (r.cost cumulative seconds per raster cell, NaN where null; wall seconds of r.cost)."""
    cost_asc, start_asc, out_asc = workdir / "cost.asc", workdir / "start.asc", workdir / "out.asc"
    _write_ascii(cost_asc, cost_s_per_cell, raster)
    start = np.full(raster.shape, np.nan)
    start[np.unravel_index(starts, raster.shape)] = 1
    _write_ascii(start_asc, start, raster)
    location = workdir / "loc"
    if not location.exists():
        subprocess.run([grass, "-c", "EPSG:32629", str(location), "-e"], check=True, capture_output=True)
    mapset = str(location / "PERMANENT")
    script = workdir / "run.sh"
    script.write_text(
        "set -e\n"
        f"r.in.gdal -o --overwrite input={cost_asc} output=cost\n"
        f"r.in.gdal -o --overwrite input={start_asc} output=start\n"
        "g.region raster=cost\n"
        "r.cost -k --overwrite input=cost output=cum start_raster=start\n"
        f"r.out.ascii --overwrite input=cum output={out_asc} null_value=* precision=6\n"
    )
    begin = time.perf_counter()
    done = subprocess.run([grass, mapset, "--exec", "bash", str(script)], capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"GRASS failed:\n{done.stderr[-3000:]}")
    return _read_ascii(out_asc), time.perf_counter() - begin


def _per_grid_cell(network, raster_seconds: np.ndarray) -> np.ndarray:
    """Return minutes per grid cell from seconds per raster cell with the engine's stand-in rule."""
    node = network.cell_node
    out = np.full(len(node), np.inf)
    ok = node >= 0
    values = raster_seconds.ravel()[node[ok]]
    out[ok] = np.where(np.isfinite(values), (values + network.cell_extra_s[ok]) / 60.0, np.inf)
    return out


def _shares(grid, minutes: np.ndarray, threshold: float) -> np.ndarray:
    n = int(grid.unit.max()) + 1
    pop = np.bincount(grid.unit, weights=grid.pop, minlength=n)
    within = np.bincount(grid.unit, weights=grid.pop * (minutes <= threshold), minlength=n)
    return np.divide(within, pop, out=np.full(n, np.nan), where=pop > 0)


def _stats(values: np.ndarray) -> tuple[float, float, float]:
    values = values[np.isfinite(values)]
    return float(np.median(values)), float(np.percentile(values, 95)), float(values.max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell", type=float, default=100.0)
    parser.add_argument("--kinds", default="cscom,hospital,claec")
    args = parser.parse_args()
    grass = _grass()
    done = subprocess.run([grass, "--version"], capture_output=True, text=True)
    version = (done.stdout + done.stderr).strip().splitlines()[0]
    atlas = open_store(_store())
    fac = atlas["facilities"]
    grid = population_grid(atlas["quartiers"], fac, cell_m=args.cell)
    network = build_network(grid, season="wet")
    raster = network.raster
    flat = network.cost.ravel()
    passable = np.isfinite(flat)
    rows = []
    with tempfile.TemporaryDirectory(prefix="atlas-grass-") as tmp:
        workdir = Path(tmp)
        for kind in args.kinds.split(","):
            points = facility_points(fac, kind)
            # the start cell of a facility: the passable cell nearest it (its own cell when passable)
            tree_i = network._tree.query(np.column_stack([points.x, points.y]), k=1)[1]
            starts = np.unique(network.passable_nodes[np.atleast_1d(tree_i)])
            grass_s, grass_wall = _r_cost(grass, workdir, network.cost * raster.cell_m, starts, raster)
            begin = time.perf_counter()
            atlas_tt = travel_time(network, grid, points)
            engine_wall = time.perf_counter() - begin
            sx, sy = raster.centres(*np.divmod(starts, raster.n_cols))
            centred = travel_time(network, grid, FacilityPoints.from_xy(sx, sy))
            grass_min = _per_grid_cell(network, grass_s)
            on_raster = grid.col >= 0
            own = np.zeros(len(grid), bool)
            own[on_raster] = passable[grid.row[on_raster] * raster.n_cols + grid.col[on_raster]]
            both = own & np.isfinite(grass_min) & np.isfinite(atlas_tt.minutes)
            diff_atlas = np.abs(atlas_tt.minutes - grass_min)[both]
            diff_centred = np.abs(centred.minutes - grass_min)[both]
            reach_atlas = int((np.isfinite(atlas_tt.minutes) & own).sum())
            reach_grass = int((np.isfinite(grass_min) & own).sum())
            row = {
                "kind": kind,
                "facilities": len(points),
                "starts": len(starts),
                "cells": int(both.sum()),
                "reach": (reach_atlas, reach_grass),
                "cell_atlas": _stats(diff_atlas),
                "cell_centred": _stats(diff_centred),
                "grass_s": grass_wall,
                "engine_s": engine_wall,
            }
            total = grid.pop.sum()
            for t in THRESHOLDS_MIN:
                qa, qg = _shares(grid, atlas_tt.minutes, t), _shares(grid, grass_min, t)
                row[f"q{t:g}"] = _stats(np.abs(qa - qg) * 100)
                row[f"n{t:g}"] = int((np.abs(qa - qg) > 0.05).sum())
                row[f"c{t:g}"] = float(np.nanmax(np.abs(_shares(grid, centred.minutes, t) - qg)) * 100)
                row[f"d{t:g}"] = (
                    float(grid.pop[atlas_tt.minutes <= t].sum() / total),
                    float(grid.pop[grass_min <= t].sum() / total),
                )
            rows.append(row)
    when = f"{datetime.now(UTC):%Y-%m-%d}"
    where = f"{platform.machine()}, CPython {platform.python_version()}, {os.cpu_count()} CPU"
    print(
        f"{when} · {where} · {version} · {args.cell:g} m cells · walking, wet season · r.cost -k (16 neighbours) · "
        f"{int(grid.unit.max()) + 1} quartiers"
    )
    print()
    print(
        "| kind | facilities (start cells) | cells compared | engine − r.cost per cell, absolute: median / p95 / max | "
        "same, engine from the start cells | quartier share ≤ 15 min, absolute Δ median / p95 / max | "
        "≤ 30 min | quartiers > 5 pt apart (15 / 30 min) | same, engine from the start cells: max absolute Δ | "
        "District ≤ 15 min engine / r.cost | ≤ 30 min | r.cost / engine run |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        ca, cc, q15, q30 = r["cell_atlas"], r["cell_centred"], r["q15"], r["q30"]
        print(
            f"| `{r['kind']}` | {r['facilities']} ({r['starts']}) | {r['cells']} | "
            f"{ca[0]:.2f} / {ca[1]:.2f} / {ca[2]:.2f} min | {cc[0]:.3f} / {cc[1]:.3f} / {cc[2]:.3f} min | "
            f"{q15[0]:.2f} / {q15[1]:.2f} / {q15[2]:.2f} pt | {q30[0]:.2f} / {q30[1]:.2f} / {q30[2]:.2f} pt | "
            f"{r['n15']} / {r['n30']} | {r['c15']:.2f} / {r['c30']:.2f} pt | "
            f"{r['d15'][0]:.1%} / {r['d15'][1]:.1%} | {r['d30'][0]:.1%} / {r['d30'][1]:.1%} | "
            f"{r['grass_s']:.1f} s / {r['engine_s'] * 1000:.0f} ms |"
        )
    unreached = [(r["kind"], r["reach"]) for r in rows if r["reach"][0] != r["reach"][1]]
    if unreached:
        print(f"\ncells reached differ (engine, r.cost): {unreached}")


if __name__ == "__main__":
    main()
