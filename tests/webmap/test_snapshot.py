"""One request, one snapshot: a request reads one atlas and files its results under that atlas's version."""

from __future__ import annotations

import pytest

from geo.planning.edits.store import EditStore
from tests.backends import app_config, planners_db
from tests.backends import catalog as make_catalog
from webmap import create_app
from webmap.catalog import Catalog

ITEMS = "/ogcapi/collections/facilities/items?f=json&limit=100"


@pytest.fixture
def edit_app(tiny_store):
    return create_app(app_config(tiny_store, edits_db=planners_db(tiny_store), TESTING=True))


def _add_facility(catalog: Catalog) -> None:
    catalog.edit_store().create(
        user="awa", fields={"kind": "claec", "name": "CLAEC test"}, lonlat=None, quartier_pcode="ML090101002"
    )


def test_an_edit_between_reading_and_memoising_is_not_filed_under_the_new_version(edit_app, monkeypatch):
    """The old layers must never be served as the new version (5 features under the version that has 6)."""
    catalog = edit_app.extensions["atlas_catalog"]
    catalog.edit_store()  # create the database, so the edit below changes the stamp
    real_memo = Catalog.memo
    fired = []

    def memo_after_an_edit(self, key, *args, **kwargs):
        if key == "ogcapi:features:facilities" and not fired:
            fired.append(key)
            _add_facility(self)  # another request commits while this one is between its read and its memo
        return real_memo(self, key, *args, **kwargs)

    monkeypatch.setattr(Catalog, "memo", memo_after_an_edit)
    client = edit_app.test_client()
    first = client.get(ITEMS)
    assert fired and first.status_code == 200
    assert first.get_json()["numberMatched"] == len(first.get_json()["features"]) == 5  # this request's snapshot
    second = client.get(ITEMS)
    assert second.status_code == 200
    doc = second.get_json()
    assert doc["numberMatched"] == len(doc["features"]) == 6


def test_memo_files_under_the_version_it_was_given(tiny_store):
    catalog = make_catalog(tiny_store)
    old = catalog.atlas
    _add_facility(catalog)
    assert catalog.memo("n", lambda: len(old["facilities"]), version=old.version) == 5
    assert catalog.memo("n", lambda: len(catalog.atlas["facilities"])) == 6


def test_one_stamp_query_per_request(edit_app, monkeypatch):
    edit_app.extensions["atlas_catalog"].edit_store()
    client = edit_app.test_client()
    assert client.get(ITEMS).status_code == 200  # warm the caches
    calls = []
    real = EditStore.stamp
    monkeypatch.setattr(EditStore, "stamp", lambda self: calls.append(1) or real(self))
    for url in (ITEMS, "/ogcapi/collections/facilities/items/educ-0001?f=json", "/facilities/educ-0001",
                "/api/v1/layers/facilities.csv", "/api/v1/coverage?kind=cscom", "/couverture", "/",
                "/api/v1/map-data.json", "/maps/district.png?size=800x600&dpi=72"):  # fmt: skip
        calls.clear()
        assert client.get(url).status_code == 200, url
        assert len(calls) == 1, url
