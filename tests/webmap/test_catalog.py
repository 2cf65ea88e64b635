"""The catalog lays planners' edits over the store and notices changes on the next access."""

from __future__ import annotations

from geo.planning.edits.pg import database_exists
from tests.backends import catalog as make_catalog
from tests.backends import planners_db


def test_no_edits_database_is_created_by_reading(tiny_store):
    catalog = make_catalog(tiny_store)
    assert len(catalog.atlas["facilities"]) == 5
    assert not database_exists(planners_db(tiny_store))  # no edits.sqlite; on PostgreSQL, no planners' tables


def test_an_edit_shows_on_the_next_access_with_a_new_version(tiny_store):
    catalog = make_catalog(tiny_store)
    before = catalog.version
    store = catalog.edit_store()
    created = store.create(
        user="awa", fields={"kind": "claec", "name": "CLAEC test"}, lonlat=None, quartier_pcode="ML090101002"
    )
    facilities = catalog.atlas["facilities"]
    assert created["id"] in set(facilities["id"]) and len(facilities) == 6
    assert catalog.version != before
    # A second catalog (another server process) sees it too.
    other = make_catalog(tiny_store)
    assert created["id"] in set(other.atlas["facilities"]["id"])


def test_memo_is_dropped_when_an_edit_is_saved(tiny_store):
    catalog = make_catalog(tiny_store)
    assert catalog.memo("n", lambda: len(catalog.atlas["facilities"])) == 5
    catalog.edit_store().retire("educ-0001", user="awa", version=1, reason="closed")
    assert catalog.memo("n", lambda: len(catalog.atlas["facilities"])) == 4
