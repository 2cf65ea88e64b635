"""Benchmark the time to the first shapes on a slow link: 400 kbit/s, 400 ms (issue 10 §1).

Run from the repository root, with the store built (``bamako-atlas data build``)::

    .venv/bin/python bench/bench_throttled.py                 # this checkout vs main, 5 runs each
    .venv/bin/python bench/bench_throttled.py --baseline-ref HEAD~3 --runs 7

Headless Chromium (Debian's, driven by Playwright over the DevTools protocol)
loads each page's default view with the network throttled by
``Network.emulateNetworkConditions``; the time is ``performance.now()`` when
the first map shape (an SVG path in Leaflet's overlay pane) is in the page.
The baseline is the same pages served by another commit's code (extracted
with ``git archive`` into a temporary folder) over a copy of the same store;
its runs alternate with this checkout's. Every host other than 127.0.0.1
fails to resolve, as offline: tile requests fail at once instead of taking
bandwidth, so the baseline's times are a lower bound. Prints the medians and
a Markdown row for bench/RESULTS.md; nothing is written under bench/.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _report import load_avg, machine  # noqa: E402
from _servers import atlas_argv, atlas_env, free_port, running, start, temp_home  # noqa: E402

CHROMIUM = os.environ.get("BENCH_CHROMIUM", "/usr/bin/chromium")
#: The link of a planner in Bamako on a phone: 400 kbit/s both ways, 400 ms added to each request.
THROTTLE = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
PAGES = ("/", "/couverture")
TARGET_S = 2.5
#: Records when the first map shape enters the page (checked on every frame from the start).
FIRST_SHAPE_PROBE = """
(function () {
  window.__firstShape = null;
  function look() {
    if (document.querySelector('.leaflet-overlay-pane path')) { window.__firstShape = performance.now(); return; }
    requestAnimationFrame(look);
  }
  requestAnimationFrame(look);
})();
"""


def extract(ref: str, into: Path) -> Path:
    """Write the files of commit ``ref`` of this repository into ``into``; return it."""
    archive = into / "tree.tar"
    subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "-o", str(archive), ref], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    archive.unlink()
    return into / "tree"


def first_shapes(browser, url: str) -> tuple[float, list[str]]:
    """Load ``url`` throttled in a fresh context; return (seconds to the first shape, console errors)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", THROTTLE)
        page.add_init_script(FIRST_SHAPE_PROBE)
        page.goto(url, wait_until="commit")
        page.wait_for_function("() => window.__firstShape !== null", timeout=60_000, polling=50)
        return page.evaluate("() => window.__firstShape") / 1000, errors
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="loads of each page by each tree (default 5)")
    parser.add_argument("--baseline-ref", default="main", help="commit of the baseline (default main)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-throttled-")))
        trees = {"before": extract(args.baseline_ref, tmp), "after": REPO}
        log_dir = tmp / "logs"
        log_dir.mkdir()
        urls = {}
        for name, tree in trees.items():
            port = free_port()
            server = start(name, atlas_argv(port), env=atlas_env(temp_home(stack), repo=tree), cwd=tree,
                           log_dir=log_dir, port=port)  # fmt: skip
            urls[name] = stack.enter_context(running(server)).url
        p = stack.enter_context(sync_playwright())
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
        )
        stack.callback(browser.close)
        load = [load_avg()]
        times: dict[tuple[str, str], list[float]] = {(t, pg): [] for t in trees for pg in PAGES}
        errors: dict[tuple[str, str], int] = dict.fromkeys(times, 0)
        for url in urls.values():  # one warm-up each: the servers' first answers fill their caches
            for path in PAGES:
                first_shapes(browser, url + path)
        for _ in range(args.runs):
            for path in PAGES:
                for name, url in urls.items():
                    seconds, errs = first_shapes(browser, url + path)
                    times[name, path].append(seconds)
                    errors[name, path] += len(errs)
        load.append(load_avg())

    median = {k: statistics.median(v) for k, v in times.items()}
    print(f"First shapes at 400 kbit/s, 400 ms ({args.runs} runs, median; baseline {args.baseline_ref}):")
    for (name, path), values in times.items():
        verdict = "" if name == "before" else ("  ✓" if median[name, path] <= TARGET_S else "  MISSED")
        print(f"  {name:6} {path:12} {median[name, path]:.2f} s  ({', '.join(f'{v:.2f}' for v in values)})"
              f"  console errors: {errors[name, path]}{verdict}")  # fmt: skip
    print(
        "\n| date | machine | runs | `/` before → after | `/couverture` before → after | console errors after | load avg |"
    )
    print("|---|---|---|---|---|---|---|")
    cells = " | ".join(f"{median['before', p]:.2f} s → {median['after', p]:.2f} s" for p in PAGES)
    after_errors = sum(v for (n, _), v in errors.items() if n == "after")
    print(f"| {datetime.now(UTC):%Y-%m-%d} | {machine()} | {args.runs} | {cells} | {after_errors} | {'→'.join(load)} |")


if __name__ == "__main__":
    main()
