"""The editing UI's wiring: who gets the editor in the map page, the page cache, the import page."""

from __future__ import annotations

import json
import re

import pytest

from geo.planning import accounts
from geo.vocabulary import PRECISIONS
from tests.webmap.edit_helpers import bearer, login, make_app
from webmap.clientconfig import edit as editconfig


@pytest.fixture
def app(tiny_store, db, monkeypatch):
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    return make_app(tiny_store, db)


def edit_config(html: str) -> dict | None:
    found = re.search(r'<script id="atlas-edit-config" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1)) if found else None


def test_only_signed_in_editors_get_the_editor(app):
    anonymous = app.test_client().get("/").get_data(as_text=True)
    assert edit_config(anonymous) is None and "edit.js" not in anonymous and "csrf-token" not in anonymous
    viewer = app.test_client()
    login(viewer, "viewer1")
    assert edit_config(viewer.get("/").get_data(as_text=True)) is None
    for name in ("awa", "admin1"):
        client = app.test_client()
        login(client, name)
        html = client.get("/").get_data(as_text=True)
        config = edit_config(html)
        assert config["user"] == name and config["urls"]["facilities"] == "/api/v1/facilities"
        assert re.search(r'<meta name="csrf-token" content="[^"]+">', html)
        assert "edit.js" in html and "edit.css" in html
        assert "edit.js" not in client.get("/embed").get_data(as_text=True)  # the map page only


def test_the_editor_config_is_translated_and_complete(app):
    client = app.test_client()
    login(client)
    fr = edit_config(client.get("/").get_data(as_text=True))
    en = edit_config(client.get("/?lang=en").get_data(as_text=True))
    assert (fr["t"]["created"], en["t"]["created"]) == ("Équipement ajouté.", "Facility added.")
    assert fr["problems"]["name_required"] == "Le nom est obligatoire."
    assert en["problems"]["name_required"] != fr["problems"]["name_required"]
    assert fr.keys() == en.keys() and fr["t"].keys() == en["t"].keys()
    kinds = [k["key"] for g in fr["kinds"] for k in g["kinds"]]
    from geo.vocabulary import KINDS

    assert sorted(kinds) == sorted(KINDS)
    assert [q["pcode"] for q in fr["quartiers"]] == ["ML090101001", "ML090101002", "ML090102001"]
    assert {p["key"] for p in fr["precisions"]} == set(PRECISIONS)


def test_signed_in_pages_never_reach_the_anonymous_cache(app, db):
    editor = app.test_client()
    login(editor)
    assert edit_config(editor.get("/?zoom=13").get_data(as_text=True)) is not None
    script = app.test_client()  # a script with a token and no cookie
    scripted = script.get("/?zoom=13", headers=bearer(db)).get_data(as_text=True)
    assert edit_config(scripted) is None  # a script is not a planner at the map
    anonymous = app.test_client().get("/?zoom=13").get_data(as_text=True)
    assert edit_config(anonymous) is None and "awa" not in anonymous and "csrf-token" not in anonymous


def test_editing_enabled_needs_a_session(app, db):
    with app.test_request_context("/", headers=bearer(db)):
        assert editconfig.editing_enabled() is False and editconfig.editor_config() is None


def test_import_page_is_for_editors(app):
    anonymous = app.test_client().get("/imports")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login?next=/imports")
    viewer = app.test_client()
    login(viewer, "viewer1")
    assert viewer.get("/imports").status_code == 403
    editor = app.test_client()
    login(editor)
    resp = editor.get("/imports")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    html = resp.get_data(as_text=True)
    assert 'id="import-file"' in html and "imports.js" in html and 'name="csrf-token"' in html
    config = json.loads(
        re.search(r'<script id="import-config" type="application/json">(.*?)</script>', html, re.S).group(1)
    )
    assert config["urls"]["imports"] == "/api/v1/imports" and config["maxBytes"] == 20 * 1024 * 1024
    assert "Import facilities" in editor.get("/imports?lang=en").get_data(as_text=True)
