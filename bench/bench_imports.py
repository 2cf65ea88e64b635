"""Benchmark an import of 10 000 facilities: parse + preview, then commit (issue 5 §7).

Run: ``.venv/bin/python bench/bench_imports.py`` with BAMAKO_ATLAS_MIRROR set
(or network access to download the sources once). It builds the real store in
a temporary home, writes a synthetic CSV of 10 000 facilities drawn uniformly
inside the District's quartiers (fixed seed; 5 % placed by quartier name,
health rows with a bed count), then times, over ``--repeat`` runs:

- parse + preview: ``parse_upload``, then ``EditStore.current()`` and
  ``preview`` against those facilities (duplicates within 50 m);
- commit: ``save_preview`` + ``commit`` into a fresh ``edits.sqlite``
  (``EditStore.apply_rows``, one transaction, WAL, ``synchronous=FULL``).

Targets: each under 5 s. Prints a Markdown row for bench/RESULTS.md; nothing
is written under ``bench/``.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.pipeline.build import build  # noqa: E402
from geo.planning.edits import EditStore  # noqa: E402
from geo.planning.imports import commit, parse_upload, preview, save_preview  # noqa: E402
from geo.store import open_store  # noqa: E402
from geo.vocabulary import KINDS, METRIC_CRS, STORE_CRS  # noqa: E402

SEED = 20261129
ROWS = 10_000
#: Share of rows that repeat an existing facility.
DUPLICATES = 0.02
TARGET_S = 5.0


def _inside_points(quartiers, count: int, rng: np.random.Generator) -> gpd.GeoSeries:
    """Return ``count`` points drawn uniformly inside the quartiers (rejection sampling in metres), EPSG:4326."""
    area = shapely.union_all(quartiers.to_crs(METRIC_CRS).geometry.values)
    shapely.prepare(area)
    xmin, ymin, xmax, ymax = area.bounds
    xs, ys = [], []
    while sum(len(x) for x in xs) < count:
        x, y = rng.uniform(xmin, xmax, count), rng.uniform(ymin, ymax, count)
        keep = shapely.contains_xy(area, x, y)
        xs.append(x[keep])
        ys.append(y[keep])
    points = gpd.points_from_xy(np.concatenate(xs)[:count], np.concatenate(ys)[:count])
    return gpd.GeoSeries(points, crs=METRIC_CRS).to_crs(STORE_CRS)


def synthetic_csv(quartiers, base, *, rows: int = ROWS, duplicates: float = DUPLICATES, seed: int = SEED) -> bytes:
    """Return a CSV of ``rows`` facilities inside the District (lat/lon in EPSG:4326, 6 decimals).

    5 % of the new rows are placed by quartier name; health rows carry a bed
    count. A ``duplicates`` share of the rows repeat an existing facility of
    ``base`` (same kind and name, moved by up to 30 m): the preview must find them.
    """
    rng = np.random.default_rng(seed)
    named = base["name"].fillna("").str.strip() != ""
    exact = base[(base["location_precision"] == "exact") & (base["join_status"] == "inside") & named]
    exact = exact.to_crs(METRIC_CRS)
    copied = exact.iloc[rng.choice(len(exact), int(rows * duplicates), replace=False)]
    angle, dist = rng.uniform(0, 2 * np.pi, len(copied)), rng.uniform(0, 30, len(copied))
    moved = gpd.GeoSeries(
        gpd.points_from_xy(copied.geometry.x + dist * np.cos(angle), copied.geometry.y + dist * np.sin(angle)),
        crs=METRIC_CRS,
    ).to_crs(STORE_CRS)
    fresh = rows - len(copied)
    points = _inside_points(quartiers, fresh, rng)
    kinds = rng.choice(list(KINDS), fresh)
    by_quartier = rng.random(fresh) < 0.05
    names = quartiers["name"].to_numpy()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "kind", "lat", "lon", "quartier", "beds"])
    for i in range(fresh):
        kind = KINDS[kinds[i]]
        beds = int(rng.integers(0, 40)) if kind.group == "health" else ""
        if by_quartier[i]:
            lat, lon, quartier = "", "", names[i % len(names)]
        else:
            lat, lon, quartier = f"{points.y.iat[i]:.6f}", f"{points.x.iat[i]:.6f}", ""
        writer.writerow([f"{kind.label_fr} synthétique n° {i}", kind.key, lat, lon, quartier, beds])
    for k, (name, kind) in enumerate(zip(copied["name"], copied["kind"], strict=True)):
        writer.writerow([name, kind, f"{moved.y.iat[k]:.6f}", f"{moved.x.iat[k]:.6f}", "", ""])
    return out.getvalue().encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        home = Path(tmp)
        report = build({"HOME": str(home), "CACHE": os.environ.get("BAMAKO_ATLAS_CACHE")}, force=True)
        atlas = open_store(report.path)
        quartiers, base = atlas["quartiers"], atlas["facilities"]
        data = synthetic_csv(quartiers, base, rows=args.rows)
        parse_s, preview_s, commit_s = [], [], []
        for run in range(args.repeat):
            edits = EditStore(home / f"edits-{run}.sqlite", base=base, quartiers=quartiers)
            start = time.perf_counter()
            parsed = parse_upload(data, "synthetic.csv", quartiers=quartiers)
            parsed_at = time.perf_counter()
            pv = preview(parsed, edits.current())
            previewed_at = time.perf_counter()
            import_id = save_preview(edits.path, pv, user="bench")
            ids = commit(import_id, edits, "bench")
            done = time.perf_counter()
            parse_s.append(parsed_at - start)
            preview_s.append(previewed_at - parsed_at)
            commit_s.append(done - previewed_at)
            assert len(ids) == len(pv.to_add)
            edits.close()
    counts = pv.counts()
    parse, prev, com = (statistics.median(v) for v in (parse_s, preview_s, commit_s))
    both = statistics.median(p + q for p, q in zip(parse_s, preview_s, strict=True))
    machine = (
        f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPU"
    )
    load = os.getloadavg()[0]
    print(
        f"read {counts['read']}, to add {counts['to_add']}, duplicates {counts['duplicates']}, errors {counts['errors']}"
        f" ({len(data) / 1024 / 1024:.2f} MB, {len(base)} existing facilities)",
        file=sys.stderr,
    )
    print(
        "| date | machine | rows (file) | parse | preview | parse + preview | commit | to add / dup. / errors | load avg |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {datetime.now(UTC):%Y-%m-%d} | {machine} | {counts['read']:,} ({len(data) / 1024 / 1024:.2f} MB) "
        f"| {parse:.2f} s | {prev:.2f} s | {both:.2f} s {'✓' if both < TARGET_S else '✗'} "
        f"| {com:.2f} s {'✓' if com < TARGET_S else '✗'} "
        f"| {counts['to_add']:,} / {counts['duplicates']} / {counts['errors']} | {load:.1f} |"
    )


if __name__ == "__main__":
    main()
