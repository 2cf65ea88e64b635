"""The map page is rendered once per (URL, language, store version) for anonymous visitors."""

from __future__ import annotations

from geo.planning import accounts
from tests.webmap.edit_helpers import login, make_app
from webmap import pagecache


def test_anonymous_pages_are_rendered_once(client, monkeypatch):
    calls = []
    real = pagecache._render_page
    monkeypatch.setattr(pagecache, "_render_page", lambda render: calls.append(1) or real(render))
    first = client.get("/?layers=cscom&lang=fr")
    second = client.get("/?layers=cscom&lang=fr")
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and len(calls) == 1
    client.get("/?layers=cscom&lang=en")
    assert len(calls) == 2  # another language is another page


def test_etag_gives_304_and_gzip_is_served(client):
    page = client.get("/?lang=fr", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    again = client.get("/?lang=fr", headers={"Accept-Encoding": "gzip", "If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304


def test_bad_parameters_are_refused_before_caching(client):
    assert client.get("/?zoom=abc").status_code == 400
    assert client.get("/?zoom=abc").status_code == 400


def test_only_a_live_session_bypasses_the_cache(tiny_store, tmp_path, monkeypatch):
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    client = make_app(tiny_store, tmp_path / "edits.sqlite").test_client()
    calls = []
    real = pagecache._render_page
    monkeypatch.setattr(pagecache, "_render_page", lambda render: calls.append(1) or real(render))
    client.set_cookie("session", "x")  # garbage: the anonymous page, from the cache
    assert client.get("/?lang=fr").status_code == 200 and client.get("/?lang=fr").status_code == 200
    assert len(calls) == 1
    client.delete_cookie("session")
    login(client)
    assert 'class="account-name"' in client.get("/?lang=fr").get_data(as_text=True)
    assert len(calls) == 1  # rendered for the planner, not from (nor into) the cache
    with client.session_transaction() as sess:
        replayed = dict(sess)
    csrf = replayed["csrf_token"]
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 302
    with client.session_transaction() as sess:  # the old cookie, replayed after logout
        sess.update(replayed)
    html = client.get("/?lang=fr").get_data(as_text=True)
    assert 'class="account-name"' not in html and len(calls) == 1  # the cached anonymous page
