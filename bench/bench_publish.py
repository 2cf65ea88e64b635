"""Time ``bamako-atlas publish`` on the built store; weigh the static copy against the live pages; serve it with nginx.

Publishes the store (``--store``, default the built one) into a temporary folder, counts what
was written, compares the bytes of ``/`` and its map data live (Flask test client) and static,
and, when nginx and wrk are installed, measures the static site's read throughput of ``/`` and
``cscom.geojson`` behind nginx (gzip off: the files as written).

    .venv/bin/python bench/bench_publish.py [--store PATH] [--seconds 5]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import load_avg, machine  # noqa: E402
from bench_web import wrk  # noqa: E402

from geo.settings import Settings  # noqa: E402
from geo.store import store_path  # noqa: E402
from tests.static_server import NGINX, free_port, serve  # noqa: E402
from webmap import create_app  # noqa: E402
from webmap.publish import publish  # noqa: E402


def _live_weight(store: Path) -> int:
    client = create_app({"ATLAS_STORE": str(store)}).test_client()
    page = client.get("/", headers={"Accept-Encoding": "identity"})
    total = len(page.get_data())
    for part in ("shapes", "rest"):
        data = client.get(f"/api/v1/map-data.json?part={part}", headers={"Accept-Encoding": "identity"})
        total += len(data.get_data())
    return total


def _static_weight(site: Path) -> int:
    page = site / "index.html"
    data = site / "api" / "v1"
    return page.stat().st_size + sum(p.stat().st_size for p in data.glob("map-data.part-*.json"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    logging.getLogger("webmap.publish").setLevel(logging.INFO)  # progress
    store = args.store or store_path(Settings.resolve())
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        site = Path(tmp) / "site"
        started = time.perf_counter()
        report = publish(store, site, base_url="http://127.0.0.1:8799")
        seconds = time.perf_counter() - started
        pages = sum(1 for _ in site.rglob("*.html"))
        live, static = _live_weight(store), _static_weight(site)
        print(f"publish: {seconds:.1f} s, {report.files} files ({pages} pages), {report.bytes / 2**20:.1f} MiB")
        print(f"/ + map data, raw bytes: live {live}, static {static}")
        row = f"| {date.today()} | {machine()} | {seconds:.1f} s | {report.files} ({pages} pages) | "
        row += f"{report.bytes / 2**20:.1f} MiB | {live} / {static} |"
        if NGINX and shutil.which("wrk"):
            cscom = next((site / "api" / "v1" / "layers").glob("cscom.*.geojson")).relative_to(site)
            with serve(site, Path(tmp) / "nginx", free_port()) as base:
                home = wrk(f"{base}/", duration_s=args.seconds, connections=16, threads=2)
                layer = wrk(f"{base}/{cscom}", duration_s=args.seconds, connections=16, threads=2)
            print(f"nginx: / {home.rps:.0f} req/s (p99 {home.p99_ms:.1f} ms), cscom {layer.rps:.0f} req/s")
            row += f" {home.rps:.0f} req/s, p99 {home.p99_ms:.1f} ms | {layer.rps:.0f} req/s | {load_avg()} |"
        print(
            "\n| date | machine | publish | files | bytes | `/` + map data raw, live / static "
            "| nginx `/` | nginx `cscom.geojson` | load avg |"
        )
        print(row)


if __name__ == "__main__":
    main()
