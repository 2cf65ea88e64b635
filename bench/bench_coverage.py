"""Benchmark the coverage analysis (issue 4 §3): indicators vs geopandas, scaling, recompute latency.

Run from the repository root::

    BAMAKO_ATLAS_MIRROR=/path/to/OCA_Bamako_Maps /tmp/venv/bin/python bench/bench_coverage.py
    /tmp/venv/bin/python bench/bench_coverage.py --only indicators --repeat 7

The store is read from ``BAMAKO_ATLAS_HOME`` when it holds one; otherwise it
is built into a temporary folder from the sources (mirror or download). Each
measurement runs in a fresh subprocess per grid size, so peak memory
(``ru_maxrss``, and ``tracemalloc`` for the analysis alone) belongs to that
size only. Parts:

``indicators``
    every default kind × threshold × unit level (quartier, commune, District)
    with catchments, at 100 m and 50 m; side by side in the same process, a
    straightforward geopandas version of the same indicators
    (``sjoin_nearest`` per cell, ``groupby``, Voronoi polygons + ``sjoin``) on
    the same inputs, alternated, medians; results must agree (shares to 1e-9).
``scaling``
    10× the facilities (synthetic points uniform in the District, fixed seed,
    same kinds and precisions) at 100, 50, 25 and 15 m (~1 million cells):
    grid, coverage table, catchments, suggestions (k=10, every default kind
    × threshold); plus the heaviest real suggestion (CLAEC at 1 km).
``latency``
    at 100 m with the grid cached: a new threshold, a scenario (3 points
    added, 2 removed) and suggestions, as the coverage view asks for them.
``quality`` (not run by default: about 3 minutes)
    the greedy suggestions against the exact maximal covering optimum on the
    same candidates (HiGHS through ``scipy.optimize.milp``, the integer
    program ``spopt.locate.MCLP`` builds), and the default 250 m lattice
    against every 100 m cell.

Prints what it measured, then Markdown rows for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from geo.analysis.coverage import (  # noqa: E402
    UNIT_LEVELS,
    Scenario,
    access,
    catchments,
    compare,
    coverage,
    coverage_table,
    data_complete,
    default_specs,
    facility_points,
    nearest,
    population_grid,
    resolve_kinds,
    validate,
)
from geo.analysis.coverage.suggest import suggest_sites  # noqa: E402
from geo.store import STORE_NAME, open_store  # noqa: E402
from geo.vocabulary import METRIC_CRS, STORE_CRS  # noqa: E402

INDICATOR_SIZES = (100.0, 50.0)
SCALING_SIZES = (100.0, 50.0, 25.0, 15.0)
#: Targets of issue 4 §3 (seconds, bytes).
TARGET_S = {100.0: 0.5, 50.0: 2.0}
TARGET_MEMORY = 1 << 30
TARGET_SCALE_S = 20.0
TARGET_LATENCY_S = 0.3
FACILITY_FACTOR = 10
SEED = 20260401
#: Tolerances of the side-by-side check: shares absolute, people and metres relative.
SHARE_TOL, REL_TOL = 1e-9, 1e-9


# ---------------------------------------------------------------- helpers


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def traced_peak(fn: Callable[[], object]) -> int:
    """Return the peak of Python/numpy allocations while ``fn`` runs, above what was allocated before."""
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def mb(n: float) -> str:
    return f"{n / 2**20:.0f} MB"


def ms(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def machine() -> str:
    return f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPU"


def today() -> str:
    return f"{datetime.now(UTC):%Y-%m-%d}"


def load_avg() -> str:
    return f"{os.getloadavg()[0]:.1f}"


# ---------------------------------------------------------------- ours


def ours(grid, facilities: gpd.GeoDataFrame) -> tuple[pd.DataFrame, dict[str, gpd.GeoDataFrame]]:
    """Every default kind × threshold × unit level, and every kind's catchments."""
    table = coverage_table(grid, facilities, specs=default_specs())
    areas = {spec.kind: catchments(grid, facility_points(facilities, spec.kind)) for spec in default_specs()}
    return table, areas


# ---------------------------------------------------------------- the geopandas version


def cells_frame(grid) -> gpd.GeoDataFrame:
    """The grid as a GeoDataFrame of cell-centre points (the shared input, built untimed)."""
    return gpd.GeoDataFrame(
        {
            "pop": grid.pop,
            "quartier": grid.quartier_pcodes[grid.unit],
            "commune": grid.commune_of_unit[grid.unit],
            "district": grid.district_pcode,
        },
        geometry=gpd.points_from_xy(grid.x, grid.y),
        crs=METRIC_CRS,
    )


def _nearest(cells: gpd.GeoDataFrame, fac: gpd.GeoDataFrame) -> pd.DataFrame:
    """Distance from each cell to the nearest facility, and that facility's row label (sjoin_nearest)."""
    joined = gpd.sjoin_nearest(cells[["geometry"]], fac[["geometry"]], how="left", distance_col="d")
    joined = joined[~joined.index.duplicated(keep="first")]  # ties give several rows
    return joined[["d", "index_right"]]


def _weighted_median(group: pd.DataFrame) -> pd.Series:
    """Return the population-weighted median distance as an interval (lo, hi).

    The median is the smallest distance at which the cumulated population
    reaches half the unit's; when the half falls on a cell boundary (units
    of equal cells), rounding decides between two neighbours, so both count.
    """
    group = group.sort_values("d", kind="stable")
    cum, d = group["pop"].cumsum().to_numpy(), group["d"].to_numpy()
    if cum[-1] <= 0:
        return pd.Series({"lo": math.nan, "hi": math.nan})
    half = 0.5 * cum[-1]
    lo = d[min(np.searchsorted(cum, half * (1 - 1e-12), side="left"), len(d) - 1)]
    hi = d[min(np.searchsorted(cum, half * (1 + 1e-12), side="left"), len(d) - 1)]
    return pd.Series({"lo": lo, "hi": hi})


def gpd_catchments(cells: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, district) -> pd.DataFrame:
    """Voronoi polygons of the distinct sites clipped to the District; people by point-in-polygon join."""
    sites = gpd.GeoDataFrame(geometry=fac.geometry.drop_duplicates().reset_index(drop=True), crs=METRIC_CRS)
    polygons = gpd.GeoDataFrame(geometry=sites.geometry.voronoi_polygons(extend_to=district), crs=METRIC_CRS)
    # Match polygons to sites before clipping: a snapped site may lie just outside the District.
    site_polygon = gpd.sjoin(sites, polygons, predicate="within")["index_right"]
    polygons = polygons.clip(district)
    served = gpd.sjoin(cells[["pop", "geometry"]], polygons, predicate="intersects")
    served = served[~served.index.duplicated(keep="first")]
    pop = served.groupby("index_right")["pop"].sum()
    site_of = fac.geometry.to_wkb().map({g: i for i, g in enumerate(sites.geometry.to_wkb())})
    n_at = site_of.map(site_of.value_counts())
    polygon = site_of.map(site_polygon)
    total = cells["pop"].sum()
    out = pd.DataFrame({"id": fac["id"].to_numpy()})
    out["pop_served"] = polygon.map(pop).fillna(0.0).to_numpy() / n_at.to_numpy()
    out["share_served"] = out["pop_served"] / total
    out["area_km2"] = polygon.map(polygons.area).to_numpy() / 1e6 / n_at.to_numpy()
    return out


def geopandas_version(cells: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, district):
    """The same indicators and catchments as ``ours``, written plainly with geopandas and pandas."""
    fac_all = facilities[facilities["in_analysis"].astype(bool)].to_crs(METRIC_CRS)
    fac_all = fac_all[~(fac_all.geometry.isna() | fac_all.geometry.is_empty)]
    frames, areas = [], {}
    for spec in default_specs():
        kinds = resolve_kinds(spec.kind)
        fac = fac_all[fac_all["kind"].isin(kinds)]
        near = _nearest(cells, fac)
        exact = fac[fac["location_precision"] == "exact"]
        d = near["d"].to_numpy()
        d_exact = d if len(exact) == len(fac) else _nearest(cells, exact)["d"].to_numpy()
        codes = {
            "quartier": fac["quartier_pcode"],
            "commune": fac["commune_pcode"],
            "district": cells["district"].iloc[0],
        }
        for level in UNIT_LEVELS:
            counts = pd.Series(codes[level], index=fac.index).value_counts()
            base = pd.DataFrame({"g": cells[level].to_numpy(), "pop": cells["pop"].to_numpy(), "d": d})
            median = base.groupby("g")[["d", "pop"]].apply(_weighted_median)
            for threshold in spec.thresholds_m:
                covered = d <= threshold
                df = base.assign(
                    pop_cov=np.where(covered, base["pop"], 0.0),
                    pop_dep=np.where(covered & (d_exact > threshold), base["pop"], 0.0),
                    pop_d=base["pop"] * base["d"],
                )
                agg = df.groupby("g").agg(
                    pop=("pop", "sum"), pop_covered=("pop_cov", "sum"), pop_d=("pop_d", "sum"), dep=("pop_dep", "sum")
                )
                agg["share_covered"] = agg["pop_covered"] / agg["pop"]
                agg["mean_distance_m"] = agg["pop_d"] / agg["pop"]
                agg["median_lo"], agg["median_hi"] = median["lo"], median["hi"]
                agg["facilities"] = counts.reindex(agg.index).fillna(0).astype(int)
                agg["per_10k"] = agg["facilities"] * 10_000 / agg["pop"]
                agg["pop_depending_on_approximate"] = agg["dep"]
                agg["has_facility_data"] = True if data_complete(kinds) else agg["facilities"] > 0
                frames.append(agg.reset_index(names="pcode").assign(unit=level, kind=spec.kind, threshold_m=threshold))
        areas[spec.kind] = gpd_catchments(cells, fac, district)
    return pd.concat(frames, ignore_index=True), areas


def differences(ours_result, gpd_result) -> dict[str, float]:
    """Return the largest disagreement of each compared quantity (0 everywhere when identical)."""
    table, areas = ours_result
    ref, ref_areas = gpd_result
    key = ["kind", "unit", "pcode", "threshold_m"]
    merged = table.merge(ref, on=key, suffixes=("", "_gpd"), how="outer", indicator=True)
    out = {"rows_missing": float((merged["_merge"] != "both").sum())}
    out["share_covered"] = float(np.nanmax(np.abs(merged["share_covered"] - merged["share_covered_gpd"])))
    m = merged["median_distance_m"]
    outside = np.maximum(merged["median_lo"] - m, m - merged["median_hi"]).clip(lower=0) / merged["median_lo"]
    out["median_distance_m"] = float(np.nanmax(outside))
    for col in ("pop", "pop_covered", "mean_distance_m", "per_10k", "pop_depending_on_approximate"):
        a, b = merged[col].to_numpy(float), merged[f"{col}_gpd"].to_numpy(float)
        out[col] = float(np.nanmax(np.abs(a - b) / np.maximum(np.abs(b), 1.0)))
    out["facilities"] = float((merged["facilities"] != merged["facilities_gpd"]).sum())
    out["has_facility_data"] = float((merged["has_facility_data"] != merged["has_facility_data_gpd"]).sum())
    for kind, frame in areas.items():
        m = frame[["id", "share_served", "area_km2"]].merge(ref_areas[kind], on="id", suffixes=("", "_gpd"))
        out["rows_missing"] += abs(len(m) - len(frame))
        out[f"catchment share {kind}"] = float(np.max(np.abs(m["share_served"] - m["share_served_gpd"])))
        out[f"catchment area {kind}"] = float(np.max(np.abs(m["area_km2"] - m["area_km2_gpd"]) / m["area_km2_gpd"]))
    return out


def identical(diff: dict[str, float]) -> bool:
    counts = ("rows_missing", "facilities", "has_facility_data")
    return all(diff[k] == 0 if k in counts else diff[k] <= (SHARE_TOL if "share" in k else REL_TOL) for k in diff)


# ---------------------------------------------------------------- workers (one subprocess per grid size)


def work_indicators(store: Path, cell_m: float, repeat: int) -> dict:
    atlas = open_store(store)
    quartiers, facilities = atlas["quartiers"], atlas["facilities"]
    start = time.perf_counter()
    grid = population_grid(quartiers, facilities, cell_m=cell_m)
    district = grid.district  # cached on the grid: built once per store version, like the grid
    grid_s = time.perf_counter() - start
    rss_before = maxrss_bytes()
    ours(grid, facilities)  # warm-up (imports, caches of the grid)
    peak = traced_peak(lambda: ours(grid, facilities))
    ours_s = [timed(lambda: ours(grid, facilities)) for _ in range(repeat)]
    rss_ours = maxrss_bytes()

    cells = cells_frame(grid)
    ours_t, gpd_t = [], []
    for _ in range(repeat):  # alternated, so both see the same machine load
        ours_t.append(timed(lambda: ours(grid, facilities)))
        gpd_t.append(timed(lambda: geopandas_version(cells, facilities, district)))
    diff = differences(ours(grid, facilities), geopandas_version(cells, facilities, district))
    return {
        "cell_m": cell_m,
        "cells": len(grid),
        "grid_s": grid_s,
        "ours_s": statistics.median(ours_s),
        "ours_side_s": statistics.median(ours_t),
        "gpd_s": statistics.median(gpd_t),
        "traced_peak": peak,
        "rss_before": rss_before,
        "rss_ours": rss_ours,
        "diff": diff,
        "identical": identical(diff),
        "rows": int(len(coverage_table(grid, facilities))),
    }


def synthetic_facilities(quartiers: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, factor: int) -> gpd.GeoDataFrame:
    """Return ``factor`` points per analysed facility of the default kinds, uniform in the District.

    Each copy keeps its original's kind and location precision, so the share
    resting on approximate positions is exercised too. Fixed seed.
    """
    rng = np.random.default_rng(SEED)
    wanted = sorted({k for spec in default_specs() for k in resolve_kinds(spec.kind)})
    src = facilities[facilities["in_analysis"].astype(bool) & facilities["kind"].isin(wanted)].sort_values("id")
    units = quartiers.to_crs(METRIC_CRS)
    district = shapely.union_all(units.geometry.to_numpy())
    shapely.prepare(district)
    minx, miny, maxx, maxy = district.bounds
    n = len(src) * factor
    xs, ys = np.empty(0), np.empty(0)
    while len(xs) < n:
        x, y = rng.uniform(minx, maxx, 2 * n), rng.uniform(miny, maxy, 2 * n)
        inside = shapely.contains_xy(district, x, y)
        xs, ys = np.r_[xs, x[inside]], np.r_[ys, y[inside]]
    points = gpd.GeoDataFrame(
        {
            "id": [f"syn-{i:05d}" for i in range(n)],
            "kind": np.repeat(src["kind"].to_numpy(), factor),
            "location_precision": np.repeat(src["location_precision"].to_numpy(), factor),
            "in_analysis": True,
        },
        geometry=gpd.points_from_xy(xs[:n], ys[:n]),
        crs=METRIC_CRS,
    )
    located = gpd.sjoin(points, units[["pcode", "commune_pcode", "geometry"]], predicate="within", how="left")
    located = located[~located.index.duplicated(keep="first")]
    points["quartier_pcode"] = located["pcode"].to_numpy()
    points["commune_pcode"] = located["commune_pcode"].to_numpy()
    return points.to_crs(STORE_CRS)


def work_scaling(store: Path, cell_m: float, repeat: int) -> dict:
    atlas = open_store(store)
    quartiers, facilities = atlas["quartiers"], atlas["facilities"]
    syn = synthetic_facilities(quartiers, facilities, FACILITY_FACTOR)
    state: dict = {}

    def grid_stage():
        state["grid"] = population_grid(quartiers, facilities, cell_m=cell_m)
        state["grid"].district  # noqa: B018 — the union is part of the cached grid

    def table_stage():
        coverage_table(state["grid"], syn, specs=default_specs())

    def catchment_stage():
        for spec in default_specs():
            catchments(state["grid"], facility_points(syn, spec.kind))

    def suggest_stage():
        for spec in default_specs():
            points = facility_points(syn, spec.kind)
            near = nearest(state["grid"], points)  # shared by the kind's thresholds, as the web view caches it
            for threshold in spec.thresholds_m:
                suggest_sites(state["grid"], points, threshold_m=threshold, k=10, nearest_result=near)

    def worst_stage():
        suggest_sites(state["grid"], facility_points(facilities, "claec"), threshold_m=1000, k=10)

    stages = {"grid": grid_stage, "table": table_stage, "catchments": catchment_stage, "suggest": suggest_stage}
    times = {name: [] for name in [*stages, "worst"]}
    for _ in range(repeat):
        for name, fn in stages.items():
            times[name].append(timed(fn))
        times["worst"].append(timed(worst_stage))
    peaks = {}
    tracemalloc.start()
    for name, fn in [*stages.items(), ("worst", worst_stage)]:
        tracemalloc.reset_peak()
        fn()
        peaks[name] = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "cell_m": cell_m,
        "cells": len(state["grid"]),
        "facilities": len(syn),
        "times": {k: statistics.median(v) for k, v in times.items()},
        "peaks": peaks,
        "rss": maxrss_bytes(),
    }


def work_latency(store: Path, cell_m: float, repeat: int) -> dict:
    atlas = open_store(store)
    facilities = atlas["facilities"]
    grid = population_grid(atlas["quartiers"], facilities, cell_m=cell_m)
    grid.district  # noqa: B018 — cached with the grid
    base = facility_points(facilities, "cscom")
    base_access = access(grid, base)
    rng = np.random.default_rng(SEED)
    populated = np.flatnonzero(grid.pop > 0)
    from pyproj import Transformer

    added = rng.choice(populated, 3, replace=False)
    lon, lat = Transformer.from_crs(METRIC_CRS, STORE_CRS, always_xy=True).transform(grid.x[added], grid.y[added])
    scenario = Scenario(add=tuple(zip(lon, lat, strict=True)), remove=tuple(sorted(base.ids[~base.approximate])[:2]))
    thresholds = iter(np.tile(np.arange(800.0, 5000.0, 100.0), 100))

    def threshold_cached():
        coverage(grid, base, threshold_m=next(thresholds), unit="quartier", access_result=base_access)

    def threshold_fresh():
        threshold = next(thresholds)
        points = facility_points(facilities, "cscom")
        acc = access(grid, points)
        for level in UNIT_LEVELS:
            coverage(grid, points, threshold_m=threshold, unit=level, access_result=acc)

    def scenario_compare():
        compare(grid, facilities, "cscom", scenario, threshold_m=2000, unit="quartier", base_access=base_access)

    def scenario_full():
        scenario_compare()
        catchments(grid, validate(scenario, grid, facilities, "cscom"))

    cases = {
        "threshold_cached": threshold_cached,
        "threshold_fresh": threshold_fresh,
        "scenario": scenario_compare,
        "scenario_catchments": scenario_full,
        "suggest_cscom_2km": lambda: suggest_sites(grid, base, threshold_m=2000, k=10),
        "suggest_claec_1km": lambda: suggest_sites(grid, facility_points(facilities, "claec"), threshold_m=1000, k=10),
    }
    out = {}
    for name, fn in cases.items():
        fn()  # warm-up
        runs = sorted(timed(fn) for _ in range(repeat))
        out[name] = {"median": statistics.median(runs), "max": runs[-1]}
    return {"cell_m": cell_m, "cells": len(grid), "cases": out, "scenario": scenario.as_params()}


def exact_mclp(incidence, weights: np.ndarray, k: int, *, time_limit_s: float) -> tuple[float, float, int]:
    """Solve the maximal covering location problem exactly (HiGHS through ``scipy.optimize.milp``).

    The integer program of Church & ReVelle (1974), as ``spopt.locate.MCLP``
    builds it: binary x_i (site i open), y_j ∈ [0, 1] (cell j covered),
    maximise Σ w_j y_j subject to y_j ≤ Σ_{i covers j} x_i and Σ x_i = k.
    Returns (people covered, seconds, solver status).
    """
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp

    n, m = incidence.shape
    cover = LinearConstraint(sparse.hstack([-incidence.T.astype(float), sparse.identity(m)]).tocsr(), -np.inf, 0)
    count = LinearConstraint(sparse.csr_array(np.r_[np.ones(n), np.zeros(m)][None, :]), k, k)
    start = time.perf_counter()
    result = milp(
        np.r_[np.zeros(n), -weights],
        constraints=[cover, count],
        integrality=np.r_[np.ones(n), np.zeros(m)],
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit_s},
    )
    covered = -result.fun if result.x is not None else math.nan
    return covered, time.perf_counter() - start, int(result.status)


def work_quality(store: Path, cell_m: float, repeat: int) -> dict:
    """Greedy on the default lattice vs greedy on every cell vs the exact MCLP optimum (same candidates)."""
    from geo.analysis.coverage import suggest

    atlas = open_store(store)
    facilities = atlas["facilities"]
    grid = population_grid(atlas["quartiers"], facilities, cell_m=cell_m)
    out = []
    for kind, threshold in (("cscom", 1000.0), ("cscom", 2000.0)):
        points = facility_points(facilities, kind)
        cells = np.flatnonzero((grid.pop > 0) & (nearest(grid, points).distance_m > threshold))
        weights = grid.pop[cells]
        lattice = suggest.candidate_cells(grid, spacing_m=suggest.DEFAULT_CANDIDATE_SPACING_M)
        every = suggest.candidate_cells(grid, spacing_m=grid.cell_m)
        on_lattice = suggest.coverage_incidence(grid, lattice, cells, threshold_m=threshold)
        on_cells = suggest.coverage_incidence(grid, every, cells, threshold_m=threshold)
        for k in (3, 10):
            start = time.perf_counter()
            greedy = suggest.greedy_max_cover(on_lattice, weights, k=k).gains.sum()
            greedy_s = time.perf_counter() - start
            greedy_all = suggest.greedy_max_cover(on_cells, weights, k=k).gains.sum()
            optimum, milp_s, status = exact_mclp(on_lattice, weights, k, time_limit_s=300)
            out.append(
                {
                    "kind": kind,
                    "threshold_m": threshold,
                    "k": k,
                    "candidates": len(lattice),
                    "cells": len(cells),
                    "greedy": greedy,
                    "greedy_s": greedy_s,
                    "greedy_every_cell": greedy_all,
                    "optimum": optimum,
                    "milp_s": milp_s,
                    "milp_status": status,
                }
            )
    return {"cell_m": cell_m, "cases": out}


WORKERS = {"indicators": work_indicators, "scaling": work_scaling, "latency": work_latency, "quality": work_quality}


# ---------------------------------------------------------------- driver


def find_store(tmp: Path) -> Path:
    """Return the store of BAMAKO_ATLAS_HOME, or build one into ``tmp`` from the sources."""
    home = os.environ.get("BAMAKO_ATLAS_HOME")
    if home and (Path(home) / STORE_NAME).is_file():
        return Path(home) / STORE_NAME
    from geo.pipeline.build import build

    target = tmp / STORE_NAME
    print(f"building a store into {tmp} …", file=sys.stderr)
    build({"CACHE": str(tmp / "cache")}, force=True, path=target)
    return target


def run_worker(part: str, store: Path, cell_m: float, repeat: int) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        part,
        "--store",
        str(store),
        "--cell",
        str(cell_m),
        "--repeat",
        str(repeat),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"worker {part} at {cell_m:g} m failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def report_indicators(results: list[dict]) -> list[str]:
    rows = []
    for r in results:
        target = TARGET_S[r["cell_m"]]
        ratio = r["gpd_s"] / r["ours_side_s"]
        worst = max((k for k in r["diff"]), key=lambda k: r["diff"][k])
        print(
            f"indicators {r['cell_m']:g} m: {r['cells']} cells, {r['rows']} rows; grid {ms(r['grid_s'])}; "
            f"ours {ms(r['ours_s'])} (target {target} s), side by side {ms(r['ours_side_s'])} vs geopandas "
            f"{ms(r['gpd_s'])} = {ratio:.1f}×; identical: {r['identical']} (largest difference {worst}: "
            f"{r['diff'][worst]:.2e}); traced peak {mb(r['traced_peak'])}, RSS {mb(r['rss_before'])} → {mb(r['rss_ours'])}"
        )
        rows.append(
            f"| {today()} | {machine()} | {r['cell_m']:g} m | {r['cells']:,} | {ms(r['grid_s'])} | "
            f"{ms(r['ours_s'])} {'✓' if r['ours_s'] < target else '✗'} < {target:g} s | {ms(r['ours_side_s'])} | "
            f"{ms(r['gpd_s'])} | {ratio:.1f}× | {'yes' if r['identical'] else 'NO'} | "
            f"{mb(r['traced_peak'])} / {mb(r['rss_ours'])} {'✓' if r['rss_ours'] < TARGET_MEMORY else '✗'} | {r['load']} |"
        )
    return rows


def report_scaling(results: list[dict]) -> list[str]:
    rows = []
    for r in results:
        t = r["times"]
        total = t["grid"] + t["table"] + t["catchments"] + t["suggest"]
        print(
            f"scaling {r['cell_m']:g} m: {r['cells']} cells, {r['facilities']} facilities: "
            + ", ".join(f"{k} {ms(v)}" for k, v in t.items())
            + f"; total {ms(total)}; RSS {mb(r['rss'])}"
        )
        rows.append(
            f"| {today()} | {machine()} | {r['cell_m']:g} m | {r['cells']:,} | {r['facilities']} | {ms(t['grid'])} | "
            f"{ms(t['table'])} | {ms(t['catchments'])} | {ms(t['suggest'])} | **{ms(total)}** | {ms(t['worst'])} | "
            f"{mb(max(r['peaks'].values()))} / {mb(r['rss'])} | {r['load']} |"
        )
    first, last = results[0], results[-1]
    growth = math.log(last["cells"] / first["cells"])
    exps = {
        k: math.log(last["times"][k] / first["times"][k]) / growth
        for k in first["times"]
        if first["times"][k] > 0 and last["times"][k] > 0
    }
    print(
        "growth exponent (time ∝ cells^e) from",
        f"{first['cell_m']:g} to {last['cell_m']:g} m:",
        ", ".join(f"{k} {e:.2f}" for k, e in exps.items()),
    )
    rows.append(
        f"| | | growth {first['cell_m']:g}→{last['cell_m']:g} m (time ∝ cells^e) | ×{last['cells'] / first['cells']:.0f} | | "
        + " | ".join(f"e = {exps.get(k, float('nan')):.2f}" for k in ("grid", "table", "catchments", "suggest"))
        + f" | | e = {exps.get('worst', float('nan')):.2f} | | |"
    )
    return rows


def report_latency(r: dict) -> list[str]:
    c = r["cases"]
    print(f"latency {r['cell_m']:g} m ({r['cells']} cells), scenario {r['scenario']}:")
    for name, v in c.items():
        print(f"  {name}: median {ms(v['median'])}, max {ms(v['max'])}")

    def cell(name: str) -> str:
        ok = "✓" if c[name]["median"] < TARGET_LATENCY_S else "✗"
        return f"{ms(c[name]['median'])} {ok}"

    return [
        f"| {today()} | {machine()} | {cell('threshold_cached')} | {cell('threshold_fresh')} | {cell('scenario')} | "
        f"{cell('scenario_catchments')} | {cell('suggest_cscom_2km')} | {cell('suggest_claec_1km')} | {r['load']} |"
    ]


def report_quality(r: dict) -> list[str]:
    rows = []
    for c in r["cases"]:
        ratio = c["greedy"] / c["optimum"]
        print(
            f"quality {c['kind']} {c['threshold_m']:g} m k={c['k']}: greedy {c['greedy']:.0f} in {ms(c['greedy_s'])}, "
            f"exact MCLP {c['optimum']:.0f} in {c['milp_s']:.1f} s (status {c['milp_status']}), ratio {ratio:.4f}; "
            f"greedy on every {r['cell_m']:g} m cell {c['greedy_every_cell']:.0f}"
        )
        rows.append(
            f"| {today()} | {machine()} | {c['kind']} {c['threshold_m']:g} m | {c['k']} | {c['candidates']:,} × "
            f"{c['cells']:,} | {c['greedy']:,.0f} in {ms(c['greedy_s'])} | {c['optimum']:,.0f} in {c['milp_s']:.0f} s | "
            f"{ratio:.4f} | {c['greedy'] / c['greedy_every_cell']:.4f} | {r['load']} |"
        )
    return rows


HEADERS = {
    "indicators": (
        "| date | machine | cell | cells | grid (once per store) | ours: 7 kind×threshold × 3 levels + 3 catchments "
        "| ours, side by side | geopandas, side by side | geopandas ÷ ours | identical | peak traced / RSS |"
        " load avg |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
    ),
    "scaling": (
        "| date | machine | cell | cells | facilities (10×) | grid | coverage table | catchments | suggestions k=10 "
        "(7 kind×threshold) | total | worst suggestion (real CLAEC, 1 km) | peak traced / RSS | load avg |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    ),
    "latency": (
        "| date | machine | new threshold (distances cached) | new threshold (distances recomputed, 3 levels) "
        "| scenario +3 −2 (compare) | scenario + catchments | suggest k=10 CSCOM 2 km | suggest k=10 CLAEC 1 km "
        "| load avg |\n|---|---|---|---|---|---|---|---|---|"
    ),
    "quality": (
        "| date | machine | kind, threshold | k | candidates (250 m) × uncovered cells | greedy: people, time "
        "| exact MCLP (HiGHS): people, time | greedy ÷ optimum | 250 m lattice ÷ every cell (greedy) | load avg |\n"
        "|---|---|---|---|---|---|---|---|---|---|"
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--only", default="indicators,scaling,latency", help="comma-separated parts (also: quality, about 3 minutes)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (medians)")
    parser.add_argument("--scaling-repeat", type=int, default=3, help="runs per scaling stage")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cell", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        result = WORKERS[args.worker](args.store, args.cell, args.repeat)
        print(json.dumps({**result, "load": load_avg()}))  # the load average at the end of this worker
        return

    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(WORKERS))
    if unknown:
        parser.error(f"unknown parts {unknown}; allowed: {', '.join(WORKERS)}")
    rows: dict[str, list[str]] = {}
    failed = False
    with tempfile.TemporaryDirectory(prefix="bench-coverage-") as tmp:
        store = find_store(Path(tmp))
        if "indicators" in parts:
            results = [run_worker("indicators", store, c, args.repeat) for c in INDICATOR_SIZES]
            failed |= not all(r["identical"] for r in results)
            rows["indicators"] = report_indicators(results)
        if "scaling" in parts:
            results = [run_worker("scaling", store, c, args.scaling_repeat) for c in SCALING_SIZES]
            rows["scaling"] = report_scaling(results)
        if "latency" in parts:
            rows["latency"] = report_latency(run_worker("latency", store, 100.0, max(args.repeat, 20)))
        if "quality" in parts:
            rows["quality"] = report_quality(run_worker("quality", store, 100.0, 1))
    for part, lines in rows.items():
        print(f"\n{part}:\n{HEADERS[part]}")
        print("\n".join(lines))
    if failed:
        raise SystemExit("the geopandas version disagrees with ours (see 'identical' above)")


if __name__ == "__main__":
    main()
