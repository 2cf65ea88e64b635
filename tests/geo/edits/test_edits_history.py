"""History of changes: filters, CSV export safe in spreadsheets, and admin revert."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from geo.errors import ChangeNotFound, InvalidParameter, VersionConflict
from geo.planning.edits import history


@pytest.fixture
def clock(monkeypatch):
    """Make the log's clock return the times pushed on ``clock`` (ISO text, UTC)."""
    times: list[str] = []
    monkeypatch.setattr(history, "utc_now", lambda: times.pop(0))
    return times


def test_every_change_records_who_when_what_before_after(store, inside):
    created = store.create(user="ana", fields={"kind": "claec", "name": "C1"}, lonlat=inside, reason="survey")
    store.update(created["id"], user="bob", version=1, fields={"name": "C2"})
    newest, first = store.history()
    assert (first["user"], first["action"], first["facility_id"], first["reason"]) == (
        "ana",
        "create",
        created["id"],
        "survey",
    )
    assert first["before"] is None and first["after"]["name"] == "C1" and first["version_after"] == 1
    assert (newest["user"], newest["action"], newest["changed"]) == ("bob", "update", ["name"])
    assert (newest["before"]["name"], newest["after"]["name"]) == ("C1", "C2")
    assert (newest["version_before"], newest["version_after"]) == (1, 2)
    assert datetime.fromisoformat(newest["at"]).tzinfo is not None


def test_filters_by_facility_user_and_date(store, clock):
    clock += ["2026-03-01T09:00:00.000000Z", "2026-03-02T10:00:00.000000Z", "2026-03-05T23:59:59.000000Z"]
    store.update("dnacpn-01", user="ana", version=1, fields={"beds": 1})
    store.update("educ-0001", user="bob", version=1, fields={"pupils": 10})
    store.update("dnacpn-01", user="bob", version=2, fields={"beds": 2})

    def ids(**filters):
        return [c["version_after"] * 10 + (c["facility_id"] == "dnacpn-01") for c in store.history(**filters)]

    assert ids(facility_id="dnacpn-01") == [31, 21]
    assert ids(user="bob") == [31, 20]
    assert ids(since="2026-03-02") == [31, 20]
    assert ids(until="2026-03-02") == [20, 21]  # a date includes its whole day
    assert ids(since=date(2026, 3, 2), until=datetime(2026, 3, 2, 10, 0, tzinfo=UTC)) == []
    assert ids(since="2026-03-02T10:00:00Z", user="bob", facility_id="educ-0001") == [20]
    assert len(store.history(limit=1)) == 1 and len(store.history(limit=1, offset=2)) == 1
    with pytest.raises(InvalidParameter) as info:
        store.history(since="last tuesday")
    assert info.value.code == "bad_date"


def test_merge_shows_in_both_facilities_history(store):
    store.merge("dnacpn-01", "sante-0001", user="bob", keep_version=1, drop_version=1)
    assert {c["action"] for c in store.history(facility_id="dnacpn-01")} == {"merge", "retire"}
    assert {c["action"] for c in store.history(facility_id="sante-0001")} == {"merge", "retire"}


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\t=1", " =1"])
def test_csv_export_is_safe_in_a_spreadsheet(store, inside, name):
    store.create(user="=cmd|' /C calc'!A0", fields={"kind": "claec", "name": name}, lonlat=inside, reason="-x")
    rows = list(csv.DictReader(io.StringIO(store.history_csv())))
    assert len(rows) == 1
    for key, value in rows[0].items():
        assert not value.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), (key, value)
    assert rows[0]["facility_name"] == "'" + name.strip()  # names are stored without surrounding blanks
    assert rows[0]["user"].startswith("'=cmd")
    assert list(rows[0]) == list(history.CSV_COLUMNS)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1", "'=1"),
        (" =1", "' =1"),
        ("\t1", "'\t1"),
        ("\r1", "'\r1"),
        ("-3", "'-3"),
        ("a=1", "a=1"),
        (None, ""),
        (7, "7"),
    ],
)
def test_safe_cell(value, cell):
    assert history.safe_cell(value) == cell


def test_csv_export_holds_the_changed_fields_before_and_after(store):
    store.update("educ-0001", user="bob", version=1, fields={"name": "École <b>N</b>"})
    [row] = csv.DictReader(io.StringIO(store.history_csv(user="bob")))
    assert (row["changed"], row["before"], row["after"]) == (
        "name",
        '{"name": "École Niaréla"}',
        '{"name": "École <b>N</b>"}',
    )


def test_revert_of_an_update_restores_the_before_values(store):
    store.update("dnacpn-01", user="ana", version=1, fields={"name": "Wrong", "beds": 3})
    change = store.history()[0]["id"]
    row = store.revert(change, user="admin")
    assert (row["name"], row["beds"], row["version"]) == ("ASACOFA", None, 3)
    latest = store.history()[0]
    assert (latest["action"], latest["reverts"], latest["user"]) == ("revert", change, "admin")
    assert store.current().set_index("id").loc["dnacpn-01", "name"] == "ASACOFA"
    assert store.conflicts() == []


def test_revert_of_an_update_changed_since_is_a_conflict(store):
    store.update("dnacpn-01", user="ana", version=1, fields={"name": "A"})
    first = store.history()[0]["id"]
    store.update("dnacpn-01", user="bob", version=2, fields={"name": "B"})
    with pytest.raises(VersionConflict) as info:
        store.revert(first, user="admin")
    assert info.value.current["name"] == "B"
    assert store.facility("dnacpn-01")["name"] == "B"


def test_revert_of_a_create_retires_and_of_a_retire_restores(store, inside):
    created = store.create(user="ana", fields={"kind": "claec", "name": "Ghost"}, lonlat=inside)
    store.revert(store.history()[0]["id"], user="admin")
    assert store.facility(created["id"])["status"] == "retired"
    assert created["id"] not in set(store.current()["id"])
    with pytest.raises(InvalidParameter) as info:
        store.revert(store.history(action="create")[0]["id"], user="admin")
    assert info.value.code == "nothing_to_revert"

    store.retire("lieu-stade", user="ana", version=1, reason="closed")
    restored = store.revert(store.history()[0]["id"], user="admin")
    assert (restored["status"], restored["version"]) == ("active", 3)
    assert "lieu-stade" in set(store.current()["id"])


def test_revert_of_a_merge_restores_both_and_can_itself_be_reverted(store):
    store.merge("dnacpn-01", "sante-0001", user="bob", keep_version=1, drop_version=1)
    drop_change = store.history(facility_id="sante-0001", action="retire")[0]["id"]
    store.revert(drop_change, user="admin")
    assert store.facility("sante-0001")["status"] == "active"
    assert store.facility("dnacpn-01")["version"] == 3
    assert {"dnacpn-01", "sante-0001"} <= set(store.current()["id"])
    revert = store.history()[0]["id"]
    store.revert(revert, user="admin")
    assert store.facility("sante-0001")["status"] == "retired"


def test_revert_unknown_change(store):
    with pytest.raises(ChangeNotFound):
        store.revert(999, user="admin")
