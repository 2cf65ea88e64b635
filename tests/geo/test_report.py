"""Documentation blocks rendered from the store: the replacement itself, and the committed README against a build."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from geo.errors import DataError
from geo.publication.report import DOCUMENTS, block_names, render_blocks, replace_blocks, report_documents
from geo.store import open_store

ROOT = Path(__file__).resolve().parents[2]

TEXT = """Intro.

<!-- report:count -->
old figure
spanning lines
<!-- /report:count -->

Prose stays. <!-- report:other -->
x
<!-- /report:other -->
"""


def test_replace_blocks_rewrites_only_block_bodies():
    out = replace_blocks(TEXT, {"count": "| n |\n|---|\n| 42 |\n", "other": "y"})
    assert out == (
        "Intro.\n\n<!-- report:count -->\n| n |\n|---|\n| 42 |\n<!-- /report:count -->\n\n"
        "Prose stays. <!-- report:other -->\ny\n<!-- /report:other -->\n"
    )
    assert replace_blocks(out, {"count": "| n |\n|---|\n| 42 |", "other": "y"}) == out
    assert block_names(out) == ["count", "other"]


def test_replace_blocks_fills_an_empty_block_and_ignores_unclosed_markers():
    text = "<!-- report:a -->\n<!-- /report:a -->\n<!-- report:b -->\nno end\n"
    assert replace_blocks(text, {"a": "1"}) == "<!-- report:a -->\n1\n<!-- /report:a -->\n<!-- report:b -->\nno end\n"


def test_replace_blocks_names_the_unknown_block_and_the_document():
    with pytest.raises(DataError, match=r"README\.md: unknown report block 'count'; known: other"):
        replace_blocks(TEXT, {"other": "y"}, source="README.md")


@pytest.mark.integration
def test_committed_documents_match_a_fresh_build(real_store):
    atlas = open_store(real_store)
    reports = report_documents(atlas, ROOT)
    assert [r.path.relative_to(ROOT).as_posix() for r in reports] == list(DOCUMENTS)
    used = {name for r in reports for name in block_names(r.current)}
    assert used == set(render_blocks(atlas)), "every block is used in a document"
    stale = [str(r.path) for r in reports if r.changed]
    assert stale == [], f"run 'bamako-atlas data report --write' after a build: {stale}"


@pytest.mark.integration
def test_report_command_exits_1_with_a_diff_and_write_fixes_it(real_store, tmp_path):
    from webmap.cli import main

    for rel in DOCUMENTS:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        text = (ROOT / rel).read_text(encoding="utf-8")
        (tmp_path / rel).write_text(text.replace("| `facilities` | 2 132 |", "| `facilities` | 1 |"), encoding="utf-8")
    from tests.backends import cli_env

    runner = CliRunner(env=cli_env(real_store))  # on PostGIS, the figures come from the database
    stale = runner.invoke(main, ["data", "report", "--root", str(tmp_path)])
    assert stale.exit_code == 1, stale.output
    assert "-| `facilities` | 1 |" in stale.output and "+| `facilities` | 2 132 |" in stale.output
    written = runner.invoke(main, ["data", "report", "--root", str(tmp_path), "--write"])
    assert written.exit_code == 0, written.output
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == (ROOT / "README.md").read_text(encoding="utf-8")
    assert runner.invoke(main, ["data", "report", "--root", str(tmp_path)]).exit_code == 0
