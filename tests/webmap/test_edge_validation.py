"""Validation at the edge through the API (issue 13): far points, unstorable names, hostile files, owners, cap."""

from __future__ import annotations

import io
from xml.etree import ElementTree

import pytest

from geo.planning import accounts
from tests.geo.imports.samples import recursive_view_gpkg
from tests.webmap.edit_helpers import bearer, inside, make_app


@pytest.fixture
def app(tiny_store, db, monkeypatch):
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    app = make_app(tiny_store, db)
    accounts.create_user(db, "binta", "editor", "correct horse battery")
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def error_of(resp) -> dict:
    return resp.get_json()["error"]


def upload(client, headers, data: bytes, name: str = "sites.csv"):
    return client.post("/api/v1/imports", data={"file": (io.BytesIO(data), name)}, headers=headers)


def site_csv(name: str = "CSCOM importé") -> bytes:
    lon, lat = inside()
    return f"name,kind,lat,lon\n{name},cscom,{lat},{lon}\n".encode()


def test_a_confirmed_far_point_is_a_400_and_imports_keep_working(client, db):
    auth = bearer(db)
    far = {"kind": "school", "name": "Loin", "lon": -99, "lat": 0, "confirm_outside": True}
    resp = client.post("/api/v1/facilities", json=far, headers=auth)
    assert resp.status_code == 400
    error = error_of(resp)
    assert (error["field"], error["code"]) == ("lonlat", "outside_envelope") and "Bamako" in error["message"]
    moved = client.post("/api/v1/facilities", json={**far, "lon": inside()[0], "lat": inside()[1]}, headers=auth)
    assert moved.status_code == 201
    facility = moved.get_json()
    patch = client.patch(
        f"/api/v1/facilities/{facility['id']}",
        json={"version": facility["version"], "lon": 2.35, "lat": 48.85, "confirm_outside": True},
        headers=auth,
    )
    assert patch.status_code == 400 and error_of(patch)["code"] == "outside_envelope"
    assert upload(client, auth, site_csv()).status_code == 201  # the duplicate check still works


@pytest.mark.parametrize("name", ["A\ufffeB", "A\uffffB", "A\x01B"])
def test_names_with_noncharacters_or_controls_are_a_400(client, db, name):
    lon, lat = inside()
    resp = client.post(
        "/api/v1/facilities", json={"kind": "school", "name": name, "lon": lon, "lat": lat}, headers=bearer(db)
    )
    assert resp.status_code == 400
    assert (error_of(resp)["field"], error_of(resp)["code"]) == ("name", "control_characters")


def test_a_lone_surrogate_in_a_name_is_a_400_not_a_500(client, db):
    lon, lat = inside()
    body = f'{{"kind": "school", "name": "A\\ud800B", "lon": {lon}, "lat": {lat}}}'
    headers = {**bearer(db), "Content-Type": "application/json"}
    resp = client.post("/api/v1/facilities", data=body, headers=headers)
    assert resp.status_code == 400 and error_of(resp)["code"] == "control_characters"
    kml = client.get("/api/v1/layers/facilities.kml")
    assert kml.status_code == 200
    ElementTree.fromstring(kml.data)


def test_an_import_with_such_a_name_lists_the_row_error(client, db):
    resp = upload(client, bearer(db), site_csv("Mauvais\uffff"))
    assert resp.status_code == 201
    (error,) = resp.get_json()["errors"]
    assert (error["field"], error["problem_code"], error["line_label"]) == ("name", "control_characters", "ligne 2")


def test_a_recursive_view_geopackage_is_refused_with_a_reason(client, db, tmp_path):
    resp = upload(client, bearer(db), recursive_view_gpkg(tmp_path), "evil.gpkg")
    assert resp.status_code == 400
    error = error_of(resp)
    assert (error["field"], error["code"]) == ("file", "unsafe_geopackage")
    assert "vues SQL" in error["message"] and "evil.gpkg" in error["detail"]


def test_an_editor_acts_only_on_their_own_imports(client, db):
    awa, binta, admin = bearer(db, "awa"), bearer(db, "binta"), bearer(db, "admin1")
    first = upload(client, awa, site_csv()).get_json()
    second = upload(client, awa, site_csv("Autre")).get_json()
    assert first["user"] == "awa"
    assert client.post(f"/api/v1/imports/{first['id']}/commit", headers=binta).status_code == 403
    assert client.delete(f"/api/v1/imports/{first['id']}", headers=binta).status_code == 403
    assert client.get(f"/api/v1/imports/{first['id']}", headers=awa).get_json()["status"] == "previewed"
    committed = client.post(f"/api/v1/imports/{first['id']}/commit", headers=admin)
    assert committed.status_code == 200 and committed.get_json()["added"] == 1
    assert client.delete(f"/api/v1/imports/{second['id']}", headers=awa).status_code == 200


def test_planner_rows_beyond_the_cap_are_refused(tiny_store, db, monkeypatch):
    monkeypatch.setenv("BAMAKO_ATLAS_MAX_PLANNER_ROWS", "1")  # read once, when the app starts
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    client = make_app(tiny_store, db).test_client()
    auth = bearer(db)
    lon, lat = inside()
    body = {"kind": "school", "name": "Une", "lon": lon, "lat": lat}
    assert client.post("/api/v1/facilities", json=body, headers=auth).status_code == 201
    refused = client.post("/api/v1/facilities", json={**body, "name": "Deux"}, headers=auth)
    assert refused.status_code == 400 and error_of(refused)["code"] == "too_many_planner_rows"
    preview = upload(client, auth, site_csv()).get_json()
    commit = client.post(f"/api/v1/imports/{preview['id']}/commit", headers=auth)
    assert commit.status_code == 400 and error_of(commit)["code"] == "too_many_planner_rows"
