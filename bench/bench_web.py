"""Benchmark the web atlas: page weight, throughput under 20 clients, start-up time (issue 3 §8).

Run from the repository root, with the store built (``bamako-atlas data build``)
and the sources reachable (BAMAKO_ATLAS_MIRROR or the download cache)::

    /tmp/venv/bin/python bench/bench_web.py                  # all three
    /tmp/venv/bin/python bench/bench_web.py --only weight    # or load, startup

See bench/README.md for what each part needs (Playwright + Chromium, wrk,
pygeoapi in its own venv). The store is copied to a temporary home first: the
real one is only read. Every server is started here on a free loopback port
and stopped here. Prints details, then Markdown rows for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _report import load_avg, machine, rows, verdicts  # noqa: E402
from _servers import (  # noqa: E402
    REPO,
    Server,
    atlas_argv,
    atlas_env,
    free_port,
    get,
    running,
    start,
    temp_home,
    wait_answered,
)

from geo.pipeline import sources  # noqa: E402
from geo.publication.viewstate import FACILITY_LAYERS  # noqa: E402

#: Source layers given to ``GeoDataFrame.explore()`` (keys of data/sources.toml), as in the issue.
EXPLORE_SOURCES = ("quartiers", "communes", "survey_health", "survey_education", "survey_waste")
#: Health survey columns kept for the pygeoapi peer (allow-list: nothing else is read) → output name.
PEER_COLUMNS = {"Nature of the facility": "name", "Type of the facility": "type", "Commune": "commune"}
PEER_TYPE = "Community health center"
PEER_CONFIG = Path(__file__).with_name("pygeoapi_config.yml.in")
PEER_PATH = "/collections/cscom/items?f=json"
OUR_PATHS = {"/": "/", "cscom": "/api/v1/layers/facilities.geojson?kind=cscom"}
#: The view measured for page weight: every layer on, no basemap (tiles are excluded anyway).
WEIGHT_QUERY = f"/?layers={','.join(FACILITY_LAYERS)}&basemap=none"
CHROMIUM = os.environ.get("BENCH_CHROMIUM", "/usr/bin/chromium")
GZIP = {"Accept-Encoding": "gzip"}


# --------------------------------------------------------------------------- 1. page weight


@dataclass
class Transfer:
    url: str
    group: str  # html, data, own (the app's JS/CSS), library, external
    sent: int  # bytes of the body as sent with Accept-Encoding: gzip
    raw: int  # bytes once decoded


def page_requests(base: str, url: str) -> tuple[list[str], list[str], list[str]]:
    """Load ``url`` in headless Chromium; return (loopback URLs requested, blocked external URLs, console errors)."""
    from playwright.sync_api import sync_playwright

    local, external, errors = [], [], []

    def route(r):
        if urlsplit(r.request.url).hostname in ("127.0.0.1", "localhost"):
            r.continue_()
        else:  # tiles or anything else off the machine: never fetched, counted
            external.append(r.request.url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.route("**/*", route)
            page.on("request", lambda req: local.append(req.url) if req.url.startswith(base + "/") else None)
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(url, wait_until="networkidle", timeout=60_000)
            page.wait_for_timeout(500)
        finally:
            browser.close()
    return list(dict.fromkeys(local)), external, errors


def html_requests(base: str, html: bytes) -> list[str]:
    """Fallback without Playwright: the page's scripts, stylesheets and ``dataUrl``."""
    text = html.decode("utf-8", "replace")
    found = re.findall(r'<(?:script[^>]*\bsrc|link[^>]*\bhref)="([^"]+)"', text)
    found += re.findall(r'"dataUrl":\s*"([^"]+)"', text)
    return [base + u.replace("&amp;", "&") if u.startswith("/") else u for u in found]


def group_of(url: str, page_url: str) -> str:
    path = urlsplit(url).path
    if url == page_url:
        return "html"
    if path.startswith("/vendor/atlas/") or path.startswith("/static/"):
        return "own"
    if path.startswith("/vendor/"):
        return "library"
    return "data"


def transfer(url: str, page_url: str) -> Transfer:
    status, headers, body = get(url, GZIP)
    if status != 200:
        raise RuntimeError(f"{url} answered {status}")
    raw = gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body
    return Transfer(url, group_of(url, page_url), len(body), len(raw))


def explore_size() -> tuple[int, int]:
    """Return (bytes, gzip bytes) of the HTML ``GeoDataFrame.explore()`` makes of the raw source layers.

    The raw survey layers carry collectors' personal data: the HTML is measured
    in memory only, never written or printed.
    """
    import geopandas as gpd

    m = None
    for key in EXPLORE_SOURCES:
        gdf = gpd.read_file(sources.fetch(key))
        m = gdf.explore(m=m) if m is not None else gdf.explore()
    html = m.get_root().render().encode()
    sizes = len(html), len(gzip.compress(html, 6, mtime=0))
    del html, m
    return sizes


def bench_weight(home: Path, log_dir: Path) -> dict:
    port = free_port()
    server = start("atlas-weight", atlas_argv(port), env=atlas_env(home), cwd=REPO, log_dir=log_dir, port=port)
    with running(server):
        page_url = server.url + WEIGHT_QUERY
        try:
            urls, external, console = page_requests(server.url, page_url)
            how = "headless Chromium (Playwright)"
        except ImportError:
            print("Playwright is not installed: falling back to parsing the page for its URLs", file=sys.stderr)
            urls = [page_url, *html_requests(server.url, get(page_url, GZIP)[2])]
            external, console, how = [], [], "page parsed (no Playwright)"
        items = [transfer(u, page_url) for u in dict.fromkeys([page_url, *urls])]
    explore_raw, explore_gz = explore_size()
    counted = [t for t in items if t.group in ("html", "data")]
    sent = sum(t.sent for t in counted)
    raw = sum(t.raw for t in counted)
    own = sum(t.sent for t in items if t.group == "own")
    print(f"\n## Page weight ({how})\n")
    for t in items:
        print(f"  {t.group:8} {t.sent:>9,} B sent {t.raw:>10,} B decoded  {t.url.removeprefix(server.url)}")
    print(f"  blocked external requests: {len(external)}; console errors: {len(console)}")
    for msg in console[:5]:
        print(f"    console: {msg[:200]}")
    print(f"  `/` (HTML + data, gzip as sent): {sent:,} B ({raw:,} B decoded); own JS/CSS adds {own:,} B")
    print(f"  explore(): {explore_raw:,} B, gzip {explore_gz:,} B")
    ratio_gz, ratio_raw = sent / explore_gz, sent / explore_raw
    print(f"  ratio sent / explore gzip = {ratio_gz:.3f}; sent / explore raw = {ratio_raw:.4f} (target ≤ 0.10)")
    return {
        "sent": sent,
        "raw": raw,
        "own": own,
        "html": sum(t.sent for t in items if t.group == "html"),
        "explore_raw": explore_raw,
        "explore_gz": explore_gz,
        "ratio_gz": ratio_gz,
        "ratio_raw": ratio_raw,
        "requests": len(counted),
        "external": len(external),
        "console": len(console),
    }


# --------------------------------------------------------------------------- 2. load


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url: str, *, duration_s: int, connections: int, threads: int, extra: tuple[str, ...] = ()) -> WrkResult:
    """Run wrk (with Accept-Encoding: gzip, as browsers and QGIS send, and ``extra`` arguments); parse its report."""
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration_s}s",
        "--latency",
        "-H",
        "Accept-Encoding: gzip",
        *extra,
        url,
    ]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=duration_s + 30).stdout

    def latency(pct: str) -> float:
        value, unit = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * _UNITS_MS[unit]

    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = sum(int(x) for x in socket.groups()) if socket else 0
    return WrkResult(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=latency("50"),
        p99_ms=latency("99"),
        requests=int(re.search(r"(\d+) requests in", out).group(1)),
        errors=errors + (int(non2xx.group(1)) if non2xx else 0),
    )


def peer_data(folder: Path) -> Path:
    """Write the 50 surveyed CSCOM points with only name/type/commune to a GeoJSON file (read via an allow-list)."""
    import pyogrio

    df = pyogrio.read_dataframe(sources.fetch("survey_health"), columns=list(PEER_COLUMNS))
    df = df[df["Type of the facility"] == PEER_TYPE].rename(columns=PEER_COLUMNS).reset_index(drop=True)
    df.insert(0, "id", range(1, len(df) + 1))
    path = folder / "cscom.geojson"
    df[["id", *PEER_COLUMNS.values(), "geometry"]].to_file(path, driver="GeoJSON")
    return path


def start_peer(venv: Path, folder: Path, log_dir: Path) -> Server:
    """Start pygeoapi under gunicorn with 2 workers on the CSCOM GeoJSON."""
    port = free_port()
    config, openapi = folder / "pygeoapi-config.yml", folder / "pygeoapi-openapi.yml"
    template = string.Template(PEER_CONFIG.read_text())
    data = peer_data(folder)
    config.write_text(template.substitute(port=port, url=f"http://127.0.0.1:{port}", data=data))
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    env.pop("PYTHONPATH", None)
    subprocess.run(
        [str(venv / "bin/pygeoapi"), "openapi", "generate", str(config), "--output-file", str(openapi)],
        env=env,
        check=True,
        capture_output=True,
        cwd=folder,
    )
    argv = [str(venv / "bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "pygeoapi.flask_app:APP"]
    return start("pygeoapi", argv, env=env, cwd=folder, log_dir=log_dir, port=port)


def etag_check(url: str) -> str:
    """Return how a repeat request with the ETag is answered (304 expected), as curl -H If-None-Match would."""
    status, headers, _ = get(url, GZIP)
    tag = headers.get("etag")
    if status != 200 or not tag:
        return f"{status}, no ETag"
    again = get(url, {**GZIP, "If-None-Match": tag})[0]
    return f"{again} (ETag {tag})"


def feature_count(url: str) -> tuple[int, int]:
    """Return (features, bytes sent with gzip) of a GeoJSON answer."""
    _, headers, body = get(url, GZIP)
    raw = gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body
    return len(json.loads(raw)["features"]), len(body)


def bench_load(home: Path, log_dir: Path, args) -> dict:
    if shutil.which("wrk") is None:
        print("\n## Load: SKIPPED — wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return {}
    venv = Path(args.pygeoapi_venv)
    if not (venv / "bin/gunicorn").exists() or not (venv / "bin/pygeoapi").exists():
        print(
            f"\n## Load: SKIPPED — no pygeoapi + gunicorn in {venv}; create it with --setup-pygeoapi", file=sys.stderr
        )
        return {}
    with ExitStack() as stack:
        return _run_load(stack, home, log_dir, venv, args)


def _run_load(stack: ExitStack, home: Path, log_dir: Path, venv: Path, args) -> dict:
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-web-peer-")))
    port = free_port()
    ours = start("atlas-load", atlas_argv(port), env=atlas_env(home), cwd=REPO, log_dir=log_dir, port=port)
    stack.enter_context(running(ours))
    peer = start_peer(venv, folder, log_dir)
    stack.enter_context(running(peer, ready_path=PEER_PATH))
    urls = {"/": ours.url + OUR_PATHS["/"], "cscom": ours.url + OUR_PATHS["cscom"], "pygeoapi": peer.url + PEER_PATH}
    if args.baseline_tree:  # an earlier checkout on its own store, alternated with the others
        tree, base_home = Path(args.baseline_tree).resolve(), Path(args.baseline_home).resolve()
        port = free_port()
        env = atlas_env(base_home, repo=tree)
        base = start("atlas-baseline", atlas_argv(port), env=env, cwd=tree, log_dir=log_dir, port=port)
        stack.enter_context(running(base))
        urls |= {f"{k} (baseline)": base.url + path for k, path in OUR_PATHS.items()}
    for url in urls.values():  # warm caches (exports are built on first request)
        for _ in range(5):
            get(url, GZIP)
    counts = {k: feature_count(urls[k]) for k in ("cscom", "pygeoapi")}
    load_before = load_avg()
    runs: dict[str, list[WrkResult]] = {k: [] for k in urls}
    for _ in range(args.rounds):  # alternate targets so each sees the same machine load
        for key, url in urls.items():
            runs[key].append(wrk(url, duration_s=args.duration, connections=args.connections, threads=args.wrk_threads))
    etags = {k: etag_check(urls[k]) for k in ("/", "cscom")}
    result = {
        k: {
            "rps": statistics.median(r.rps for r in rs),
            "p99": statistics.median(r.p99_ms for r in rs),
            "p50": statistics.median(r.p50_ms for r in rs),
            "errors": sum(r.errors for r in rs),
            "requests": sum(r.requests for r in rs),
        }
        for k, rs in runs.items()
    }
    print(
        f"\n## Load (wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration}s × {args.rounds} rounds, "
        "alternating; medians)\n"
    )
    print(
        f"  payloads: ours {counts['cscom'][0]} CSCOM, {counts['cscom'][1]:,} B sent; "
        f"pygeoapi {counts['pygeoapi'][0]} features, {counts['pygeoapi'][1]:,} B sent"
    )
    for key, r in result.items():
        each = ", ".join(f"{x.rps:.0f}" for x in runs[key])
        print(
            f"  {key:9} {r['rps']:8.0f} req/s (runs: {each})  p50 {r['p50']:.1f} ms  p99 {r['p99']:.1f} ms  "
            f"errors {r['errors']} / {r['requests']} requests"
        )
    for key in [k for k in urls if k != "pygeoapi"]:  # ratios within each round: the same machine load for both
        each = ", ".join(f"{a.rps / b.rps:.2f}×" for a, b in zip(runs[key], runs["pygeoapi"], strict=True))
        print(f"  {key} ÷ pygeoapi per round: {each}")
        if f"{key} (baseline)" in runs:
            each = ", ".join(f"{a.rps / b.rps:.2f}×" for a, b in zip(runs[key], runs[f"{key} (baseline)"], strict=True))
            print(f"  {key} ÷ {key} (baseline) per round: {each}")
    for key, status in etags.items():
        print(f"  repeat request with If-None-Match on {key}: {status}")
    result["etags"] = etags
    result["counts"] = counts
    result["load_avg"] = f"{load_before}→{load_avg()}"
    return result


# --------------------------------------------------------------------------- 3. start-up


def time_startup(name: str, env: dict[str, str], cwd: Path, log_dir: Path) -> tuple[float, int]:
    """Start ``serve`` once; return (seconds from launch to the first answer to ``/``, its status)."""
    port = free_port()
    t0 = time.perf_counter()
    server = start(name, atlas_argv(port), env=env, cwd=cwd, log_dir=log_dir, port=port)
    try:
        status = wait_answered(server.url + "/", timeout_s=60, proc=server.proc)
        return time.perf_counter() - t0, status
    finally:
        server.stop()


def bench_startup(home: Path, log_dir: Path, runs: int, baseline: tuple[Path, Path] | None = None) -> dict:
    """Time ``bamako-atlas serve`` from launch to the first answer to ``/`` (built store).

    With ``baseline`` (checkout, home), its start-ups alternate with ours.
    """
    times, statuses, base_times = [], [], []
    load_before = load_avg()
    for i in range(runs):
        seconds, status = time_startup(f"atlas-startup-{i}", atlas_env(home), REPO, log_dir)
        times.append(seconds)
        statuses.append(status)
        if baseline:
            tree, base_home = baseline
            base_times.append(time_startup(f"baseline-startup-{i}", atlas_env(base_home, repo=tree), tree, log_dir)[0])
    result = {
        "median": statistics.median(times),
        "min": min(times),
        "max": max(times),
        "statuses": statuses,
        "load_avg": f"{load_before}→{load_avg()}",
    }
    print(f"\n## Start-up (serve → first answer to /, {runs} runs)\n")
    print(f"  {', '.join(f'{t:.2f}' for t in times)} s; median {result['median']:.2f} s; statuses {statuses}")
    if base_times:
        print(
            f"  baseline, alternated: {', '.join(f'{t:.2f}' for t in base_times)} s; "
            f"median {statistics.median(base_times):.2f} s"
        )
    return result


# --------------------------------------------------------------------------- main


def setup_pygeoapi(venv: Path) -> None:
    """Create the separate pygeoapi venv (its pinned dependencies stay out of the atlas venv)."""
    subprocess.run([shutil.which("python3") or sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin/pip"), "install", "-q", "pygeoapi", "gunicorn"], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="weight,load,startup", help="comma-separated parts: weight, load, startup")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=20, help="concurrent wrk connections")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs per target, alternated")
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument("--pygeoapi-venv", default=os.environ.get("BENCH_PYGEOAPI_VENV", "/tmp/pygeoapi-venv"))
    parser.add_argument("--setup-pygeoapi", action="store_true", help="create the pygeoapi venv first")
    parser.add_argument(
        "--baseline-tree",
        help="load, startup: also run this earlier checkout (e.g. a `git archive` of a commit), alternated",
    )
    parser.add_argument("--baseline-home", help="data home holding a store built by --baseline-tree's code")
    args = parser.parse_args()
    parts = {p.strip() for p in args.only.split(",") if p.strip()}
    unknown = parts - {"weight", "load", "startup"}
    if unknown:
        parser.error(f"unknown part(s) {', '.join(sorted(unknown))}; allowed: weight, load, startup")
    if bool(args.baseline_tree) != bool(args.baseline_home):
        parser.error("--baseline-tree and --baseline-home go together")
    if args.setup_pygeoapi:
        setup_pygeoapi(Path(args.pygeoapi_venv))
    print(f"# bench_web — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {machine()} — load average {load_avg()}")
    with ExitStack() as stack:
        home = temp_home(stack)
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-web-logs-")))
        weight = bench_weight(home, log_dir) if "weight" in parts else {}
        load = bench_load(home, log_dir, args) if "load" in parts else {}
        baseline = (Path(args.baseline_tree), Path(args.baseline_home)) if args.baseline_tree else None
        startup = bench_startup(home, log_dir, args.startup_runs, baseline) if "startup" in parts else {}
    print("\n## Targets\n")
    print("\n".join(verdicts(weight, load, startup)))
    rows(weight, load, startup, args)


if __name__ == "__main__":
    main()
