"""What GDAL needs to read every OGC API collection (issue 10 §7): HTTP requests, seconds, field types.

Serves the atlas (``bamako-atlas serve``) over a copy of the built store and copies every
collection with GDAL 3.6's ``ogr2ogr`` (Debian 12's ``gdal-bin``, what QGIS 3.22 offices run:
10 features a page unless ``-oo PAGE_SIZE=…``) and with the GDAL bundled in pyogrio. Requests are
counted from GDAL's own debug log (``HTTP: Fetch``). ``--baseline-tree DIR`` serves an earlier
checkout too (e.g. ``/work/main``), alternated with this one, for a before/after table.

    .venv/bin/python bench/bench_oapif.py [--rounds 3] [--baseline-tree /path/to/earlier/checkout]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _report import load_avg, machine  # noqa: E402
from _servers import REPO, atlas_argv, atlas_env, free_port, running, start, temp_home  # noqa: E402

#: Copies every collection with the GDAL bundled in pyogrio; prints nothing (GDAL logs to CPL_LOG).
PYOGRIO_COPY = """
import sys, pyogrio
url = "OAPIF:" + sys.argv[1]
for name, _ in pyogrio.list_layers(url):
    pyogrio.read_dataframe(url, layer=name)
info = pyogrio.read_info(url, layer="facilities")
print(dict(zip(info["fields"], info["dtypes"]))["beds"])
"""


def copy_all(client: str, url: str, options: list[str], work: Path) -> tuple[int, float, str]:
    """Read every collection at ``url``; return (HTTP requests, seconds, type of ``facilities.beds``)."""
    log = work / "gdal.log"
    log.unlink(missing_ok=True)
    env = {**os.environ, "CPL_DEBUG": "ON", "CPL_LOG": str(log)}
    start_s = time.perf_counter()
    if client == "ogr2ogr":
        out = work / "copy.gpkg"
        out.unlink(missing_ok=True)
        subprocess.run(["ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{url}", *options], env=env, check=True)
        seconds = time.perf_counter() - start_s
        info = subprocess.run(["ogrinfo", "-ro", "-so", str(out), "facilities"], capture_output=True, text=True).stdout
        beds = re.search(r"^beds: (\S+)", info, re.M).group(1)
    else:
        run = subprocess.run(
            [sys.executable, "-c", PYOGRIO_COPY, url], env=env, check=True, capture_output=True, text=True
        )
        seconds = time.perf_counter() - start_s
        beds = run.stdout.strip()
    return log.read_text(errors="replace").count("HTTP: Fetch("), seconds, beds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-tree", type=Path, help="an earlier checkout served side by side")
    args = parser.parse_args()
    clients = [("ogr2ogr", []), ("ogr2ogr", ["-oo", "PAGE_SIZE=1000"])] if shutil.which("ogr2ogr") else []
    if not clients:
        print("note: no ogr2ogr (Debian: apt-get install gdal-bin); measuring pyogrio's GDAL only", file=sys.stderr)
    clients.append(("pyogrio", []))
    trees = {"this": REPO, **({"baseline": args.baseline_tree.resolve()} if args.baseline_tree else {})}
    results: dict[tuple, list] = {}
    with ExitStack() as stack:
        home = temp_home(stack)
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-oapif-")))
        servers = {}
        for name, tree in trees.items():
            port = free_port()
            server = start(name, atlas_argv(port), env=atlas_env(home, tree), cwd=tree, log_dir=work, port=port)
            servers[name] = stack.enter_context(running(server, ready_path="/ogcapi"))
        for _ in range(args.rounds):
            for name, server in servers.items():  # alternated
                for client, options in clients:
                    results.setdefault((name, client, " ".join(options)), []).append(
                        copy_all(client, server.url + "/ogcapi", options, work)
                    )
    gdal = (
        subprocess.run(["ogrinfo", "--version"], capture_output=True, text=True).stdout.strip()
        if clients[0][0] == "ogr2ogr"
        else ""
    )
    print(
        f"| date | machine | tree | client | options | requests | seconds (median of {args.rounds}) | `beds` typed | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for (name, client, options), runs in results.items():
        label = f"{client} ({gdal.split(',')[0]})" if client == "ogr2ogr" else "pyogrio's GDAL"
        seconds = statistics.median(r[1] for r in runs)
        print(f"| {date.today()} | {machine()} | {name} | {label} | `{options or 'default'}` | {runs[0][0]} | "
              f"{seconds:.2f} | {runs[-1][2]} | {load_avg()} |")  # fmt: skip


if __name__ == "__main__":
    main()
