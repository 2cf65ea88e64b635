"""Layering rules: ``geo`` is a pure library; settings are documented."""

from __future__ import annotations

import ast
from pathlib import Path

from geo.settings import ENV_PREFIX, SETTINGS

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_GEO = ("flask", "flask_babel", "folium", "branca", "webmap", "werkzeug", "jinja2", "matplotlib")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_geo_never_imports_the_web_layer():
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            imported_modules(path) & set(FORBIDDEN_IN_GEO) - ({"matplotlib"} if "render" in path.parts else set())
        )
        for path in (ROOT / "geo").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_library_code_does_not_print():
    for path in (ROOT / "geo").rglob("*.py"):
        if path.name.startswith("cli"):
            continue  # command-line modules talk to the terminal through click
        calls = [
            n
            for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "print"
        ]
        assert not calls, f"print() in {path.relative_to(ROOT)}: use logging"


def test_every_setting_is_documented_in_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if ENV_PREFIX + s.name not in readme]
    assert missing == []
