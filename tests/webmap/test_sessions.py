"""Finding 5: sessions really end (logout, password, role change, disable); a replayed cookie is anonymous."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from geo.planning import accounts
from geo.planning.edits.pg import database_exists
from tests.backends import app_config, cli_env, planners_db
from tests.webmap.edit_helpers import PASSWORD, inside, login, make_app
from webmap import create_app
from webmap.cli import main


@pytest.fixture
def app(tiny_store, db, monkeypatch):
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    return make_app(tiny_store, db)


def cookie_of(client) -> dict:
    with client.session_transaction() as sess:
        return dict(sess)


def replay(client, cookie: dict) -> None:
    with client.session_transaction() as sess:
        sess.clear()
        sess.update(cookie)


def can_act(client, cookie: dict) -> tuple[int, int, int]:
    """Return the statuses of reading the history (API and page) and creating a facility with ``cookie``."""
    replay(client, cookie)
    lon, lat = inside()
    created = client.post(
        "/api/v1/facilities",
        json={"kind": "cscom", "name": "CSCOM rejoué", "lon": lon, "lat": lat},
        headers={"X-CSRF-Token": cookie["csrf_token"]},
    )
    replay(client, cookie)
    history = client.get("/api/v1/history")
    replay(client, cookie)
    page = client.get("/history")
    return history.status_code, page.status_code, created.status_code


def signed_in(app, name="awa"):
    client = app.test_client()
    login(client, name)
    return client, cookie_of(client)


def test_a_live_session_works(app):
    client, cookie = signed_in(app)
    assert can_act(client, cookie) == (200, 200, 201)


def test_logout_ends_every_session_of_the_user(app):
    client, cookie = signed_in(app)
    other, other_cookie = signed_in(app)  # the same planner on another device
    _admin, admin_cookie = signed_in(app, "admin1")
    assert client.post("/logout", data={"csrf_token": cookie["csrf_token"]}).status_code == 302
    assert can_act(client, cookie) == (401, 302, 401)
    assert can_act(other, other_cookie) == (401, 302, 401)
    assert can_act(app.test_client(), admin_cookie)[0] == 200  # other users keep theirs
    page = app.test_client()
    replay(page, cookie)
    resp = page.get("/history")
    assert resp.headers["Location"].startswith("/login")
    assert "session=;" in resp.headers.get("Set-Cookie", "")  # the dead cookie is deleted


@pytest.mark.parametrize(
    "command",
    [
        ("password", "awa", "--password-stdin"),
        ("role", "awa", "admin"),
        ("disable", "awa"),
    ],
)
def test_account_changes_from_the_command_line_end_the_sessions(app, db, tiny_store, command):
    client, cookie = signed_in(app)
    result = CliRunner().invoke(main, ["users", *command], env=cli_env(tiny_store), input="a new long password\n")
    assert result.exit_code == 0, result.output
    assert can_act(client, cookie) == (401, 302, 401)
    accounts.enable_user(db, "awa")  # enabling again does not revive an ended session
    assert can_act(client, cookie)[0] == 401


def test_a_forged_or_planted_sid_is_anonymous(app):
    client, cookie = signed_in(app)
    assert can_act(client, {**cookie, "sid": "planted-by-someone"})[0] == 401
    assert can_act(client, {**cookie, "user": "admin1"})[0] == 401  # a live sid of another user


def test_sessions_end_after_12_hours_idle(db, app):
    accounts.create_user(db, "binta", "editor", PASSWORD)
    t0 = 1_700_000_000.0
    sid = accounts.start_session(db, "binta", now=t0)
    assert accounts.session_user(db, sid, now=t0 + 11 * 3600).name == "binta"  # seen: the idle time restarts
    assert accounts.session_user(db, sid, now=t0 + 22 * 3600).name == "binta"
    assert accounts.session_user(db, sid, now=t0 + 34.1 * 3600) is None
    assert accounts.session_user(db, "x" * 300) is None


def test_forged_credentials_on_pages_never_create_the_database(tiny_store):
    client = create_app(app_config(tiny_store, TESTING=True)).test_client()
    client.set_cookie("session", "x")
    assert client.get("/").status_code == 200
    assert client.get("/", headers={"Authorization": "Bearer forged"}).status_code == 200
    assert client.get("/facilities/nope").status_code == 404  # asks whether it was retired: reads only
    assert not database_exists(planners_db(tiny_store))  # no edits.sqlite; on PostgreSQL, no planners' tables
