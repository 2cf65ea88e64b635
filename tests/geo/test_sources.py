"""Sources: mirror first, sha256 always checked, clear errors without network."""

from __future__ import annotations

import hashlib
import http.server
import threading
from functools import partial

import pytest

from geo.errors import ChecksumMismatch, SourceError
from geo.pipeline import sources

CONTENT = b"bamako atlas test file\n"
GOOD = hashlib.sha256(CONTENT).hexdigest()


def make_source(url: str, sha256: str = GOOD) -> sources.Source:
    return sources.Source("demo", "Vector/demo.gpkg", sha256, url, "test", "CC0", "test")


@pytest.fixture
def http_dir(tmp_path):
    """Serve a folder on a free loopback port; yield (folder, base URL)."""
    root = tmp_path / "www"
    (root / "Vector").mkdir(parents=True)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_registry_pins_every_upstream_file():
    reg = sources.registry()
    assert set(reg) == {
        "communes",
        "quartiers",
        "district",
        "dnacpn_cscom",
        "survey_health",
        "survey_education",
        "survey_waste",
    }
    for src in reg.values():
        assert len(src.sha256) == 64
        assert src.url.startswith(
            "https://raw.githubusercontent.com/eubtube/OCA_Bamako_Maps/467ba2b7e774ef7b63a1f81446c64ebdedc4bb00/"
        )
        assert src.licence and src.attribution


def test_mirror_is_used_first(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "Vector").mkdir(parents=True)
    (mirror / "Vector/demo.gpkg").write_bytes(CONTENT)
    path = sources.fetch_source(
        make_source("http://127.0.0.1:9/never"), {"MIRROR": str(mirror), "CACHE": str(tmp_path / "c")}
    )
    assert path == mirror / "Vector/demo.gpkg"


def test_tampered_mirror_file_is_refused_naming_file_and_both_hashes(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "Vector").mkdir(parents=True)
    (mirror / "Vector/demo.gpkg").write_bytes(CONTENT + b"tampered")
    with pytest.raises(ChecksumMismatch) as err:
        sources.fetch_source(
            make_source("http://127.0.0.1:9/never"), {"MIRROR": str(mirror), "CACHE": str(tmp_path / "c")}
        )
    message = str(err.value)
    assert "demo.gpkg" in message and GOOD in message
    assert hashlib.sha256(CONTENT + b"tampered").hexdigest() in message


def test_download_goes_to_cache_and_is_verified(http_dir, tmp_path):
    root, base = http_dir
    (root / "Vector/demo.gpkg").write_bytes(CONTENT)
    cache = tmp_path / "cache"
    path = sources.fetch_source(make_source(base + "Vector/demo.gpkg"), {"CACHE": str(cache)})
    assert path.parent == cache and path.read_bytes() == CONTENT


def test_corrupt_download_is_refused_and_nothing_written(http_dir, tmp_path):
    root, base = http_dir
    (root / "Vector/demo.gpkg").write_bytes(b"corrupted")
    cache = tmp_path / "cache"
    with pytest.raises(ChecksumMismatch) as err:
        sources.fetch_source(make_source(base + "Vector/demo.gpkg"), {"CACHE": str(cache)})
    assert GOOD in str(err.value) and hashlib.sha256(b"corrupted").hexdigest() in str(err.value)
    assert not any(p.is_file() for p in cache.rglob("*"))


def test_no_network_no_mirror_names_both_remedies(tmp_path):
    with pytest.raises(SourceError) as err:
        sources.fetch_source(make_source("http://127.0.0.1:9/Vector/demo.gpkg"), {"CACHE": str(tmp_path / "c")})
    message = str(err.value)
    assert "BAMAKO_ATLAS_MIRROR" in message and "internet" in message and "Vector/demo.gpkg" in message


def test_real_mirror_hashes_match(mirror_dir, tmp_path):
    for key in sources.registry():
        path = sources.fetch(key, {"MIRROR": str(mirror_dir), "CACHE": str(tmp_path)})
        assert path.is_file()


def test_fetch_all_names_every_missing_file(tmp_path, monkeypatch):
    reg = {
        k: sources.Source(k, f"Vector/{k}.gpkg", GOOD, f"http://127.0.0.1:9/Vector/{k}.gpkg", "", "", "") for k in "ab"
    }
    monkeypatch.setattr(sources, "registry", lambda: reg)
    with pytest.raises(SourceError) as err:
        sources.fetch_all({"CACHE": str(tmp_path)})
    assert "Vector/a.gpkg" in str(err.value) and "Vector/b.gpkg" in str(err.value)
    assert "BAMAKO_ATLAS_MIRROR" in str(err.value)
