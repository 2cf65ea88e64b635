"""The command line's help is in one language per locale: French under a French locale, English otherwise."""

from __future__ import annotations

import inspect
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from click.testing import CliRunner

from webmap.cli import main
from webmap.cli.i18n import DOMAIN, LOCALE_DIR, walk

CATALOG = LOCALE_DIR / "fr" / "LC_MESSAGES"
ROOT = Path(__file__).resolve().parents[2]
#: Words that only appear in one language's help.
FRENCH = ("Utilisation :", "Afficher ce message et quitter.", "Commandes")
ENGLISH = ("Usage:", "Show this message and exit.", "Commands")


def locale_env(lang: str) -> dict[str, str | None]:
    return {"LANG": lang, "LC_ALL": None, "LC_MESSAGES": None, "LANGUAGE": None}


def french_po():
    with open(CATALOG / f"{DOMAIN}.po", "rb") as f:
        return read_po(f, locale="fr")


def help_pages(lang: str) -> dict[str, str]:
    runner = CliRunner()
    pages = {}
    for path in ([], ["data"], ["data", "build"], ["data", "qa"], ["export"], ["import"], ["serve"], ["users"],
                 ["users", "add"], ["users", "token"]):  # fmt: skip
        result = runner.invoke(main, [*path, "--help"], env=locale_env(lang), prog_name="bamako-atlas")
        assert result.exit_code == 0, result.output
        pages[" ".join(path)] = result.output
    return pages


def test_every_help_text_has_a_french_translation():
    translated = {m.id: m.string for m in french_po() if m.id and m.string and not m.fuzzy}
    sources = set()
    for cmd in walk(main):
        sources.add(inspect.cleandoc(getattr(cmd, "_source_help", cmd.help) or ""))
        for param in cmd.params:
            sources.add(getattr(param, "_source_help", getattr(param, "help", None)) or "")
    missing = sorted(s for s in sources if s and s not in translated)
    assert missing == [], f"help without a French translation (see webmap/cli/i18n.py): {missing}"


def test_compiled_catalog_matches_the_po_file():
    buffer = io.BytesIO()
    write_mo(buffer, french_po())
    buffer.seek(0)
    expected = {str(m.id): str(m.string) for m in read_mo(buffer) if m.id}
    with open(CATALOG / f"{DOMAIN}.mo", "rb") as f:
        committed = {str(m.id): str(m.string) for m in read_mo(f) if m.id}
    assert committed == expected, f"{CATALOG / DOMAIN}.mo is stale: pybabel compile (see webmap/cli/i18n.py)"


def test_translations_keep_their_placeholders():
    assert [(m.id, errs) for m, errs in french_po().check() if errs] == []


@pytest.mark.parametrize(("lang", "ours", "theirs"), [("fr_FR.UTF-8", FRENCH, ENGLISH), ("en_US.UTF-8", ENGLISH, FRENCH),
                                                      ("C.UTF-8", ENGLISH, FRENCH)])  # fmt: skip
def test_help_pages_are_in_the_locale_language_only(lang, ours, theirs):
    for path, page in help_pages(lang).items():
        assert all(w in page for w in ours[:2]), (lang, path, page)
        assert not any(w in page for w in theirs), (lang, path, page)
    french = help_pages("fr_FR.UTF-8")
    assert "Construire et inspecter le magasin" in french[""] and "Exemples :" in french["export"]
    assert "Droits du compte." in french["users add"] and "[défaut : editor]" in french["users add"]


def test_one_process_can_switch_language_between_runs():
    assert "Build and inspect" in help_pages("en_US.UTF-8")["data"]
    assert "Construire et inspecter" in help_pages("fr_FR.UTF-8")["data"]
    assert "Build and inspect" in help_pages("en_US.UTF-8")["data"]


def test_usage_errors_follow_the_locale():
    result = CliRunner().invoke(main, ["serve", "--nope"], env=locale_env("fr_FR.UTF-8"), prog_name="bamako-atlas")
    assert result.exit_code == 2 and "Erreur : Option inconnue : '--nope'." in result.output


@pytest.mark.parametrize(("lang", "expected"), [("fr_FR.UTF-8", "Utilisation : bamako-atlas"),
                                                ("en_US.UTF-8", "Usage: bamako-atlas")])  # fmt: skip
def test_the_installed_command_follows_lang(lang, expected):
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    env.update(LANG=lang, PYTHONPATH=str(ROOT))
    code = "import sys; sys.argv[0] = 'bamako-atlas'; from webmap.cli import main; main()"
    out = subprocess.run([sys.executable, "-c", code, "--help"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.startswith(expected), out.stdout + out.stderr


def test_python_dash_m_runs_the_same_command_line():
    import subprocess
    import sys

    env = {**os.environ, "LANG": "en_US.UTF-8", "LC_ALL": "", "LANGUAGE": ""}
    done = subprocess.run([sys.executable, "-m", "webmap.cli", "--help"], capture_output=True, text=True, env=env)
    assert done.returncode == 0 and "Usage: bamako-atlas" in done.stdout
