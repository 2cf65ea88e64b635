"""``bamako-atlas publish``: the static copy of the tiny atlas, crawled on disk and read with GDAL behind nginx."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pyogrio
import pytest
from click.testing import CliRunner

from geo.store import write_store
from tests.backends import cli_env, location
from tests.conftest import tiny_layers
from tests.static_server import NGINX, free_port, serve
from webmap.cli import main
from webmap.publish import paths, publish
from webmap.publish.site import PublishError

LIVE = "https://atlas.example.org"
HEX10 = re.compile(r"\.([0-9a-f]{10})\.")


def _get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """GET ``url`` and return (status, lower-cased headers, body as sent)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", parts.path, headers=headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def _store(folder: Path) -> Path:
    meta = {"build_id": "test-build-1", "built_at": "2026-11-29T00:00:00+00:00", "package_version": "test",
            "sources": {}, "counts": {}}  # fmt: skip
    return write_store(folder / "atlas.gpkg", tiny_layers(), meta)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Return (folder, port): the tiny atlas published for a server on ``port``."""
    root = tmp_path_factory.mktemp("publish")
    port = free_port()
    publish(location(_store(root)), root / "site", live_url=LIVE, base_url=f"http://127.0.0.1:{port}")
    return root / "site", port


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.configs: list[str] = []
        self._config = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls += [attrs[a] for a in ("href", "src", "action") if attrs.get(a)]
        self._config = tag == "script" and attrs.get("type") == "application/json"

    def handle_data(self, data):
        if self._config:
            self.configs.append(data)
            self._config = False


def _resolves(site: Path, url: str) -> bool:
    path = site / unquote(urlsplit(url).path).lstrip("/")
    return path.is_file() or (path / "index.html").is_file() or (path / "index.json").is_file()


def _fetched(config: dict) -> list[str]:
    """Return the URLs a page's script fetches as they are: the map data's parts and the coverage files."""
    urls = list((config.get("dataParts") or {}).values())
    return urls + list(((config.get("coverage") or {}).get("site") or {}).values())


def test_every_internal_link_script_and_fetch_of_every_page_is_a_file(site):
    folder, _ = site
    pages = sorted(folder.rglob("*.html"))
    assert len(pages) > 40  # the views in FR and EN, every commune, quartier and facility
    broken, checked = [], 0
    for page in pages:
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        urls = parser.urls + [u for c in parser.configs for u in _fetched(json.loads(c))]
        for url in urls:
            if url.startswith(("#", LIVE, "mailto:")) or urlsplit(url).scheme:
                continue
            checked += 1
            assert "?" not in url, f"{page}: {url} has a query string"
            if not _resolves(folder, url):
                broken.append(f"{page.relative_to(folder)}: {url}")
    assert checked > 1000
    assert broken == []


def test_what_needs_the_server_links_to_the_live_site_and_the_login_is_hidden(site):
    folder, _ = site
    home = (folder / "index.html").read_text(encoding="utf-8")
    assert "/login" not in home
    data = (folder / "donnees" / "index.html").read_text(encoding="utf-8")
    assert f'action="{LIVE}/donnees/export"' in data
    assert (folder / "communes" / "ML090101" / "index.html").is_file()
    assert (folder / "couverture" / "index.lang-en.html").is_file()
    assert (folder / "embed" / "index.html").is_file()


def test_pages_and_ogc_documents_without_a_language_are_french(site):
    """A page reached from an English page is written French all the same: ``lang`` is only in the URL."""
    folder, _ = site
    for page in ("index.html", "communes/ML090101/index.html", "donnees/index.html"):
        assert '<html lang="fr"' in (folder / page).read_text(encoding="utf-8"), page
    assert '<html lang="en"' in (folder / "index.lang-en.html").read_text(encoding="utf-8")
    english = [p for p in folder.rglob("*.html") if '<html lang="en"' in p.read_text(encoding="utf-8")]
    assert english and all("lang-en" in p.name for p in english)
    ogc = folder / "ogcapi" / "collections"
    assert json.loads((ogc / "communes" / "index.json").read_text())["title"] == "Communes du District de Bamako"
    schema = json.loads((ogc / "cscom" / "schema" / "index.json").read_text())
    assert schema["properties"]["beds"]["title"] == "Lits"


def test_assets_and_data_are_named_by_their_content(site):
    folder, _ = site
    hashed = [
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix != ".gz" and ("/" + p.relative_to(folder).as_posix()).startswith(paths.HASHED)
    ]
    assert {p.suffix for p in hashed} >= {
        ".js",
        ".css",
        ".json",
        ".csv",
        ".gpkg",
        ".kml",
        ".zip",
        ".png",
        ".pdf",
        ".geojson",
    }
    for path in hashed:
        digest = HEX10.findall(path.name)
        assert digest and digest[-1] == hashlib.sha256(path.read_bytes()).hexdigest()[:10], path
    assert "immutable" in (folder / "_headers").read_text() and "no-cache" in (folder / "_headers").read_text()


def test_text_files_have_a_gzip_copy_nginx_sends_as_is(site, tmp_path):
    folder, port = site
    copies = sorted(folder.rglob("*.gz"))
    assert {p.with_suffix("").suffix for p in copies} >= {".html", ".js", ".css", ".json", ".geojson", ".csv"}
    for copy in copies:
        assert gzip.decompress(copy.read_bytes()) == copy.with_suffix("").read_bytes(), copy
    small = [p for p in folder.rglob("*.json") if p.stat().st_size < paths.PRECOMPRESS_MIN_BYTES]
    assert small and not any(p.with_name(p.name + ".gz").exists() for p in small)
    assert not list(folder.rglob("*.png.gz")) and not list(folder.rglob("*.zip.gz"))
    if NGINX:
        with serve(folder, tmp_path / "server", port) as base:
            status, headers, body = _get(base + "/", {"Accept-Encoding": "gzip"})
            assert status == 200 and headers["content-encoding"] == "gzip"
            assert body == (folder / "index.html.gz").read_bytes()


def test_every_export_and_the_partner_package_are_written(site):
    folder, _ = site
    names = {HEX10.sub(".", p.name) for p in (folder / "api" / "v1" / "layers").iterdir() if p.suffix != ".gz"}
    for layer in ("communes", "quartiers", "facilities", "qa_findings", "cscom"):
        for ext in ("geojson", "gpkg", "csv", "fr.csv", "kml", "shp.zip"):
            assert f"{layer}.{ext}" in names
    assert len(list((folder / "api" / "v1").glob("package.*.zip"))) == 2  # French, English
    assert list((folder / "maps").glob("district.*.png")) and list((folder / "maps").glob("view.*.pdf"))


def test_gdal_reads_the_static_ogc_api_behind_a_static_server(site, tmp_path):
    folder, port = site
    layers = tiny_layers()
    with serve(folder, tmp_path / "server", port) as base:
        listed = dict(pyogrio.list_layers(f"OAPIF:{base}/ogcapi"))
        assert {"communes", "quartiers", "facilities", "cscom"} <= set(listed)
        frame = pyogrio.read_dataframe(f"OAPIF:{base}/ogcapi", layer="facilities")
        in_district = layers["facilities"]["in_analysis"].sum()
        assert len(frame) == in_district
        info = pyogrio.read_info(f"OAPIF:{base}/ogcapi", layer="facilities")
        types = dict(zip(info["fields"], info["ogr_types"], strict=True))
        assert types["beds"] == types["pupils"] == "OFTInteger"
        assert len(pyogrio.read_dataframe(f"OAPIF:{base}/ogcapi", layer="communes")) == len(layers["communes"])
        out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", "-oo", "PAGE_SIZE=1000", f"OAPIF:{base}/ogcapi",
                              "facilities"], capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
        assert "ERROR" not in out.stderr
        assert re.search(r"beds: Integer", out.stdout)
        assert f"Feature Count: {in_district}" in out.stdout


def test_a_failed_publish_leaves_the_previous_site_untouched(tmp_path, monkeypatch):
    target = tmp_path / "site"
    target.mkdir()
    (target / "index.html").write_text("previous")
    (target / "_headers").write_text(paths.CACHE_POLICY)
    monkeypatch.setattr("webmap.publish.site.seeds", lambda app: ["/", "/communes/NOT-A-PCODE"])
    with pytest.raises(PublishError, match="NOT-A-PCODE"):
        publish(location(_store(tmp_path)), target)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert (target / "index.html").read_text() == "previous"


def test_the_cli_refuses_a_live_url_that_is_not_an_address(tmp_path):
    result = CliRunner().invoke(main, ["publish", str(tmp_path / "site"), "--live-url", "atlas.example.org"])
    assert result.exit_code == 2
    assert "--live-url" in result.output
    assert not (tmp_path / "site").exists()


def test_the_cli_publishes_the_atlas_the_settings_name(tmp_path, monkeypatch):
    monkeypatch.setattr("webmap.publish.site.seeds", lambda app: ["/", "/communes/ML090101"])
    store = _store(tmp_path / "home")
    env = cli_env(store)
    if env["BAMAKO_ATLAS_DATABASE"]:  # PostGIS: the atlas is in the database, the file under HOME is not read
        store.unlink()
    result = CliRunner().invoke(main, ["publish", str(tmp_path / "site")], env=env)
    assert result.exit_code == 0, result.output
    assert "Commune I" in (tmp_path / "site" / "communes" / "ML090101" / "index.html").read_text()


def test_a_folder_that_is_not_a_published_atlas_is_never_replaced(tmp_path):
    target = tmp_path / "documents"
    target.mkdir()
    (target / "thesis.odt").write_text("keep me")
    with pytest.raises(PublishError, match="not a static atlas"):
        publish(location(_store(tmp_path)), target)
    assert (target / "thesis.odt").read_text() == "keep me"
