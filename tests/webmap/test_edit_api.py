"""The planners' JSON API: create, edit, move, retire, merge, validation, concurrency, security, imports, OpenAPI."""

from __future__ import annotations

import csv as csv_module
import io
import json
import logging
import re

import pytest

from geo.planning import accounts
from geo.planning.edits import EditStore
from tests.backends import rebuild
from tests.webmap.edit_helpers import PASSWORD, SECURITY_HEADERS, bearer, inside, login, make_app

SQL = "' OR 1=1 --"


@pytest.fixture
def app(tiny_store, db, monkeypatch):
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    return make_app(tiny_store, db)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth(db):
    return bearer(db)


def create(client, auth, **fields):
    lon, lat = inside()
    body = {"kind": "cscom", "name": "CSCOM de test", "lon": lon, "lat": lat, **fields}
    resp = client.post("/api/v1/facilities", json=body, headers=auth)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def error_of(resp) -> dict:
    return resp.get_json()["error"]


def map_names(client) -> set[str]:
    data = client.get("/api/v1/map-data.json").get_data(as_text=True)
    return data


# --- the round trip ---------------------------------------------------------------------------


def test_create_get_update_move_retire(client, auth):
    made = create(client, auth, beds=12, reason="relevé sur place")
    assert made["version"] == 1 and made["status"] == "active" and made["id"].startswith("edit-")
    assert made["quartier_pcode"] == "ML090101002" and made["join_status"] == "inside" and made["beds"] == 12
    assert made["links"]["page"] == f"/facilities/{made['id']}"
    url = f"/api/v1/facilities/{made['id']}"

    got = client.get(url, headers=auth).get_json()
    assert got["name"] == "CSCOM de test" and got["version"] == 1

    edited = client.patch(url, json={"version": 1, "name": "CSCOM renommé", "doctors": "2"}, headers=auth)
    assert edited.status_code == 200 and edited.get_json()["version"] == 2 and edited.get_json()["doctors"] == 2

    lon, lat = inside("ML090101001")
    moved = client.patch(url, json={"version": 2, "lon": lon, "lat": lat}, headers=auth).get_json()
    assert moved["version"] == 3 and moved["quartier_pcode"] == "ML090101001" and moved["lon"] == pytest.approx(lon)

    retired = client.delete(url, json={"version": 3, "reason": "fermé en 2025"}, headers=auth)
    assert retired.status_code == 200
    assert retired.get_json()["status"] == "retired" and retired.get_json()["retired_reason"] == "fermé en 2025"
    assert "CSCOM renommé" not in map_names(client)
    assert client.get(url, headers=auth).get_json()["status"] == "retired"
    actions = [c["action"] for c in client.get("/api/v1/history", headers=auth).get_json()["changes"]]
    assert actions == ["retire", "move", "update", "create"]


def test_create_at_a_quartier_and_outside_the_district(client, auth):
    resp = client.post(
        "/api/v1/facilities",
        json={"kind": "claec", "name": "CLAEC approx", "quartier_pcode": "ML090102001"},
        headers=auth,
    )
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["location_precision"] == "quartier" and body["quartier_pcode"] == "ML090102001"
    far = {"kind": "school", "name": "Loin", "lon": -7.5, "lat": 12.0}
    refused = client.post("/api/v1/facilities", json=far, headers=auth)
    assert refused.status_code == 400 and error_of(refused)["code"] == "outside_district"
    kept = client.post("/api/v1/facilities", json={**far, "confirm_outside": True}, headers=auth)
    assert kept.status_code == 201 and kept.get_json()["join_status"] == "outside"
    assert kept.get_json()["in_analysis"] is False


def test_one_edit_is_visible_in_the_next_request_everywhere(client, auth):
    before = client.get("/api/v1/map-data.json")
    export = client.get("/api/v1/layers/facilities.geojson?kind=cscom")
    items = client.get("/ogcapi/collections/facilities/items?f=json&limit=1000")
    made = create(client, auth, name="Nouveau CSCOM Kalaban")
    after = client.get("/api/v1/map-data.json")
    assert "Nouveau CSCOM Kalaban" in after.get_data(as_text=True)
    assert after.headers["ETag"] != before.headers["ETag"]
    export2 = client.get("/api/v1/layers/facilities.geojson?kind=cscom")
    assert export2.headers["ETag"] != export.headers["ETag"]
    names = [f["properties"]["name"] for f in json.loads(export2.data)["features"]]
    assert "Nouveau CSCOM Kalaban" in names
    items2 = client.get("/ogcapi/collections/facilities/items?f=json&limit=1000").get_json()
    assert made["id"] in [f["id"] for f in items2["features"]]
    assert len(items2["features"]) == len(items.get_json()["features"]) + 1
    page = client.get(f"/facilities/{made['id']}")
    assert page.status_code == 200 and "Nouveau CSCOM Kalaban" in page.get_data(as_text=True)


def test_merge_keeps_both_sources_and_retires_the_other(client, auth):
    keep = client.get("/api/v1/facilities/dnacpn-01", headers=auth).get_json()
    drop = client.get("/api/v1/facilities/sante-0001", headers=auth).get_json()
    body = {"keep_id": "dnacpn-01", "keep_version": 1, "drop_id": "sante-0001", "drop_version": 1, "reason": "doublon"}
    resp = client.post("/api/v1/facilities/merge", json=body, headers=auth)
    assert resp.status_code == 200
    merged = resp.get_json()
    assert merged["id"] == "dnacpn-01" and merged["version"] == keep["version"] + 1
    assert set(merged["sources"].split(";")) >= {keep["sources"], drop["sources"]}
    assert client.get("/api/v1/facilities/sante-0001", headers=auth).get_json()["status"] == "retired"
    again = client.post("/api/v1/facilities/merge", json=body, headers=auth)
    assert again.status_code == 409 and again.get_json()["current"]["version"] == 2


# --- validation, in the user's language ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"kind": "cscom", "name": ""}, "name", "name_required"),
        ({"kind": "cscom", "name": "x" * 201}, "name", "name_too_long"),
        ({"kind": "castle", "name": "X"}, "kind", "unknown_kind"),
        ({"name": "X"}, "kind", "kind_required"),
        ({"kind": "cscom", "name": "X", "beds": "beaucoup"}, "beds", "not_a_number"),
        ({"kind": "cscom", "name": "X", "beds": -1}, "beds", "negative"),
        ({"kind": "cscom", "name": "X", "location_precision": "vague"}, "location_precision", "unknown_precision"),
        ({"kind": "cscom", "name": "X", "id": "mine"}, "id", "unknown_field"),
        ({"kind": "cscom", "name": "X", "confirm_outside": "yes"}, "confirm_outside", "not_boolean"),
        ({"kind": "cscom", "name": "X", "lat": 12.6, "lon": None}, "lon", "coordinates_incomplete"),
        ({"kind": "cscom", "name": "X", "lat": 12.6, "lon": "à l'ouest"}, "lonlat", "bad_coordinates"),
        ({"kind": "cscom", "name": "X", "lat": inside()[0], "lon": inside()[1]}, "lonlat", "swapped_coordinates"),
        ({"kind": "cscom", "name": "X", "quartier_pcode": "ML099999999"}, "quartier_pcode", "unknown_quartier"),
    ],
)
def test_validation_names_the_field_with_a_stable_code(client, auth, body, field, code):
    body = (
        {"lon": inside()[0], "lat": inside()[1], **body} if "lat" not in body and "quartier_pcode" not in body else body
    )
    resp = client.post("/api/v1/facilities", json=body, headers=auth)
    assert resp.status_code == 400
    error = error_of(resp)
    assert (error["field"], error["code"], error["status"]) == (field, code, 400)
    assert error["message"] and error["detail"]


def test_messages_follow_the_request_language(client, auth):
    body = {"kind": "cscom", "name": "  ", "lon": inside()[0], "lat": inside()[1]}
    fr = error_of(client.post("/api/v1/facilities", json=body, headers=auth))
    en = error_of(client.post("/api/v1/facilities?lang=en", json=body, headers=auth))
    assert fr["message"] == "Le nom est obligatoire."
    assert en["message"] == "A name is required."
    long = error_of(client.post("/api/v1/facilities?lang=en", json={**body, "name": "n" * 201}, headers=auth))
    assert "200" in long["message"] and long["code"] == "name_too_long"
    kind = error_of(
        client.post(
            "/api/v1/facilities", json={**body, "name": "X", "kind": "x"}, headers={**auth, "Accept-Language": "en"}
        )
    )
    assert kind["message"].startswith("Unknown facility kind") and "cscom" in kind["message"]


def test_malformed_json_and_wrong_types_are_400_naming_the_field(client, auth):
    for data in (b"{not json", b"[1, 2]", b"", b"null"):
        resp = client.post("/api/v1/facilities", data=data, headers={**auth, "Content-Type": "application/json"})
        assert resp.status_code == 400 and error_of(resp)["field"] == "body" and error_of(resp)["code"] == "bad_json"
    made = create(client, auth)
    url = f"/api/v1/facilities/{made['id']}"
    for body, field in (
        ({"name": "Y"}, "version"),
        ({"version": "1", "name": "Y"}, "version"),
        ({"version": 1, "name": 3}, "name"),
        ({"version": 1, "reason": ["x"]}, "reason"),
    ):
        resp = client.patch(url, json=body, headers=auth)
        assert resp.status_code == 400 and error_of(resp)["field"] == field, (body, resp.get_json())
    resp = client.delete(url, json={"version": 1}, headers=auth)
    assert resp.status_code == 400 and error_of(resp)["code"] == "reason_required"


def test_names_are_stored_as_typed_and_returned_as_json_text(client, auth):
    name = '<script>alert(1)</script> & "><img src=x onerror=alert(1)>'
    made = create(client, auth, name=name)
    assert made["name"] == name
    resp = client.get(f"/api/v1/facilities/{made['id']}", headers=auth)
    assert resp.mimetype == "application/json" and resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.get_json()["name"] == name
    page = client.get(f"/facilities/{made['id']}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- concurrency --------------------------------------------------------------------------------


def test_stale_version_is_refused_with_the_current_values(client, auth):
    made = create(client, auth)
    url = f"/api/v1/facilities/{made['id']}"
    assert client.patch(url, json={"version": 1, "beds": 5}, headers=auth).status_code == 200
    stale = client.patch(url, json={"version": 1, "beds": 9}, headers=auth)
    assert stale.status_code == 409
    body = stale.get_json()
    assert body["error"]["code"] == "version_conflict" and body["error"]["status"] == 409
    assert body["current"]["version"] == 2 and body["current"]["beds"] == 5
    assert "version 1" in body["error"]["message"] and "version 2" in body["error"]["message"]
    assert client.delete(url, json={"version": 1, "reason": "x"}, headers=auth).status_code == 409
    assert client.get(url, headers=auth).get_json()["beds"] == 5  # nothing overwritten


def test_unknown_ids_are_404(client, auth):
    for resp in (
        client.get("/api/v1/facilities/nope", headers=auth),
        client.patch("/api/v1/facilities/nope", json={"version": 1, "name": "x"}, headers=auth),
        client.delete("/api/v1/facilities/nope", json={"version": 1, "reason": "x"}, headers=auth),
        client.post(
            "/api/v1/facilities/merge",
            json={"keep_id": "nope", "keep_version": 1, "drop_id": "dnacpn-01", "drop_version": 1},
            headers=auth,
        ),
        client.get("/api/v1/imports/imp-nope", headers=auth),
        client.post("/api/v1/history/999999/revert", headers=bearer_admin(client)),
    ):
        assert resp.status_code == 404 and error_of(resp)["code"] == "not_found", resp.get_json()
        assert error_of(resp)["message"]


def bearer_admin(client) -> dict[str, str]:
    return bearer(client.application.config["ATLAS_EDITS_DB"], "admin1")


# --- security -----------------------------------------------------------------------------------


def test_writes_need_login_role_and_csrf(app, db):
    client = app.test_client()
    body = {"kind": "cscom", "name": "X", "lon": inside()[0], "lat": inside()[1]}
    anonymous = client.post("/api/v1/facilities", json=body)
    assert anonymous.status_code == 401 and error_of(anonymous)["code"] == "Unauthorized"
    assert client.patch("/api/v1/facilities/dnacpn-01", json={"version": 1}).status_code == 401
    assert client.get("/api/v1/history").status_code == 401
    assert client.post("/api/v1/facilities", json=body, headers={"Authorization": "Bearer nope"}).status_code == 401

    viewer = app.test_client()
    csrf = login(viewer, "viewer1")
    refused = viewer.post("/api/v1/facilities", json=body, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403 and error_of(refused)["code"] == "Forbidden"
    assert viewer.get("/api/v1/history").status_code == 200  # viewers read

    editor = app.test_client()
    csrf = login(editor, "awa")
    no_csrf = editor.post("/api/v1/facilities", json=body)
    assert no_csrf.status_code == 403 and "CSRF" in error_of(no_csrf)["message"]
    wrong = editor.post("/api/v1/facilities", json=body, headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403
    ok = editor.post("/api/v1/facilities", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201
    editor_revert = editor.post("/api/v1/history/1/revert", headers={"X-CSRF-Token": csrf})
    assert editor_revert.status_code == 403

    token_only = app.test_client()  # a script: a Bearer token and no CSRF token
    assert token_only.post("/api/v1/facilities", json=body, headers=bearer(db)).status_code == 201
    assert EditStore(db).stamp() == 2


def test_sql_looking_input_changes_nothing(client, auth, db):
    made = create(client, auth, name=SQL)
    assert made["name"] == SQL
    stamp = EditStore(db).stamp()
    facilities = client.get("/api/v1/layers/facilities.geojson").get_data()
    quoted = "%27%20OR%201%3D1%20--"
    assert client.get(f"/api/v1/facilities/{quoted}", headers=auth).status_code == 404
    assert (
        client.patch(f"/api/v1/facilities/{quoted}", json={"version": 1, "name": "x"}, headers=auth).status_code == 404
    )
    assert (
        client.delete(f"/api/v1/facilities/{quoted}", json={"version": 1, "reason": SQL}, headers=auth).status_code
        == 404
    )
    for params in ({"facility": SQL}, {"user": SQL}, {"action": "update"}):
        assert client.get("/api/v1/history", query_string=params, headers=auth).get_json()["changes"] == []
    for params, field in (({"since": SQL}, "since"), ({"limit": SQL}, "limit"), ({"action": SQL}, "action")):
        resp = client.get("/api/v1/history", query_string=params, headers=auth)
        assert resp.status_code == 400 and error_of(resp)["field"] == field
    lon, lat = inside()
    for body in (
        {"kind": SQL, "name": "x", "lon": lon, "lat": lat},
        {"kind": "cscom", "name": "x", "quartier_pcode": SQL},
        {"kind": "cscom", "name": "x", "lon": SQL, "lat": lat},
        {"kind": "cscom", "name": "x", "lon": lon, "lat": lat, "operator_type": SQL},
    ):
        assert client.post("/api/v1/facilities", json=body, headers=auth).status_code == 400
    merge = {"keep_id": SQL, "keep_version": 1, "drop_id": "dnacpn-01", "drop_version": 1}
    assert client.post("/api/v1/facilities/merge", json=merge, headers=auth).status_code == 404
    assert client.get(f"/api/v1/layers/facilities.geojson?kind={quoted}").status_code in (400, 404)
    assert client.get(f"/api/v1/imports/{quoted}", headers=auth).status_code == 404
    # nothing else changed: same stamp, same export, the name kept literally
    assert EditStore(db).stamp() == stamp
    assert client.get("/api/v1/layers/facilities.geojson").get_data() == facilities
    assert client.get(f"/api/v1/facilities/{made['id']}", headers=auth).get_json()["name"] == SQL
    assert len(client.get("/api/v1/history", headers=auth).get_json()["changes"]) == 1


def test_security_headers_on_every_response(client, auth, app):
    made = create(client, auth)
    url = f"/api/v1/facilities/{made['id']}"
    responses = [
        client.get(url, headers=auth),  # 200
        client.post("/api/v1/facilities", json={"kind": "cscom"}, headers=auth),  # 400
        client.post("/api/v1/facilities", json={}),  # 401
        client.get("/api/v1/facilities/nope", headers=auth),  # 404
        client.patch(url, json={"version": 99, "name": "x"}, headers=auth),  # 409
        client.post(
            "/api/v1/imports", data={"file": (io.BytesIO(b"x" * (21 * 2**20)), "big.csv")}, headers=auth
        ),  # 413
        client.get("/api/v1/openapi.json"),
        client.get("/api/v1/history.csv", headers=auth),
    ]
    viewer = app.test_client()
    csrf = login(viewer, "viewer1")
    responses.append(viewer.post("/api/v1/facilities", json={}, headers={"X-CSRF-Token": csrf}))  # 403
    assert sorted({r.status_code for r in responses}) == [200, 400, 401, 403, 404, 409, 413]
    for resp in responses:
        missing = [h for h in SECURITY_HEADERS if h not in resp.headers]
        assert missing == [], (resp.status_code, missing)
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert responses[0].headers["Cache-Control"] == "no-store"


def test_passwords_and_tokens_never_reach_the_logs(app, db, caplog):
    caplog.set_level(logging.DEBUG)
    client = app.test_client()
    login(client, "awa")
    other = app.test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', other.get("/login").get_data(as_text=True)).group(1)
    failed = other.post("/login", data={"name": "awa", "password": "wrong " + PASSWORD, "csrf_token": csrf})
    assert failed.status_code == 401
    token = accounts.issue_token(db, "awa")
    body = {"kind": "cscom", "name": "X", "lon": inside()[0], "lat": inside()[1]}
    client.application.test_client().post("/api/v1/facilities", json=body, headers={"Authorization": f"Bearer {token}"})
    client.application.test_client().post(
        "/api/v1/facilities", json=body, headers={"Authorization": "Bearer " + token[::-1]}
    )
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "awa" in text  # the log was captured
    assert PASSWORD not in text and token not in text and token[::-1] not in text


# --- imports ------------------------------------------------------------------------------------


def csv_upload(rows: list[str], name: str = "upload.csv", header: str = "name,kind,lat,lon") -> dict:
    return {"file": (io.BytesIO((header + "\n" + "\n".join(rows) + "\n").encode()), name)}


def test_import_preview_then_commit(client, auth):
    lon, lat = inside()
    lon2, lat2 = inside("ML090102001")
    rows = [
        f"CSCOM importé,cscom,{lat},{lon}",
        f'"<b>École</b> importée",school,{lat2},{lon2}',
        f",cscom,{lat},{lon}",
        "Sans position,cscom,,",
        "Loin,cscom,12.0,-7.5",
    ]
    resp = client.post("/api/v1/imports", data=csv_upload(rows), headers=auth)
    assert resp.status_code == 201, resp.get_json()
    preview = resp.get_json()
    assert preview["id"].startswith("imp-") and resp.headers["Location"].endswith(preview["id"])
    assert preview["status"] == "previewed" and len(preview["rows_to_add"]) == 2
    codes = {e["problem_code"] for e in preview["errors"]}
    assert {"missing_name", "missing_coordinates", "outside_district"} <= codes
    missing = next(e for e in preview["errors"] if e["problem_code"] == "missing_name")
    assert (
        missing["message"] == "Le nom est vide." and missing["line_label"] == "ligne 4" and missing["field"] == "name"
    )
    assert client.get(f"/api/v1/imports/{preview['id']}", headers=auth).get_json()["summary"] == preview["summary"]

    committed = client.post(f"/api/v1/imports/{preview['id']}/commit", headers=auth)
    assert committed.status_code == 200 and committed.get_json()["added"] == 2
    data = client.get("/api/v1/map-data.json").get_data(as_text=True)
    assert "CSCOM importé" in data and "<b>École</b> importée" in json.loads(data).__repr__()
    again = client.post(f"/api/v1/imports/{preview['id']}/commit", headers=auth)
    assert again.status_code == 400 and error_of(again)["code"] == "already_committed"
    history = client.get("/api/v1/history", headers=auth).get_json()["changes"]
    assert {c["import_id"] for c in history} == {preview["id"]} and len(history) == 2
    listed = client.get("/api/v1/imports", headers=auth).get_json()["imports"]
    assert listed[0]["id"] == preview["id"] and listed[0]["status"] == "committed"


def test_import_discard(client, auth):
    lon, lat = inside()
    preview = client.post("/api/v1/imports", data=csv_upload([f"A,cscom,{lat},{lon}"]), headers=auth).get_json()
    assert client.delete(f"/api/v1/imports/{preview['id']}", headers=auth).get_json()["status"] == "discarded"
    refused = client.post(f"/api/v1/imports/{preview['id']}/commit", headers=auth)
    assert refused.status_code == 400 and error_of(refused)["code"] == "already_discarded"


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b'{"type": "FeatureCollection", "features": [', "broken.geojson", "invalid_json"),
        (b"SQLite format 3\x00" + b"\x00" * 500, "truncated.gpkg", "unreadable_geopackage"),
        ("name,kind,lat,lon\nÉcole,school,12.6,-8.0\n".encode("utf-16-le"), "utf16.csv", "bad_encoding"),
        (b"", "empty.csv", "empty_file"),
        (b"whatever", "facilities.xlsx", "unknown_format"),
        (b"nom;genre\nx;y\n", "columns.csv", "missing_columns"),
        (b"<osm><node id='1' lat='12.6'", "cut.osm", "unreadable_osm"),
    ],
)
def test_malformed_uploads_are_clear_400s(client, auth, data, filename, code):
    resp = client.post("/api/v1/imports", data={"file": (io.BytesIO(data), filename)}, headers=auth)
    assert resp.status_code == 400, resp.get_data(as_text=True)
    error = error_of(resp)
    assert (error["field"], error["code"]) == ("file", code)
    assert error["message"] and not error["message"].startswith("file:")


def test_uploads_over_the_limits_are_refused(client, auth):
    big = client.post(
        "/api/v1/imports", data={"file": (io.BytesIO(b"a" * (20 * 2**20 + 2**17)), "big.csv")}, headers=auth
    )
    assert big.status_code == 413
    assert error_of(big)["code"] == "file_too_large" and "20" in error_of(big)["message"]
    lon, lat = inside()
    rows = [f"F{i},cscom,{lat},{lon}" for i in range(50_001)]
    many = client.post("/api/v1/imports", data=csv_upload(rows), headers=auth)
    assert many.status_code == 400 and error_of(many)["code"] == "too_many_rows"
    assert "50 000" in error_of(many)["message"]
    missing = client.post("/api/v1/imports", data={}, headers=auth)
    assert missing.status_code == 400 and error_of(missing)["code"] == "file_required"


# --- history, revert, conflicts -----------------------------------------------------------------


def test_history_filters_paging_and_csv(client, auth, db):
    made = create(client, auth, name='=HYPERLINK("http://evil")')
    for version in (1, 2, 3):
        client.patch(f"/api/v1/facilities/{made['id']}", json={"version": version, "beds": version}, headers=auth)
    admin = bearer(db, "admin1")
    client.patch("/api/v1/facilities/dnacpn-01", json={"version": 1, "note": "vu"}, headers=admin)
    all_changes = client.get("/api/v1/history", headers=auth).get_json()
    assert len(all_changes["changes"]) == 5 and all_changes["next"] is None
    mine = client.get(f"/api/v1/history?facility={made['id']}", headers=auth).get_json()["changes"]
    assert [c["version_after"] for c in mine] == [4, 3, 2, 1] and mine[0]["changed"] == ["beds"]
    assert mine[0]["before"]["beds"] == 2 and mine[0]["after"]["beds"] == 3 and mine[0]["user"] == "awa"
    assert [c["user"] for c in client.get("/api/v1/history?user=admin1", headers=auth).get_json()["changes"]] == [
        "admin1"
    ]
    page = client.get("/api/v1/history?limit=2", headers=auth).get_json()
    assert len(page["changes"]) == 2 and "offset=2" in page["next"]
    rest = client.get(page["next"], headers=auth).get_json()
    assert [c["id"] for c in rest["changes"]] == [3, 2]
    assert client.get("/api/v1/history?since=2000-01-01&until=2000-12-31", headers=auth).get_json()["changes"] == []
    assert len(client.get("/api/v1/history?since=2000-01-01", headers=auth).get_json()["changes"]) == 5
    csv = client.get(f"/api/v1/history.csv?facility={made['id']}", headers=auth)
    assert csv.mimetype == "text/csv" and "attachment" in csv.headers["Content-Disposition"]
    text = csv.data.decode("utf-8-sig")
    assert len(text.strip().splitlines()) == 5
    rows = list(csv_module.DictReader(io.StringIO(text)))
    assert {r["facility_name"] for r in rows} == {'\'=HYPERLINK("http://evil")'}  # shown as text, never run


def test_admin_revert_is_recorded(client, auth, db):
    made = create(client, auth)
    url = f"/api/v1/facilities/{made['id']}"
    client.patch(url, json={"version": 1, "name": "Erreur"}, headers=auth)
    change = client.get(f"/api/v1/history?facility={made['id']}", headers=auth).get_json()["changes"][0]
    assert client.post(f"/api/v1/history/{change['id']}/revert", headers=auth).status_code == 403
    admin = bearer(db, "admin1")
    resp = client.post(f"/api/v1/history/{change['id']}/revert", json={"reason": "mauvaise saisie"}, headers=admin)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["action"] == "revert" and body["reverts"] == change["id"] and body["user"] == "admin1"
    assert body["reason"] == "mauvaise saisie" and body["facility"]["name"] == "CSCOM de test"
    assert body["facility"]["version"] == 3
    again = client.post(f"/api/v1/history/{change['id']}/revert", headers=admin)
    assert again.status_code == 409  # the facility moved on since: the revert would overwrite it
    assert client.post("/api/v1/history/abc/revert", headers=admin).status_code == 404


def test_conflicts_and_resolve(client, auth, db, tiny_store):
    assert client.get("/api/v1/conflicts", headers=auth).get_json() == {"conflicts": [], "count": 0}
    client.patch("/api/v1/facilities/dnacpn-01", json={"version": 1, "beds": 10}, headers=auth)
    # the sources change the corrected field: rebuild the store with another value
    from geo.store import open_store

    atlas = open_store(tiny_store)
    layers = dict(atlas.layers)
    layers["facilities"] = layers["facilities"].assign(beds=[4.0, None, None, None, None])
    rebuild(tiny_store, layers, {**atlas.meta, "build_id": "test-build-2"})
    client.application.extensions["atlas_catalog"].check_every_s = 0
    found = client.get("/api/v1/conflicts", headers=auth).get_json()
    assert found["count"] == 1
    entry = found["conflicts"][0]
    assert (entry["facility_id"], entry["field"], entry["source"], entry["planner"]) == ("dnacpn-01", "beds", 4, 10)
    assert entry["problem_label"] and entry["field_label"] == "lits"
    facility = client.get("/api/v1/facilities/dnacpn-01", headers=auth).get_json()
    assert facility["beds"] == 10  # the planner's value stays
    viewer = bearer(db, "viewer1")
    assert client.get("/api/v1/conflicts", headers=viewer).status_code == 403
    resolved = client.post(
        "/api/v1/conflicts/resolve",
        json={"facility_id": "dnacpn-01", "field": "beds", "version": facility["version"], "take": "source"},
        headers=auth,
    )
    assert resolved.status_code == 200 and resolved.get_json()["beds"] == 4
    assert client.get("/api/v1/conflicts", headers=auth).get_json()["count"] == 0


# --- OpenAPI ------------------------------------------------------------------------------------


def test_openapi_document_is_valid_and_covers_editing(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    doc = resp.get_json()
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(doc)
    paths = doc["paths"]
    for path, method in (
        ("/facilities", "post"),
        ("/facilities/{facility_id}", "patch"),
        ("/facilities/{facility_id}", "delete"),
        ("/facilities/merge", "post"),
        ("/imports", "post"),
        ("/imports/{import_id}/commit", "post"),
        ("/history/{change_id}/revert", "post"),
    ):
        security = paths[path][method]["security"]
        assert {"bearerAuth": []} in security and {"sessionCookie": [], "csrfToken": []} in security
        assert "401" in paths[path][method]["responses"]
    assert paths["/layers/{name}"]["get"]["security"] == []
    assert doc["components"]["securitySchemes"]["csrfToken"]["name"] == "X-CSRF-Token"
    assert doc["servers"][0]["url"].endswith("/api/v1")
    assert "409" in paths["/facilities/{facility_id}"]["patch"]["responses"]


def test_openapi_is_linked(client):
    layers = client.get("/api/v1/layers").get_json()
    assert layers["openapi"].endswith("/api/v1/openapi.json")
    links = client.get("/ogcapi/?f=json").get_json()["links"]
    assert any(link["href"].endswith("/api/v1/openapi.json") for link in links)


def test_every_problem_code_of_the_library_has_a_message():
    from pathlib import Path

    from geo.planning.imports import ROW_PROBLEMS
    from webmap.edit_messages import MESSAGES

    root = Path(__file__).resolve().parents[2]
    source = "".join(
        p.read_text(encoding="utf-8")
        for d in ("geo/planning/edits", "geo/planning/imports")
        for p in (root / d).glob("*.py")
    )
    codes = set(re.findall(r'code="([a-z_]+)"', source))
    codes |= set(re.findall(r'file_error\(\s*"([a-z_]+)"', source))
    codes |= set(re.findall(r'_unreadable\([^)]*"([a-z_]+)"\)', source))
    codes |= set(ROW_PROBLEMS) | {"already_committed", "already_discarded"}
    assert len(codes) > 40
    assert sorted(codes - set(MESSAGES)) == []


def test_a_request_that_read_the_stamp_before_an_edit_does_not_reload_again(app, client, auth):
    catalog = app.extensions["atlas_catalog"]
    create(client, auth)
    create(client, auth)  # the second save's request reloaded the atlas at stamp 2
    assert catalog._edits_seen == 2
    reloads, real = [], catalog._edits_stamp
    answers = iter([1])  # this request read the stamp just before the second save committed

    def stamp() -> int:
        return next(answers, None) or real()

    overlay = catalog._overlay
    catalog._edits_stamp = stamp
    catalog._overlay = lambda base, edits_stamp: reloads.append(edits_stamp) or overlay(base, edits_stamp)
    version = catalog.atlas.version
    assert reloads == [] and catalog._edits_seen == 2 and version.endswith(".2")
