"""The map page is rendered once per (URL, language, store version) for anonymous visitors."""

from __future__ import annotations

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


def test_visitors_with_a_session_get_a_fresh_render(client, monkeypatch):
    calls = []
    monkeypatch.setattr(pagecache, "_render_page", lambda render: calls.append(1))
    client.set_cookie("session", "x")
    assert client.get("/?lang=fr").status_code == 200
    assert calls == []
