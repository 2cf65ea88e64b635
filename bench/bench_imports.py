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

``--reimport`` (issue 13 §3): commits a CSV of ``--rows`` facilities stacked on
``--spots`` points (50 000 on 5 by default), then times the re-upload of the
same file (parse + preview against the 2 137 built facilities plus those
rows: every row is a duplicate), and the preview of 3 000 rows stacked on ONE
point against 3 000 committed copies with the current duplicate check and with
the one it replaced (every pair within 50 m compared), each in a forked child
whose peak memory is reported.

``--budget`` (issue 13 §2): times parse + preview in process and through
``parse_and_preview`` (a fork-server child under IMPORT_SECONDS /
IMPORT_MEMORY_MB) side by side, for the ``--rows`` synthetic file and for the
re-upload of 50 000 committed rows on 5 points; the first budgeted call (which
starts the fork server) is shown apart.
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
from geo.planning.imports import commit, parse_and_preview, parse_upload, preview, save_preview  # noqa: E402
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


def stacked_csv(quartiers, *, rows: int, spots: int, seed: int = SEED) -> bytes:
    """Return a CSV of ``rows`` schools with distinct names, stacked on ``spots`` points inside the District."""
    rng = np.random.default_rng(seed)
    points = _inside_points(quartiers, spots, rng)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "kind", "lat", "lon"])
    for i in range(rows):
        point = points.iat[i % spots]
        writer.writerow([f"École regroupée n° {i}", "school", f"{point.y:.6f}", f"{point.x:.6f}"])
    return out.getvalue().encode("utf-8")


def _old_matches(rows, existing, *, radius_m: float, min_score: float) -> dict:
    """The duplicate check before issue 13: every pair within ``radius_m`` compared (quadratic when stacked)."""
    from scipy.spatial import cKDTree

    from geo.planning.imports.preview import _COMPATIBLE, _kind_codes, _metric_xy, name_score
    from geo.text import normalize_name

    ex = existing[~(existing.geometry.isna() | existing.geometry.is_empty)]
    new_xy = _metric_xy(np.array([r["lonlat"] for r in rows], dtype=float))
    ex_metric = ex.geometry.to_crs(METRIC_CRS)
    ex_xy = np.column_stack([ex_metric.x.to_numpy(), ex_metric.y.to_numpy()])
    pairs = cKDTree(new_xy).sparse_distance_matrix(cKDTree(ex_xy), radius_m, output_type="ndarray")
    i, j = pairs["i"], pairs["j"]
    keep = _COMPATIBLE[_kind_codes(r["fields"]["kind"] for r in rows)[i], _kind_codes(ex["kind"])[j]]
    i, j = i[keep], j[keep]
    new_names = [normalize_name(r["fields"]["name"]) for r in rows]
    ex_names = ex["name"].map(normalize_name).to_numpy()
    score = name_score([new_names[k] for k in i], [ex_names[k] for k in j])
    return {int(a): True for a in i[score >= min_score]}


def _in_child(func, *args) -> tuple[float, float, float, object]:
    """Run ``func(*args)`` in a forked child; return (wall s, CPU s, peak RSS MB, result)."""
    import multiprocessing
    import resource

    def run(conn) -> None:
        start, cpu = time.perf_counter(), time.process_time()
        result = func(*args)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        conn.send((time.perf_counter() - start, time.process_time() - cpu, peak, result))

    parent, child = multiprocessing.get_context("fork").Pipe()
    process = multiprocessing.get_context("fork").Process(target=run, args=(child,))
    process.start()
    out = parent.recv()
    process.join()
    return out


def _rss_mb() -> float:
    """Return this process's resident memory now, in MB (a forked child starts from it)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def reimport(args) -> None:
    """Time the re-upload of a committed stacked file, and the old vs new check on 3 000 rows at one point."""
    import sys as _sys

    module = _sys.modules["geo.planning.imports.preview"]
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        home = Path(tmp)
        report = build({"HOME": str(home), "CACHE": os.environ.get("BAMAKO_ATLAS_CACHE")}, force=True)
        atlas = open_store(report.path)
        quartiers, base = atlas["quartiers"], atlas["facilities"]
        data = stacked_csv(quartiers, rows=args.rows, spots=args.spots)
        edits = EditStore(home / "edits.sqlite", base=base, quartiers=quartiers)
        first = preview(parse_upload(data, "stacked.csv", quartiers=quartiers), edits.current())
        commit(save_preview(edits.path, first, user="bench"), edits, "bench")
        existing = edits.current()

        def again():
            parsed = parse_upload(data, "stacked.csv", quartiers=quartiers)
            return preview(parsed, existing).counts()

        day, machine = f"{datetime.now(UTC):%Y-%m-%d}", _machine()
        print(
            "| date | machine | case | check | wall (CPU) | child peak RSS (parent RSS at fork) | to add / dup. | load avg |"
        )
        print("|---|---|---|---|---|---|---|---|")
        start_rss = _rss_mb()
        seconds, cpu, peak, counts = _in_child(again)
        print(
            f"| {day} | {machine} | re-upload of {args.rows:,} committed rows on {args.spots} points "
            f"(parse + preview, {len(existing):,} facilities) | new | {seconds:.2f} s "
            f"{'✓' if seconds < TARGET_S else '✗'} ({cpu:.2f} s) | {peak:.0f} MB ({start_rss:.0f}) "
            f"| {counts['to_add']:,} / {counts['duplicates']:,} | {os.getloadavg()[0]:.1f} |"
        )
        one = stacked_csv(quartiers, rows=3000, spots=1)
        parsed = parse_upload(one, "one.csv", quartiers=quartiers)
        scratch = EditStore(home / "one.sqlite", base=base, quartiers=quartiers)
        commit(save_preview(scratch.path, preview(parsed, None), user="bench"), scratch, "bench")
        copies = scratch.current()
        for label, func in (("new", module._matches), ("old", _old_matches)):
            start_rss = _rss_mb()
            seconds, cpu, peak, found = _in_child(
                lambda f=func: len(f(parsed.rows, copies, radius_m=50.0, min_score=80.0))
            )
            print(
                f"| {day} | {machine} | 3,000 rows on ONE point vs 3,000 committed copies (duplicate check only) "
                f"| {label} | {seconds:.2f} s ({cpu:.2f} s) | {peak:.0f} MB ({start_rss:.0f}) | 0 / {found:,} "
                f"| {os.getloadavg()[0]:.1f} |"
            )


def budget_compare(args) -> None:
    """Print parse + preview in process next to the budgeted child, for the synthetic file and a re-upload."""
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        home = Path(tmp)
        report = build({"HOME": str(home), "CACHE": os.environ.get("BAMAKO_ATLAS_CACHE")}, force=True)
        atlas = open_store(report.path)
        quartiers, base = atlas["quartiers"], atlas["facilities"]
        start = time.perf_counter()
        parse_and_preview(b"name,kind,lat,lon\n", "empty.csv", quartiers=quartiers, existing=None)
        first_s = time.perf_counter() - start
        stacked = stacked_csv(quartiers, rows=50_000, spots=5)
        edits = EditStore(home / "edits.sqlite", base=base, quartiers=quartiers)
        commit(
            save_preview(edits.path, preview(parse_upload(stacked, "s.csv", quartiers=quartiers), None), user="bench"),
            edits,
            "bench",
        )
        cases = [
            (f"{args.rows:,} synthetic rows", synthetic_csv(quartiers, base, rows=args.rows), base),
            ("re-upload of 50,000 committed rows on 5 points", stacked, edits.current()),
        ]
        day, machine = f"{datetime.now(UTC):%Y-%m-%d}", _machine()
        print("| date | machine | case | in process | budgeted child | to add / dup. | load avg |")
        print("|---|---|---|---|---|---|---|")
        for label, data, existing in cases:
            here, there = [], []
            for _ in range(args.repeat):
                start = time.perf_counter()
                pv = preview(parse_upload(data, "bench.csv", quartiers=quartiers), existing)
                here.append(time.perf_counter() - start)
                start = time.perf_counter()
                child = parse_and_preview(data, "bench.csv", quartiers=quartiers, existing=existing)
                there.append(time.perf_counter() - start)
                assert child.counts() == pv.counts()
            counts = pv.counts()
            print(
                f"| {day} | {machine} | {label} | {statistics.median(here):.2f} s | {statistics.median(there):.2f} s "
                f"| {counts['to_add']:,} / {counts['duplicates']:,} | {os.getloadavg()[0]:.1f} |"
            )
        print(f"| {day} | {machine} | first budgeted call (starts the fork server) | – | {first_s:.2f} s | – | – |")


def _machine() -> str:
    return f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reimport", action="store_true", help="re-upload of a committed stacked file (issue 13)")
    parser.add_argument("--budget", action="store_true", help="in process vs the budgeted child (issue 13)")
    parser.add_argument("--spots", type=int, default=5, help="points the --reimport rows are stacked on")
    args = parser.parse_args()
    if args.reimport:
        reimport(args)
        return
    if args.budget:
        budget_compare(args)
        return
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
