"""The /history page, its filters and CSV link, admin revert from the page, and each facility page's history."""

from __future__ import annotations

import re

import pytest

from geo.planning import accounts
from geo.planning.edits import EditStore
from tests.webmap.edit_helpers import bearer, inside, login, make_app

MARKUP = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'


@pytest.fixture
def app(tiny_store, db, monkeypatch):
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    app = make_app(tiny_store, db)
    token = bearer(db)
    lon, lat = inside()
    client = app.test_client()
    made = client.post(
        "/api/v1/facilities", json={"kind": "cscom", "name": MARKUP, "lon": lon, "lat": lat}, headers=token
    ).get_json()
    client.patch(f"/api/v1/facilities/{made['id']}", json={"version": 1, "beds": 7, "reason": "relevé"}, headers=token)
    client.patch(
        "/api/v1/facilities/dnacpn-01", json={"version": 1, "note": "vu le 3 mars"}, headers=bearer(db, "admin1")
    )
    app.config["MADE"] = made["id"]
    return app


def rows_of(html: str) -> list[str]:
    return re.findall(r'<tr id="change-(\d+)"', html)


def test_anonymous_visitors_are_sent_to_login(app):
    resp = app.test_client().get("/history")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login?next=/history")


def test_viewer_reads_the_history_with_filters(app):
    client = app.test_client()
    login(client, "viewer1")
    resp = client.get("/history")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    html = resp.get_data(as_text=True)
    assert rows_of(html) == ["3", "2", "1"]
    assert MARKUP not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # names shown as text
    assert "Historique des modifications" in html and "relevé" in html and "vu le 3 mars" in html
    assert "Lits" in html and "<ins>7</ins>" in html
    assert 'action="/history/' not in html  # no revert for a viewer
    assert rows_of(client.get("/history?user=admin1").get_data(as_text=True)) == ["3"]
    assert rows_of(client.get(f"/history?facility={app.config['MADE']}").get_data(as_text=True)) == ["2", "1"]
    assert rows_of(client.get("/history?action=create").get_data(as_text=True)) == ["1"]
    assert rows_of(client.get("/history?since=2000-01-01&until=2000-01-02").get_data(as_text=True)) == []
    filtered = client.get("/history?user=admin1").get_data(as_text=True)
    assert 'href="/api/v1/history.csv?user=admin1"' in filtered
    csv = client.get("/api/v1/history.csv?user=admin1")
    assert csv.status_code == 200 and "vu le 3 mars" in csv.data.decode("utf-8-sig")
    bad = client.get("/history?since=' OR 1=1 --")
    assert bad.status_code == 400 and "AAAA-MM-JJ" in bad.get_data(as_text=True)


def test_history_page_in_english(app):
    client = app.test_client()
    login(client, "viewer1")
    html = client.get("/history?lang=en").get_data(as_text=True)
    assert "Change history" in html and "Export as CSV" in html and "update" in html


def test_admin_reverts_from_the_page_with_the_csrf_token(app, db):
    client = app.test_client()
    login(client, "admin1")
    html = client.get("/history").get_data(as_text=True)
    assert 'action="/history/2/revert"' in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post("/history/2/revert", data={"reason": "erreur"}).status_code == 403  # no CSRF token
    resp = client.post("/history/2/revert", data={"csrf_token": token, "reason": "erreur", "next": "/history"})
    assert resp.status_code == 303 and resp.headers["Location"] == "/history"
    page = client.get("/history").get_data(as_text=True)
    assert "Modification n° 2 annulée" in page and rows_of(page)[0] == "4"
    change = EditStore(db).history(limit=1)[0]
    assert (change["action"], change["reverts"], change["user"], change["reason"]) == ("revert", 2, "admin1", "erreur")
    conflict = client.post("/history/2/revert", data={"csrf_token": token})
    assert conflict.status_code == 409 and "plus récentes" in conflict.get_data(as_text=True)
    assert client.post("/history/99/revert", data={"csrf_token": token}).status_code == 404


def test_editors_cannot_revert(app):
    client = app.test_client()
    token = login(client, "awa")
    assert client.post("/history/1/revert", data={"csrf_token": token}).status_code == 403


def test_facility_page_shows_its_history_to_signed_in_users(app):
    made = app.config["MADE"]
    anonymous = app.test_client().get(f"/facilities/{made}").get_data(as_text=True)
    assert "facility-history" not in anonymous
    client = app.test_client()
    login(client, "viewer1")
    html = client.get(f"/facilities/{made}").get_data(as_text=True)
    section = html[html.index('class="facility-history"') :]
    assert "Historique" in section and "relevé" in section and "modification" in section and "ajout" in section
    assert f'href="/history?facility={made}"' in section
    untouched = client.get("/facilities/educ-0001").get_data(as_text=True)
    assert "Aucune modification par les planificateurs." in untouched
