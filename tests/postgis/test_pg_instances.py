"""Several atlas instances on one PostGIS: one store, one edit history, one set of accounts."""

from __future__ import annotations

import pytest

from geo.planning import accounts
from geo.store import PostgisStore, open_store, store_backend
from webmap import create_app

pytestmark = pytest.mark.postgis

PASSWORD = "correct horse battery"


@pytest.fixture
def database(pg_url, tiny_store) -> str:
    """Return the URL of a database holding the tiny atlas and an editor ``awa``."""
    atlas = open_store(tiny_store)
    meta = {k: v for k, v in atlas.meta.items() if k != "schema_version"}
    tables = {name: store_backend(path=tiny_store).read_table(name) for name in ("cscom_reconciliation",)}
    PostgisStore(pg_url).write(atlas.layers, meta, tables=tables)
    accounts.create_user(pg_url, "awa", "editor", PASSWORD)
    return pg_url


def instance(database: str, home) -> object:
    """Return an app (one "host") reading everything from ``database``, with its own home folder."""
    home.mkdir(exist_ok=True)
    app = create_app({"TESTING": True, "ATLAS_SETTINGS": {"HOME": str(home), "DATABASE": database}})
    return app.test_client()


def test_the_app_serves_the_layers_from_postgis(database, tiny_store, tmp_path):
    pg = instance(database, tmp_path / "a")
    gpkg = create_app({"TESTING": True, "ATLAS_STORE": str(tiny_store)}).test_client()
    for url in ("/api/v1/layers/cscom.geojson", "/api/v1/layers/facilities.geojson", "/api/v1/layers"):
        assert pg.get(url).get_json() == gpkg.get(url).get_json(), url
    assert pg.get("/").status_code == 200
    assert pg.application.config["ATLAS_EDITS_DB"] == database


def test_an_edit_through_one_instance_shows_through_the_other_and_a_race_gives_one_409(database, tmp_path):
    one, two = instance(database, tmp_path / "one"), instance(database, tmp_path / "two")
    auth = {"Authorization": f"Bearer {accounts.issue_token(database, 'awa')}"}  # one account base for both
    url = "/api/v1/facilities/dnacpn-01"
    assert one.get(url, headers=auth).get_json()["version"] == two.get(url, headers=auth).get_json()["version"] == 1
    assert one.get("/api/v1/layers/cscom.geojson").get_json()["features"][0]["properties"]["name"] == "ASACOFA"

    saved = one.patch(url, json={"version": 1, "name": "ASACOFA (rénové)"}, headers=auth)
    assert saved.status_code == 200 and saved.get_json()["version"] == 2
    seen = two.get("/api/v1/layers/cscom.geojson").get_json()  # the next request of the other host
    assert seen["features"][0]["properties"]["name"] == "ASACOFA (rénové)"
    assert two.get(url, headers=auth).get_json()["version"] == 2

    # Both hosts save from version 2: exactly one wins, the other gets 409 with the current values.
    first = two.patch(url, json={"version": 2, "beds": 10}, headers=auth)
    second = one.patch(url, json={"version": 2, "beds": 12}, headers=auth)
    assert (first.status_code, second.status_code) == (200, 409)
    assert second.get_json()["error"]["code"] == "version_conflict" and second.get_json()["current"]["beds"] == 10
    history = one.get("/api/v1/history", headers=auth).get_json()
    assert [c["version_after"] for c in history["changes"]] == [3, 2]
