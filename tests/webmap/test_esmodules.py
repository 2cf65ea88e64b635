"""The page scripts as native ES modules: served as JavaScript, importing each other by content-versioned URL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geo.planning import accounts
from tests.webmap.edit_helpers import login, make_app
from webmap import assets, esmodules

STATIC = Path(__file__).parents[2] / "webmap" / "static"
OWN_MODULES = sorted(p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*.js"))
SCRIPT = re.compile(r"<script\b([^>]*)>")
PINNED = re.compile(r"""\b(?:from|import)\s*"(\.{1,2}/[^"]+)\"""")


@pytest.fixture
def app(tiny_store, tmp_path, monkeypatch):
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    return make_app(tiny_store)


def scripts(html: str) -> list[str]:
    """Return the attributes of each <script> that loads a file."""
    return [attrs for attrs in SCRIPT.findall(html) if "src=" in attrs]


def test_own_scripts_are_modules_and_libraries_stay_classic(app):
    editor = app.test_client()
    login(editor)
    pages = {"/": "atlas.js", "/couverture": "coverage.js", "/imports": "imports.js", "/embed": "atlas.js"}
    for path, entry in pages.items():
        found = scripts(editor.get(path).get_data(as_text=True))
        own = [s for s in found if "/vendor/atlas/" in s]
        assert own and all('type="module"' in s for s in own), path
        assert any(f"/vendor/atlas/{entry}?v=" in s for s in own), path
        assert all('type="module"' not in s for s in found if "/vendor/atlas/" not in s), path  # Leaflet: classic


def test_modules_are_javascript_and_import_by_the_version_asset_url_gives(app):
    client = app.test_client()
    for name in OWN_MODULES:
        resp = client.get(f"/vendor/atlas/{name}")
        assert resp.status_code == 200 and resp.mimetype in ("text/javascript", "application/javascript"), name
        for spec in PINNED.findall(resp.get_data(as_text=True)):
            path, _, version = spec.partition("?v=")
            target = (Path(name).parent / path).as_posix().removeprefix("./")
            assert version == assets.own_version(target), f"{name} imports {spec}"
            again = client.get(f"/vendor/atlas/{target}?v={version}")
            assert again.status_code == 200 and again.cache_control.immutable


def test_the_editor_imports_the_very_map_module_the_page_runs(app):
    editor = app.test_client()
    login(editor)
    html = editor.get("/").get_data(as_text=True)
    page_src = re.search(r'<script type="module" src="([^"]*/atlas\.js\?v=[^"]+)"', html).group(1)
    edit_src = re.search(r'<script type="module" src="([^"]*/edit\.js\?v=[^"]+)"', html).group(1)
    imported = PINNED.findall(editor.get(edit_src).get_data(as_text=True))
    assert "./atlas.js?v=" + page_src.rpartition("?v=")[2] in imported  # one URL: one instance, one map


def test_a_changed_dependency_changes_the_importers_version():
    body = b'import { el } from "./lib/shared.js";\nexport { x } from \'../y.js\';\nimport "./side.js";\n'
    first = esmodules.pin_imports(body, "sub/a.js", lambda dep: {"sub/lib/shared.js": "1"}.get(dep, dep))
    assert first == (b'import { el } from "./lib/shared.js?v=1";\nexport { x } from \'../y.js?v=y.js\';\n'
                     b'import "./side.js?v=sub/side.js";\n')  # fmt: skip
    second = esmodules.pin_imports(body, "sub/a.js", lambda dep: "2" if dep == "sub/lib/shared.js" else dep)
    assert first != second
    assert esmodules.pin_imports(b'const url = "./x.js"; import("./lazy.js");', "a.js", str) == (
        b'const url = "./x.js"; import("./lazy.js");'
    )  # only static imports are pinned


def test_import_cycles_and_files_outside_the_folder_are_refused():
    graph = {"a.js": b'import "./b.js";', "b.js": b'import { a } from "./a.js";'}

    def version(name: str) -> str:
        return esmodules.pin_imports(graph[name], name, version).decode()[-8:]

    with pytest.raises(esmodules.ModuleGraphError, match=r"import cycle: a\.js → b\.js → a\.js"):
        esmodules.pin_imports(graph["a.js"], "a.js", version)
    with pytest.raises(esmodules.ModuleGraphError, match="outside the static folder"):
        esmodules.pin_imports(b'import "../../secret.js";', "a.js", str)


def test_a_missing_import_names_the_file():
    with pytest.raises(esmodules.ModuleGraphError, match="nope.js"):
        assets.own_version("nope.js")


@pytest.mark.parametrize("name", OWN_MODULES)
def test_no_script_parses_data_as_html(name):
    script = (STATIC / name).read_text(encoding="utf-8")
    assert "insertAdjacentHTML" not in script and "document.write" not in script, name
    assert not re.search(r"(inner|outer)HTML\s*=[^=]", script), name
    assert not re.search(r"bind(Popup|Tooltip)\(\s*['\"]", script), name
    assert "http://" not in script.replace("http://www.w3.org/2000/svg", "") and "https://" not in script, name


def test_pages_preload_exactly_the_modules_their_script_imports(app):
    editor = app.test_client()
    login(editor)
    for path, entry in {"/": "atlas.js", "/couverture": "coverage.js", "/imports": "imports.js"}.items():
        html = editor.get(path).get_data(as_text=True)
        src = re.search(rf'<script type="module" src="([^"]*/{entry}\?v=[^"]+)"', html).group(1)
        folder = src.rsplit("/", 1)[0]
        imported = {
            folder + "/" + spec.removeprefix("./") for spec in PINNED.findall(editor.get(src).get_data(as_text=True))
        }
        preloads = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', html))
        assert imported and imported <= preloads, path


def test_dependencies_are_transitive_and_refuse_cycles():
    graph = {
        "a.js": b'import "./lib/b.js";',
        "lib/b.js": b'import "./c.js"; import "../d.js";',
        "lib/c.js": b"",
        "d.js": b"",
    }
    assert esmodules.dependencies("a.js", graph.__getitem__) == ["lib/c.js", "d.js", "lib/b.js"]
    graph["lib/c.js"] = b'import "../a.js";'
    with pytest.raises(esmodules.ModuleGraphError, match=r"a\.js → lib/b\.js → lib/c\.js → a\.js"):
        esmodules.dependencies("a.js", graph.__getitem__)
