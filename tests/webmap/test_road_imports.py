"""Road layers through the web: ``target=roads`` on the import API and the import page's « Routes » choice."""

from __future__ import annotations

import io

import pytest

from geo.planning import accounts
from geo.planning.imports import current_road_layer
from tests.geo.imports.test_imports_roads import _osm
from tests.webmap.edit_helpers import bearer, login, make_app


@pytest.fixture
def app(tiny_store, db, monkeypatch):
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    return make_app(tiny_store, db)


def _upload(client, db, data: bytes, name: str, target: str | None = "roads"):
    form = {"file": (io.BytesIO(data), name)}
    if target is not None:
        form["target"] = target
    return client.post("/api/v1/imports", data=form, headers=bearer(db))


def test_the_api_previews_and_commits_a_road_layer(app, db):
    client = app.test_client()
    resp = _upload(client, db, _osm(), "bamako.osm")
    assert resp.status_code == 201, resp.get_json()
    doc = resp.get_json()
    assert doc["summary"]["target"] == "roads" and doc["duplicates"] == []
    assert [r["line"] for r in doc["rows_to_add"]] == ["osm:way/10", "osm:way/11", "osm:way/12"]
    assert doc["rows_to_add"][0] == {"line": "osm:way/10", "fields": {"highway": "primary",
                                     "name": "Avenue de l'Indépendance"}, "points": 2}  # fmt: skip
    assert doc["summary"]["counts"]["skipped_not_a_road"] == 1
    committed = client.post(f"/api/v1/imports/{doc['id']}/commit", headers=bearer(db))
    assert committed.status_code == 200 and committed.get_json()["added"] == 3
    assert current_road_layer(db).version == doc["id"]
    # facilities are untouched: the map data holds no road
    assert "Avenue de l" not in client.get("/api/v1/map-data.json").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "name", "target", "code", "field"),
    [
        (b"name,kind,lat,lon\n", "roads.csv", "roads", "roads_need_osm", "file"),
        (b"<osm version='0.6'><node id='1' lat='x'", "cut.osm", "roads", "unreadable_osm", "file"),
        (_osm(), "bamako.osm", "rivers", None, "target"),
    ],
)
def test_bad_road_uploads_get_a_clear_400(app, db, data, name, target, code, field):
    resp = _upload(app.test_client(), db, data, name, target)
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["field"] == field and (code is None or error["code"] == code)
    if field == "file":
        assert "OpenStreetMap" in error["message"]
    assert current_road_layer(db) is None


def test_the_import_page_offers_roads_and_shows_the_current_layer(app, db):
    editor = app.test_client()
    login(editor)
    html = editor.get("/imports").get_data(as_text=True)
    assert '<select id="import-target" name="target">' in html and 'value="roads"' in html
    assert "Aucune couche de routes" in html
    doc = _upload(app.test_client(), db, _osm(), "bamako.osm").get_json()
    app.test_client().post(f"/api/v1/imports/{doc['id']}/commit", headers=bearer(db))
    html = editor.get("/imports").get_data(as_text=True)
    assert "Couche actuelle : bamako.osm, 3 voies" in html
    english = editor.get("/imports?lang=en").get_data(as_text=True)
    assert "Roads (OpenStreetMap)" in english and "Current layer: bamako.osm, 3 ways" in english
