"""The three deployments of issue 12 side by side in one run: GeoPackage + SQLite, PostGIS, the static site.

On the real store (copied to a temporary home; the real one is never written):

- publication: ``bamako-atlas publish`` in a child process, wall time and peak RSS (``wait4``), files and bytes;
- store written: the built layers written as a GeoPackage and as a PostGIS schema swap (best of ``--writes``);
- reads over real HTTP: ``bamako-atlas serve`` (waitress) on the embedded default, ``serve`` on PostGIS (a
  throw-away cluster made as ``tests/pgcluster.py`` makes it), and the published site behind nginx (Debian's,
  with the snippet ``publish`` writes, as many worker processes as ``serve`` starts); ``wrk`` with
  ``Accept-Encoding: gzip`` on ``/api/v1/layers/cscom.geojson`` and ``/`` at each ``--concurrency``, the three
  servers alternated within each round (order rotated per round), medians of ``--rounds``;
- edit latency: ``PATCH /api/v1/facilities/<id>`` with an API token, one at a time, the two backends alternated
  edit by edit, median and p95;
- page weight: ``/`` and its two map-data parts, as sent uncompressed, live against static.

Prints ratios first, then the absolute figures, as Markdown for bench/RESULTS.md.

    .venv/bin/python bench/bench_backends.py [--rounds 3] [--duration 5] [--concurrency 1,8,32] [--edits 100]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import load_avg, machine  # noqa: E402
from _servers import REPO, atlas_argv, atlas_env, cli_argv, free_port, get, running, start, temp_home  # noqa: E402
from bench_edit import call  # noqa: E402
from bench_web import wrk  # noqa: E402

from geo.planning import accounts  # noqa: E402
from geo.planning.edits.db import EDITS_FILENAME  # noqa: E402
from geo.store import STORE_NAME, PostgisStore, open_store, store_backend  # noqa: E402
from tests.pgcluster import TEMPLATE_DB, running_cluster  # noqa: E402
from tests.static_server import NGINX, nginx  # noqa: E402

BACKENDS = ("sqlite", "postgis", "static")
LAYER = "/api/v1/layers/cscom.geojson"
IDENTITY = {"Accept-Encoding": "identity"}


def timed(fn, n: int) -> list[float]:
    """Return the seconds of ``n`` calls of ``fn()``."""
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[round(0.95 * (len(ordered) - 1))]


def publish_site(home: Path, site: Path, base_url: str) -> dict:
    """Run ``bamako-atlas publish`` in a child process; return seconds, peak RSS (MiB), files and bytes."""
    started = time.perf_counter()
    with (site.parent / "publish.log").open("wb") as log:
        proc = subprocess.Popen(cli_argv("publish", str(site), "--base-url", base_url), env=atlas_env(home),
                                cwd=REPO, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"publish failed ({proc.returncode}):\n{(site.parent / 'publish.log').read_text()[-2000:]}")
    files = [p for p in site.rglob("*") if p.is_file()]
    return {"seconds": seconds, "rss_mib": usage.ru_maxrss / 1024, "cpu_s": usage.ru_utime + usage.ru_stime,
            "files": len(files), "bytes": sum(p.stat().st_size for p in files)}  # fmt: skip


def write_times(home: Path, url: str, writes: int) -> dict:
    """Return the best seconds of writing the store's layers as a GeoPackage and as a PostGIS schema swap."""
    gpkg = home / STORE_NAME
    atlas = open_store(gpkg)
    tables = {n: store_backend(path=gpkg).read_table(n) for n in ("cscom_reconciliation", "snisi_comparison")}
    meta = {k: v for k, v in atlas.meta.items() if k != "schema_version"}
    with tempfile.TemporaryDirectory(prefix="bench-backends-write-") as tmp:
        copy = store_backend(path=Path(tmp) / STORE_NAME)
        as_gpkg = min(timed(lambda: copy.write(atlas.layers, meta, tables=tables), writes))
    as_pg = min(timed(lambda: PostgisStore(url).write(atlas.layers, meta, tables=tables), writes))
    return {"gpkg": as_gpkg, "postgis": as_pg}


def token(db: Path | str) -> dict[str, str]:
    """Create an editor account in ``db`` and return its Bearer header."""
    accounts.create_user(db, "bench", "editor", secrets.token_urlsafe(16))
    return {"Authorization": f"Bearer {accounts.issue_token(db, 'bench')}"}


def page_weight(base: str, root: str, parts: tuple[str, str]) -> int:
    """Return the uncompressed bytes of page ``root`` and its two map-data parts."""
    return sum(len(get(base + path, IDENTITY, timeout=60)[2]) for path in (root, *parts))


def reads(bases: dict[str, str], paths: dict[str, dict[str, str]], args) -> dict:
    """Return ``{(backend, url, clients): [wrk results]}``, every cell alternated within each round."""
    out: dict = {}
    for r in range(args.rounds):
        order = BACKENDS[r % 3 :] + BACKENDS[: r % 3]
        for clients in args.concurrency:
            for url in (LAYER, "/"):
                for name in order:
                    result = wrk(bases[name] + paths[name][url], duration_s=args.duration, connections=clients,
                                 threads=min(2, clients))  # fmt: skip
                    out.setdefault((name, url, clients), []).append(result)
        print(f"round {r + 1}/{args.rounds} done, load {load_avg()}", flush=True)
    return out


def edits(bases: dict[str, str], auth: dict[str, dict[str, str]], facility_id: str, n: int) -> dict:
    """Return the seconds of ``n`` PATCH requests per backend, alternated edit by edit."""
    path = f"/api/v1/facilities/{facility_id}"
    version = {name: call(bases[name], "GET", path, None, auth[name])[1]["version"] for name in auth}
    seconds: dict[str, list[float]] = {name: [] for name in auth}
    for i in range(n):
        for name in auth:
            start = time.perf_counter()
            status, doc = call(bases[name], "PATCH", path, {"version": version[name], "beds": i + 1}, auth[name])
            seconds[name].append(time.perf_counter() - start)
            if status != 200:
                raise RuntimeError(f"{name}: PATCH {path}: HTTP {status} {doc}")
            version[name] = doc["version"]
    return seconds


def report(pub: dict, written: dict, cells: dict, edit_s: dict, weight: dict, load: tuple[str, str], args) -> None:
    """Print the ratios, then the absolute figures, as Markdown."""
    day, mach = f"{datetime.now(UTC):%Y-%m-%d}", machine()

    def rps(name: str, url: str, c: int) -> float:
        return statistics.median(r.rps for r in cells[(name, url, c)])

    def p99(name: str, url: str, c: int) -> float:
        return statistics.median(r.p99_ms for r in cells[(name, url, c)])

    errors = {name: sum(r.errors for k, rs in cells.items() if k[0] == name for r in rs) for name in BACKENDS}
    print(f"\n{day}, {mach}, load average {load[0]} before / {load[1]} after; wrk {args.duration} s × "
          f"{args.rounds} rounds, Accept-Encoding: gzip\n")  # fmt: skip
    print("| clients | cscom.geojson: PostGIS ÷ SQLite | static ÷ SQLite | `/`: PostGIS ÷ SQLite | static ÷ SQLite |")
    print("|---|---|---|---|---|")
    for c in args.concurrency:
        ratios = [rps(n, u, c) / rps("sqlite", u, c) for u in (LAYER, "/") for n in ("postgis", "static")]
        print(f"| {c} | " + " | ".join(f"{x:.2f}×" for x in ratios) + " |")
    print("\n| clients | URL | SQLite req/s (p99) | PostGIS req/s (p99) | static nginx req/s (p99) |")
    print("|---|---|---|---|---|")
    for c in args.concurrency:
        for u in (LAYER, "/"):
            cells_text = [f"{rps(n, u, c):.0f} ({p99(n, u, c):.1f} ms)" for n in BACKENDS]
            print(f"| {c} | `{u}` | " + " | ".join(cells_text) + " |")
    print(f"\nErrors (socket + non-2xx): {errors}")
    ms = {n: (statistics.median(v) * 1e3, p95(v) * 1e3) for n, v in edit_s.items()}
    print(f"\n| edit (PATCH, {args.edits} per backend) | median | p95 |\n|---|---|---|")
    for name, (median, high) in ms.items():
        print(f"| {name} | {median:.1f} ms | {high:.1f} ms |")
    print(f"\nPostgreSQL ÷ SQLite edit median: {ms['postgis'][0] / ms['sqlite'][0]:.2f}×")
    print(f"\npublish: {pub['seconds']:.1f} s wall, {pub['cpu_s']:.1f} s CPU, peak RSS {pub['rss_mib']:.0f} MiB, "
          f"{pub['files']} files, {pub['bytes'] / 2**20:.1f} MiB")  # fmt: skip
    print(f"store written: GeoPackage {written['gpkg']:.2f} s, PostGIS {written['postgis']:.2f} s")
    print(f"`/` + map data, uncompressed: live {weight['live']} B, static {weight['static']} B "
          f"({weight['static'] / weight['live']:.3f}×)")  # fmt: skip


def main() -> None:
    """Publish, start the three servers, measure, stop everything, print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds of each wrk run")
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8, 32])
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--writes", type=int, default=3, help="store writes per backend (best is kept)")
    args = parser.parse_args()
    if NGINX is None:
        sys.exit("nginx is not installed (Debian: apt-get install nginx)")
    before = load_avg()
    with ExitStack() as stack:
        home = temp_home(stack)
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-backends-")))
        ports = {name: free_port() for name in BACKENDS}
        bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        pub = publish_site(home, work / "site", bases["static"])
        print(f"published in {pub['seconds']:.1f} s (peak RSS {pub['rss_mib']:.0f} MiB)", flush=True)
        cluster = stack.enter_context(running_cluster())
        url = cluster.create_database("bench", template=TEMPLATE_DB)
        written = write_times(home, url, args.writes)
        pg_home = work / "pg-home"
        pg_home.mkdir()
        auth = {"sqlite": token(home / EDITS_FILENAME), "postgis": token(url)}
        env = {"sqlite": atlas_env(home), "postgis": {**atlas_env(pg_home), "BAMAKO_ATLAS_DATABASE": url}}
        for name in ("sqlite", "postgis"):
            server = start(name, atlas_argv(ports[name]), env=env[name], cwd=REPO, log_dir=work, port=ports[name])
            stack.enter_context(running(server))
        workers = min(os.cpu_count() or 1, 4)  # as many processes as `serve` starts
        stack.enter_context(nginx(work / "site", work / "nginx", ports["static"], workers=workers))
        site_layer = (
            "/" + next((work / "site/api/v1/layers").glob("cscom.*.geojson")).relative_to(work / "site").as_posix()
        )
        paths = {"sqlite": {LAYER: LAYER, "/": "/"}, "postgis": {LAYER: LAYER, "/": "/"},
                 "static": {LAYER: site_layer, "/": "/"}}  # fmt: skip
        for name in BACKENDS:  # warm every cache; every answer must be a 200
            for path in paths[name].values():
                status = get(bases[name] + path, {"Accept-Encoding": "gzip"}, timeout=120)[0]
                if status != 200:
                    sys.exit(f"{name}: GET {path} answered {status}")
        parts = ("/api/v1/map-data.json?part=shapes", "/api/v1/map-data.json?part=rest")
        static_parts = tuple("/" + p.relative_to(work / "site").as_posix()
                             for p in sorted((work / "site/api/v1").glob("map-data.part-*.json"), reverse=True))  # fmt: skip
        weight = {
            "live": page_weight(bases["sqlite"], "/", parts),
            "static": page_weight(bases["static"], "/", static_parts),
        }
        cells = reads(bases, paths, args)
        facility_id = str(open_store(home / STORE_NAME)["facilities"].query("kind == 'cscom'")["id"].iloc[0])
        edit_s = edits(bases, auth, facility_id, args.edits)
    report(pub, written, cells, edit_s, weight, (before, load_avg()), args)


if __name__ == "__main__":
    main()
