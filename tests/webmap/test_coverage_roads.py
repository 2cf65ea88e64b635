"""The coverage service follows the planners' road layer: times change after a road import, moto accepted then."""

from __future__ import annotations

import io

import pytest

from geo.planning import accounts
from tests.geo.imports.test_imports_roads import _osm
from tests.webmap.edit_helpers import bearer, make_app

WALK = "/api/v1/coverage.json?kind=cscom&mode=walk&minutes=10&unit=district"


@pytest.fixture
def app(tiny_store, tmp_path, monkeypatch):
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    return make_app(tiny_store)


def _import_roads(client, db) -> str:
    form = {"file": (io.BytesIO(_osm()), "bamako.osm"), "target": "roads"}
    doc = client.post("/api/v1/imports", data=form, headers=bearer(db)).get_json()
    committed = client.post(f"/api/v1/imports/{doc['id']}/commit", headers=bearer(db))
    assert committed.status_code == 200
    return doc["id"]


def test_travel_times_follow_the_roads_once_imported(app):
    client, db = app.test_client(), app.config["ATLAS_EDITS_DB"]
    before = client.get(WALK).get_json()
    assert before["method"]["roads"] is None
    refused = client.get("/api/v1/coverage.json?kind=cscom&mode=moto&minutes=10")
    assert refused.status_code == 400 and "mode" in refused.get_json()["error"]["message"]
    assert client.get("/api/v1/coverage/surface.png?kind=cscom&mode=moto").status_code == 400

    version = _import_roads(client, db)

    after = client.get(WALK).get_json()
    assert after["method"]["roads"] == {"version": version, "ways": 3}
    # walking along the avenue has no detour: more people within 10 minutes, and they are closer
    assert after["district"]["pop_covered"] > before["district"]["pop_covered"]
    assert after["district"]["median_min"] < before["district"]["median_min"]
    moto = client.get("/api/v1/coverage.json?kind=cscom&mode=moto&minutes=10&unit=district")
    assert moto.status_code == 200
    doc = moto.get_json()
    assert doc["method"]["mode"] == "moto" and doc["method"]["speeds"]["road_kmh"]["primary"] == 30
    assert doc["district"]["pop_covered"] >= after["district"]["pop_covered"]
    for path in ("/api/v1/coverage/surface.png", "/api/v1/coverage/catchments", "/api/v1/coverage/suggest.json"):
        assert client.get(f"{path}?kind=cscom&mode=moto&minutes=10").status_code == 200, path


def test_the_page_offers_moto_only_with_a_road_layer(app):
    client, db = app.test_client(), app.config["ATLAS_EDITS_DB"]
    html = client.get("/couverture").get_data(as_text=True)
    assert 'value="moto"' not in html and '<option value="walk" >Temps de marche</option>' in html
    english = client.get("/couverture?lang=en&mode=walk&minutes=30").get_data(as_text=True)
    assert '<option value="walk" selected>Walking time</option>' in english and "Travel time" in english
    _import_roads(client, db)
    html = client.get("/couverture?kind=cscom&mode=moto&minutes=10").get_data(as_text=True)
    assert 'value="moto" selected' in html
