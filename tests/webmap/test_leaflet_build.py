"""The map pages' Leaflet: built from Leaflet's sources by scripts/leaflet/build, committed, pinned here.

CI has no Node.js: these tests check the committed output against its record (BUILD.json) and the pinned
packages, so a hand edit or a half-done rebuild fails; tests/e2e/test_leaflet_members.py checks in Chromium that
it holds everything the atlas's scripts use.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from webmap import assets

ROOT = Path(__file__).parents[2]
BUILT = ROOT / "webmap" / "vendor" / "leaflet-atlas"
SCRIPT = ROOT / "scripts" / "leaflet"


def record() -> dict:
    return json.loads((BUILT / "BUILD.json").read_text(encoding="utf-8"))


def test_every_built_file_is_the_one_the_build_recorded():
    files = sorted(p.relative_to(BUILT).as_posix() for p in BUILT.rglob("*") if p.is_file() and p.name != "BUILD.json")
    assert files == sorted(record()["sha256"])  # nothing added, nothing missing
    for name, digest in record()["sha256"].items():
        assert hashlib.sha256((BUILT / name).read_bytes()).hexdigest() == digest, f"{name}: rebuild with {SCRIPT}/build"


def test_the_build_is_of_the_pinned_packages():
    pinned = json.loads((SCRIPT / "package.json").read_text(encoding="utf-8"))["dependencies"]
    locked = json.loads((SCRIPT / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    built = record()
    for name in ("leaflet", "esbuild"):
        assert built[name] == pinned[name] == locked[f"node_modules/{name}"]["version"], name
    banner = (BUILT / "leaflet.js").read_text(encoding="utf-8")[:600]
    assert f"Leaflet {built['leaflet']}, a JS library for interactive maps" in banner and "(c) 2010-2023" in banner
    assert "BSD 2-Clause License" in (BUILT / "LICENSE").read_text(encoding="utf-8")
    assert "node_modules" in (ROOT / ".gitignore").read_text(encoding="utf-8")


def test_it_is_lighter_than_leaflet_itself():
    full = (assets.bundle_dir("leaflet")[0] / "leaflet.js").read_bytes()
    ours = (BUILT / "leaflet.js").read_bytes()
    import brotli

    assert len(brotli.compress(ours, quality=11)) < len(brotli.compress(full, quality=11)) - 2500


def test_map_pages_load_it_versioned_by_content(client):
    for url in ("/", "/couverture", "/embed", "/communes/ML090101"):
        html = client.get(url).get_data(as_text=True)
        scripts = re.findall(r'<script src="(/vendor/leaflet-atlas/leaflet\.js\?v=\w{10})"></script>', html)
        assert len(scripts) == 1, url
        assert f'<link rel="preload" href="{scripts[0]}" as="script">' in html, url
        link = re.search(r'<link rel="stylesheet" href="/vendor/leaflet-atlas/leaflet\.css\?v=\w{10}">', html)
        if url.startswith("/communes/"):  # a unit page links it (cached across unit pages)
            assert link, url
        else:  # the entry pages carry it (one request less), its images at their URLs
            assert not link and ".leaflet-pane" in html and "url(/vendor/leaflet-atlas/images/layers.png)" in html, url
        assert "/vendor/leaflet/" not in html, url
    resp = client.get(scripts[0], headers={"Accept-Encoding": "br"})
    assert resp.status_code == 200 and resp.cache_control.immutable and resp.headers["Content-Encoding"] == "br"
    assert resp.mimetype in ("text/javascript", "application/javascript")
    assert client.get("/vendor/leaflet-atlas/BUILD.json").status_code == 200  # listed like any bundle file
    assert client.get("/vendor/leaflet-atlas/../leaflet-atlas/nope.js").status_code == 404
