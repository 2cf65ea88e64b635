"""The map page is rendered once per (URL, language, store version) for anonymous visitors."""

from __future__ import annotations

from contextlib import contextmanager

from flask import template_rendered

from geo.planning import accounts
from tests.webmap.edit_helpers import login, make_app


@contextmanager
def renders(app):
    """Collect the names of the templates rendered meanwhile."""
    names: list[str] = []

    def record(sender, template, context, **extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(record, app)


def test_anonymous_pages_are_rendered_once(app, client):
    with renders(app) as calls:
        first = client.get("/?layers=cscom&lang=fr")
        second = client.get("/?layers=cscom&lang=fr")
        assert first.status_code == second.status_code == 200
        assert first.data == second.data and calls == ["map.html"]
        client.get("/?layers=cscom&lang=en")
        assert calls == ["map.html", "map.html"]  # another language is another page


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
    app = make_app(tiny_store)
    client = app.test_client()
    with renders(app) as calls:
        client.set_cookie("session", "x")  # garbage: the anonymous page, from the cache
        assert client.get("/?lang=fr").status_code == 200 and client.get("/?lang=fr").status_code == 200
        assert calls.count("map.html") == 1
        client.delete_cookie("session")
        login(client)
        assert 'class="account-name"' in client.get("/?lang=fr").get_data(as_text=True)
        assert calls.count("map.html") == 2  # rendered for the planner, not from (nor into) the cache
        with client.session_transaction() as sess:
            replayed = dict(sess)
        csrf = replayed["csrf_token"]
        assert client.post("/logout", data={"csrf_token": csrf}).status_code == 302
        with client.session_transaction() as sess:  # the old cookie, replayed after logout
            sess.update(replayed)
        html = client.get("/?lang=fr").get_data(as_text=True)
        assert 'class="account-name"' not in html and calls.count("map.html") == 2  # the cached anonymous page
