"""The imports table: save, load, list, commit all or none, once only, and discard."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import pytest

from geo.errors import ImportNotFound, InvalidParameter
from geo.planning.edits.db import connect
from geo.planning.imports import commit, discard, list_imports, load_import, parse_upload, preview, save_preview
from tests.geo.imports.samples import csv_bytes, ll


def _rows(n: int, *, dx0: float = 100) -> list[list[object]]:
    return [[f"École {i}", "school", *reversed(ll(dx0 + 2 * i, 600))] for i in range(n)]


@pytest.fixture
def saved(edit_store, quartiers):
    """Save a preview of 5 new schools, 1 probable duplicate of ASACOFA and 1 error; return its id."""
    rows = _rows(5) + [["CSCOM Asacofa", "cscom", *reversed(ll(505, 500))], ["", "school", "", ""]]
    parsed = parse_upload(csv_bytes(rows), "ecoles.csv", quartiers=quartiers)
    return save_preview(edit_store.path, preview(parsed, edit_store.current()), user="awa")


def created(edit_store) -> list[str]:
    current = edit_store.current()
    return sorted(current.loc[current["id"].str.startswith("edit-"), "name"])


def test_save_and_load_a_preview(edit_store, saved):
    record = load_import(edit_store.path, saved)
    assert saved.startswith("imp-") and record.status == "previewed" and record.user == "awa"
    assert record.filename == "ecoles.csv" and record.facility_ids is None
    counts = record.preview.counts()
    assert counts == {"read": 7, "to_add": 5, "duplicates": 1, "errors": 2, "rows_with_errors": 1}
    assert record.preview.errors[0].problem_code == "missing_name"
    assert json.loads(json.dumps(record.to_dict()))["to_add"][0]["fields"]["name"] == "École 0"
    with pytest.raises(ImportNotFound):
        load_import(edit_store.path, "imp-nope")


def test_the_table_has_the_documented_columns(edit_store, saved):
    conn = connect(edit_store.path)
    columns = {r["name"] for r in conn.execute("PRAGMA table_info(imports)")}
    conn.close()
    assert {"id", "user", "filename", "created_at", "status", "rows", "errors"} <= columns


def test_commit_creates_the_rows_to_add_once(edit_store, saved):
    ids = commit(saved, edit_store, "awa")
    assert len(ids) == 5 and created(edit_store) == [f"École {i}" for i in range(5)]
    record = load_import(edit_store.path, saved)
    assert record.status == "committed" and record.facility_ids == ids and record.decided_by == "awa"
    changes = edit_store.history(limit=100)
    assert {c["import_id"] for c in changes} == {saved} and len(changes) == 5
    with pytest.raises(InvalidParameter) as info:
        commit(saved, edit_store, "awa")
    assert info.value.code == "already_committed"
    assert len(created(edit_store)) == 5


def test_commit_can_include_the_duplicates(edit_store, saved):
    ids = commit(saved, edit_store, "awa", include_duplicates=True)
    assert len(ids) == 6 and "CSCOM Asacofa" in created(edit_store)


def test_commit_is_all_or_none(edit_store, saved):
    conn = connect(edit_store.path)
    rows = json.loads(conn.execute("SELECT rows FROM imports WHERE id = ?", (saved,)).fetchone()[0])
    rows[3]["fields"]["kind"] = "bogus"  # the edit store refuses the 4th row
    conn.execute("UPDATE imports SET rows = ? WHERE id = ?", (json.dumps(rows), saved))
    conn.close()
    stamp = edit_store.stamp()
    with pytest.raises(InvalidParameter) as info:
        commit(saved, edit_store, "awa")
    assert info.value.parameter == "rows[3].kind"
    assert created(edit_store) == [] and edit_store.history() == [] and edit_store.stamp() == stamp
    record = load_import(edit_store.path, saved)
    assert record.status == "previewed" and record.facility_ids is None
    # the failed commit released its claim: a corrected import commits
    rows[3]["fields"]["kind"] = "school"
    conn = connect(edit_store.path)
    conn.execute("UPDATE imports SET rows = ? WHERE id = ?", (json.dumps(rows), saved))
    conn.close()
    assert len(commit(saved, edit_store, "awa")) == 5


def test_rows_written_but_not_recorded_are_not_imported_twice(edit_store, saved):
    record = load_import(edit_store.path, saved)
    ids = edit_store.apply_rows(record.preview.to_add, user="awa", import_id=saved)  # as if the process then died
    with pytest.raises(InvalidParameter) as info:
        commit(saved, edit_store, "awa")
    assert info.value.code == "already_committed"
    repaired = load_import(edit_store.path, saved)
    assert repaired.status == "committed" and repaired.facility_ids == ids
    assert len(created(edit_store)) == 5


def _claim(edit_store, import_id, claimed_by, age=timedelta(0)):
    at = (datetime.now(UTC) - age).isoformat().replace("+00:00", "Z")
    conn = connect(edit_store.path)
    conn.execute("UPDATE imports SET claimed_by = ?, claimed_at = ? WHERE id = ?", (claimed_by, at, import_id))
    conn.close()


def test_a_running_commit_blocks_another(edit_store, saved):
    _claim(edit_store, saved, f"{socket.gethostname()}:{os.getpid()}")
    for action in (lambda: commit(saved, edit_store, "awa"), lambda: discard(edit_store.path, saved, "awa")):
        with pytest.raises(InvalidParameter) as info:
            action()
        assert info.value.code == "commit_running"
    assert created(edit_store) == []


@pytest.mark.parametrize(
    ("claimant", "age"),
    [
        (f"{socket.gethostname()}:999999999", timedelta(0)),  # a process of this host that died
        ("another-host:1", timedelta(hours=1)),  # a lease that ran out
    ],
)
def test_an_abandoned_claim_does_not_block(edit_store, saved, claimant, age):
    _claim(edit_store, saved, claimant, age)
    assert len(commit(saved, edit_store, "awa")) == 5


def test_a_fresh_claim_from_another_host_blocks(edit_store, saved):
    _claim(edit_store, saved, "another-host:1")
    with pytest.raises(InvalidParameter) as info:
        commit(saved, edit_store, "awa")
    assert info.value.code == "commit_running"


def test_concurrent_commits_import_once(edit_store, saved):
    results, errors = [], []

    def run():
        try:
            results.append(commit(saved, edit_store, "awa"))
        except InvalidParameter as exc:
            errors.append(exc.code)
        finally:
            edit_store.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 1 and len(errors) == 3
    assert set(errors) <= {"commit_running", "already_committed"}
    assert len(created(edit_store)) == 5


def test_discard(edit_store, saved):
    discard(edit_store.path, saved, "awa")
    record = load_import(edit_store.path, saved)
    assert record.status == "discarded" and record.decided_by == "awa"
    for action in (lambda: commit(saved, edit_store, "awa"), lambda: discard(edit_store.path, saved, "awa")):
        with pytest.raises(InvalidParameter) as info:
            action()
        assert info.value.code == "already_discarded"
    assert created(edit_store) == []
    with pytest.raises(ImportNotFound):
        discard(edit_store.path, "imp-nope", "awa")


def test_list_imports(edit_store, quartiers, saved):
    other = save_preview(
        edit_store.path,
        preview(parse_upload(csv_bytes(_rows(1)), "b.csv", quartiers=quartiers), None),
        user="moussa",
    )
    discard(edit_store.path, other, "moussa")
    listed = list_imports(edit_store.path)
    assert [i["id"] for i in listed] == [other, saved] and "to_add" not in listed[0]
    assert [i["id"] for i in list_imports(edit_store.path, user="awa")] == [saved]
    assert [i["id"] for i in list_imports(edit_store.path, status="discarded")] == [other]
    with pytest.raises(InvalidParameter):
        list_imports(edit_store.path, status="bogus")


def test_a_user_is_required(edit_store, saved):
    for action in (lambda: commit(saved, edit_store, " "), lambda: discard(edit_store.path, saved, "")):
        with pytest.raises(InvalidParameter) as info:
            action()
        assert info.value.code == "user_required"


def test_status_is_constrained_in_the_database(edit_store, saved):
    conn = connect(edit_store.path)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE imports SET status = 'bogus' WHERE id = ?", (saved,))
    conn.close()


def test_rows_accepted_on_the_district_edge_also_commit(edit_store, quartiers):
    # Points on and within a few millimetres of the outer boundary: whatever the preview accepts must commit.
    edge = [[f"Bord {i}", "school", *reversed(ll(-0.004 + i * 0.001, 500 + i))] for i in range(9)]
    edge += [[f"Coin {i}", "school", *reversed(ll(3000 + (i - 4) * 0.001, 1000))] for i in range(9)]
    parsed = parse_upload(csv_bytes(edge), "bord.csv", quartiers=quartiers)
    assert parsed.rows and {e.problem_code for e in parsed.errors} <= {"outside_district"}
    import_id = save_preview(edit_store.path, preview(parsed, None), user="awa")
    assert len(commit(import_id, edit_store, "awa")) == len(parsed.rows)
