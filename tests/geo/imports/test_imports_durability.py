"""A commit killed (SIGKILL) in the middle of its transaction: nothing written, the import can be retried."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from geo.planning.imports import commit, load_import, parse_upload, preview, save_preview
from tests.geo.imports.samples import csv_bytes, ll

ROOT = Path(__file__).resolve().parents[3]
ROWS = 3000

_KILLED_COMMIT = """
import sys, time
from geo.planning.edits import EditStore
from geo.planning.imports import commit
from tests.conftest import tiny_layers

layers = tiny_layers()
store = EditStore(sys.argv[1], base=layers["facilities"], quartiers=layers["quartiers"])
apply_rows = store.apply_rows

def slow(rows, **kw):
    def progress(n):
        if n == 1000:
            print("halfway", flush=True)
            time.sleep(60)  # the parent kills us here, mid-transaction
    return apply_rows(rows, progress=progress, **kw)

store.apply_rows = slow
commit(sys.argv[2], store, "awa")
print("committed", flush=True)
"""


def test_sigkill_during_commit_leaves_the_import_previewed_and_retryable(edit_store, quartiers):
    rows = [[f"Centre {i}", "claec", *reversed(ll(100 + (i % 800), 100 + i // 8))] for i in range(ROWS)]
    parsed = parse_upload(csv_bytes(rows), "centres.csv", quartiers=quartiers)
    import_id = save_preview(edit_store.path, preview(parsed, None), user="awa")
    stamp, before = edit_store.stamp(), len(edit_store.current())
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_COMMIT, str(edit_store.path), import_id],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == "halfway", child.stderr.read()
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(30)
    assert child.returncode == -signal.SIGKILL
    assert edit_store.stamp() == stamp and len(edit_store.current()) == before
    assert edit_store.history(import_id=import_id) == []
    assert load_import(edit_store.path, import_id).status == "previewed"
    # The dead process's claim does not block: the import commits in full.
    assert len(commit(import_id, edit_store, "awa")) == ROWS
    assert load_import(edit_store.path, import_id).status == "committed"
