"""The map page is rendered once per (URL, language, store version) for anonymous visitors."""

from __future__ import annotations

from contextlib import contextmanager

from flask import template_rendered


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


def test_visitors_with_a_session_get_a_fresh_render(app, client):
    assert client.get("/?lang=fr").status_code == 200  # now cached for anonymous visitors
    client.set_cookie("session", "x")
    with renders(app) as calls:
        assert client.get("/?lang=fr").status_code == 200
        assert client.get("/?lang=fr").status_code == 200
    assert calls == ["map.html", "map.html"]
