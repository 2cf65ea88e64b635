"""Benchmark the PostGIS backend against the embedded default (GeoPackage + SQLite), side by side in one run.

Run: ``.venv/bin/python bench/bench_postgis.py [--edits N] [--reads N]`` with BAMAKO_ATLAS_MIRROR set and
PostgreSQL 15 + PostGIS installed (a throw-away cluster is started, as the tests do). Measures, on the real store:
writing a build (GeoPackage file vs PostGIS schema swap), the edit latency of ``EditStore.update`` (SQLite vs
PostgreSQL, sequential, median and p95), and the read throughput of ``/api/v1/layers/cscom.geojson`` and ``/``
through the Flask app (one thread, in process: the per-request cost of each backend's change checks).
Prints a Markdown row for bench/RESULTS.md.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.pipeline.build import build  # noqa: E402
from geo.planning.edits import EditStore  # noqa: E402
from geo.store import PostgisStore, open_store, store_backend  # noqa: E402
from tests.pgcluster import TEMPLATE_DB, running_cluster  # noqa: E402
from webmap import create_app  # noqa: E402


def _timed(fn, n: int) -> list[float]:
    """Return the seconds of ``n`` calls of ``fn(i)``."""
    out = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - start)
    return out


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    return f"{statistics.median(ordered) * 1000:.2f} / {ordered[int(0.95 * (len(ordered) - 1))] * 1000:.2f} ms"


def _edits(where, atlas, n: int) -> list[float]:
    store = EditStore(where, base=atlas["facilities"], quartiers=atlas["quartiers"])
    fid = str(atlas["facilities"]["id"].iloc[0])
    try:
        return _timed(lambda i: store.update(fid, user="bench", version=i + 1, fields={"beds": i + 1}), n)
    finally:
        store.close()


def _reads(client, n: int) -> dict[str, float]:
    out = {}
    for url in ("/api/v1/layers/cscom.geojson", "/"):
        client.get(url)  # warm the caches
        seconds = sum(_timed(lambda _i, url=url: client.get(url), n))
        out[url] = n / seconds
    return out


def main() -> None:
    """Run every measurement and print the row."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--reads", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_cluster() as cluster:
        home = Path(tmp)
        settings = {"MIRROR": os.environ["BAMAKO_ATLAS_MIRROR"], "HOME": str(home), "CACHE": str(home / "cache")}
        gpkg = build(settings, force=True).path
        atlas = open_store(gpkg)
        tables = {n: store_backend(path=gpkg).read_table(n) for n in ("cscom_reconciliation", "snisi_comparison")}
        meta = {k: v for k, v in atlas.meta.items() if k != "schema_version"}
        url = cluster.create_database("bench", template=TEMPLATE_DB)
        write_gpkg = min(_timed(lambda _i: store_backend(path=home / "copy.gpkg").write(atlas.layers, meta,
                                                                                          tables=tables), 3))  # fmt: skip
        write_pg = min(_timed(lambda _i: PostgisStore(url).write(atlas.layers, meta, tables=tables), 3))
        sqlite_edits = _edits(home / "edits.sqlite", atlas, args.edits)
        pg_edits = _edits(cluster.url("bench"), atlas, args.edits)
        (home / "pg").mkdir()
        apps = {
            "sqlite": create_app({"TESTING": True, "ATLAS_STORE": str(gpkg)}),
            "pg": create_app({"TESTING": True, "ATLAS_SETTINGS": {"HOME": str(home / "pg"), "DATABASE": url}}),
        }
        reads = {name: _reads(app.test_client(), args.reads) for name, app in apps.items()}
    machine = f"{platform.machine()}, CPython {platform.python_version()}, {os.cpu_count()} CPU"
    load = os.getloadavg()[0]
    print("| date | machine | build written: gpkg / PostGIS | edit median / p95: SQLite | PostgreSQL "
          "| cscom.geojson req/s: gpkg / PostGIS | `/` req/s: gpkg / PostGIS | load |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {datetime.now(UTC).date()} | {machine} | {write_gpkg:.2f} s / {write_pg:.2f} s | {_ms(sqlite_edits)} "
        f"| {_ms(pg_edits)} | {reads['sqlite']['/api/v1/layers/cscom.geojson']:.0f} / "
        f"{reads['pg']['/api/v1/layers/cscom.geojson']:.0f} | {reads['sqlite']['/']:.0f} / {reads['pg']['/']:.0f} "
        f"| {load:.1f} |"
    )


if __name__ == "__main__":
    main()
