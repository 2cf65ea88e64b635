"""App-wide behaviour is set by the app factory: blueprints, language cookie, upload limit, one error boundary."""

from __future__ import annotations

import pytest

from webmap import blueprints
from webmap.cli import main


def test_every_blueprint_is_registered_explicitly(app):
    assert [bp.name for bp in blueprints()] == list(app.blueprints)
    assert {"pages", "assets", "api", "ogcapi", "images", "auth", "coverage", "imports_page", "edit_api",
            "history", "data_page"} == set(app.blueprints)  # fmt: skip


def test_every_command_is_registered():
    assert {"data", "export", "serve", "users", "import"} <= set(main.commands)


def test_upload_limit_is_set_by_the_factory(app):
    from geo.planning.imports import MAX_BYTES

    assert app.config["MAX_CONTENT_LENGTH"] > MAX_BYTES


@pytest.mark.parametrize("url", ["/", "/couverture", "/ogcapi/", "/api/v1/layers"])
def test_lang_choice_sticks_on_every_page(client, url):
    resp = client.get(f"{url}?lang=en")
    assert resp.status_code == 200 and "lang=en" in resp.headers.get("Set-Cookie", ""), url
    # the cookie now chooses the language of the next pages, whichever page the choice was made on
    assert b'<html lang="en"' in client.get("/couverture").data
    assert b'<html lang="en"' in client.get("/").data


@pytest.mark.parametrize(
    ("url", "shape"),
    [("/api/v1/layers/nope.csv", "api"), ("/ogcapi/collections/nope", "ogc"), ("/quartiers/nope", "html")],
)
def test_one_error_shape_per_interface(client, url, shape):
    resp = client.get(url)
    assert resp.status_code in (400, 404)
    if shape == "api":
        assert set(resp.get_json()["error"]) >= {"status", "code", "message"}
    elif shape == "ogc":
        assert set(resp.get_json()) == {"code", "description"}
    else:
        assert resp.mimetype == "text/html" and b"Traceback" not in resp.data
