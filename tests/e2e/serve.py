"""Serve the atlas over one store with waitress, for the browser tests (run as a child process).

Usage: ``python tests/e2e/serve.py CONFIG_JSON`` (the ``create_app`` config of ``tests.backends.app_config``: the
GeoPackage, or the PostGIS database standing for it). Binds 127.0.0.1 on a free
port, loads the atlas, then prints ``PORT <n>`` on stdout and serves until
killed. A child process rather than a thread: GDAL/pyogrio calls can hold the
GIL long enough to stall a browser driven from the same process.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(config: str) -> None:
    sys.path.insert(0, str(ROOT))
    import waitress

    from webmap import create_app

    app = create_app(json.loads(config))
    _ = app.extensions["atlas_catalog"].atlas  # load before the first request
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=6, ident="bamako-atlas-e2e")
    sys.stdout.write(f"PORT {server.effective_port}\n")
    sys.stdout.flush()
    server.run()


if __name__ == "__main__":
    main(sys.argv[1])
