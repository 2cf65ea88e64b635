"""Finding 9: ``conflicts/resolve`` acts only on a conflict that exists (400 ``no_conflict`` otherwise)."""

from __future__ import annotations

import pytest

from geo.planning import accounts
from geo.store import open_store
from tests.backends import rebuild
from tests.webmap.edit_helpers import bearer, inside, make_app


@pytest.fixture
def client(tiny_store, db, monkeypatch):
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    return make_app(tiny_store, db).test_client()


def resolve(client, auth, **body):
    return client.post("/api/v1/conflicts/resolve", json=body, headers=auth)


def test_a_planner_created_facility_cannot_be_resolved_away(client, db):
    auth = bearer(db)
    lon, lat = inside()
    made = client.post(
        "/api/v1/facilities", json={"kind": "cscom", "name": "CSCOM X", "lon": lon, "lat": lat}, headers=auth
    )
    fid = made.get_json()["id"]
    for field in (None, "name"):
        resp = resolve(client, auth, facility_id=fid, field=field, version=1, take="source")
        assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "no_conflict"
    after = client.get(f"/api/v1/facilities/{fid}", headers=auth).get_json()
    assert after["status"] == "active" and after["version"] == 1
    history = client.get(f"/api/v1/history?facility={fid}", headers=auth).get_json()["changes"]
    assert [c["action"] for c in history] == ["create"]  # no false "vanished from the sources" entry


def test_a_source_facility_without_conflict_is_refused(client, db):
    auth = bearer(db)
    assert resolve(client, auth, facility_id="dnacpn-01", version=1, take="source").status_code == 400
    client.patch("/api/v1/facilities/dnacpn-01", json={"version": 1, "beds": 10}, headers=auth)
    # corrected, but the sources did not change since: nothing to resolve
    resp = resolve(client, auth, facility_id="dnacpn-01", field="beds", version=2, take="planner")
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "no_conflict"
    assert client.get("/api/v1/facilities/dnacpn-01", headers=auth).get_json()["version"] == 2


def test_a_real_conflict_is_still_resolved(client, db, tiny_store):
    auth = bearer(db)
    client.patch("/api/v1/facilities/dnacpn-01", json={"version": 1, "beds": 10}, headers=auth)
    atlas = open_store(tiny_store)
    layers = dict(atlas.layers)
    layers["facilities"] = layers["facilities"].assign(beds=[4.0, None, None, None, None])
    rebuild(tiny_store, layers, {**atlas.meta, "build_id": "test-build-2"})
    client.application.extensions["atlas_catalog"].check_every_s = 0
    resp = resolve(client, auth, facility_id="dnacpn-01", field="beds", version=2, take="planner")
    assert resp.status_code == 200 and resp.get_json()["beds"] == 10
    assert client.get("/api/v1/conflicts", headers=auth).get_json()["count"] == 0
    again = resolve(client, auth, facility_id="dnacpn-01", field="beds", version=3, take="planner")
    assert again.status_code == 400 and again.get_json()["error"]["code"] == "no_conflict"
