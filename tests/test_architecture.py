"""Architecture: the import contracts hold, library code does not print, settings are documented."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from geo.settings import ENV_PREFIX, SETTINGS

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold_without_ignored_imports():
    """The layers, acyclic and forbidden contracts of ``.importlinter`` (also run by scripts/test)."""
    config = (ROOT / ".importlinter").read_text(encoding="utf-8")
    assert "ignore_imports" not in config
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


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
