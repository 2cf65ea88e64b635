"""Sign-in, sessions, tokens, roles and CSRF on the web atlas."""

from __future__ import annotations

import logging
import os
import re
import stat

import pytest

from geo.planning import accounts
from tests.backends import app_config
from webmap import auth, create_app

PASSWORD = "correct horse battery"
SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


@pytest.fixture
def app(tiny_store, db, monkeypatch):
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    app = create_app(app_config(tiny_store, edits_db=db, TESTING=True))
    for name, role in (("awa", "editor"), ("admin1", "admin"), ("viewer1", "viewer")):
        accounts.create_user(db, name, role, PASSWORD)

    # Dummy protected routes, as the editing API will have them.
    @app.post("/api/v1/_test/edit")
    @auth.require_role("editor")
    def _edit():
        return {"user": auth.current_user().name}

    @app.delete("/api/v1/_test/admin")
    @auth.require_role("admin")
    def _admin():
        return {"ok": True}

    @app.get("/_test/boom")
    def _boom():
        raise RuntimeError("boom")

    @app.get("/_test/page")
    @auth.require_role("editor", login_page=True)
    def _page():
        return "editor page"

    return app


@pytest.fixture
def client(app):
    return app.test_client()


def page_csrf(client, path="/login", **kw) -> str:
    html = client.get(path, **kw).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, name="awa", password=PASSWORD, **form):
    token = page_csrf(client)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token, **form})


def session_of(client) -> dict:
    with client.session_transaction() as sess:
        return dict(sess)


def test_login_page_in_french_and_english(client):
    fr = client.get("/login")
    assert fr.status_code == 200 and fr.headers["Cache-Control"] == "no-store"
    html = fr.get_data(as_text=True)
    assert "Mot de passe" in html and 'autocomplete="current-password"' in html
    en = client.get("/login?lang=en").get_data(as_text=True)
    assert "Password" in en and "Sign in" in en


def test_login_success_starts_a_new_session(client):
    client.get("/login")
    with client.session_transaction() as sess:  # a planted (fixated) session
        sess["sid"], sess["planted"] = "attacker-chosen", "x"
    before = session_of(client)
    resp = login(client)
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    after = session_of(client)
    assert after["user"] == "awa"
    assert after["sid"] != "attacker-chosen" and "planted" not in after
    assert after["csrf_token"] != before["csrf_token"]
    html = client.get("/").get_data(as_text=True)
    assert 'class="account-name"' in html and "Déconnexion" in html
    assert f'<meta name="csrf-token" content="{after["csrf_token"]}">' in html


def test_cookie_flags_and_secure_over_https(client):
    cookie = login(client).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    https = client.application.test_client()
    token = page_csrf(https, base_url="https://atlas.example")
    resp = https.post(
        "/login",
        data={"name": "awa", "password": PASSWORD, "csrf_token": token},
        base_url="https://atlas.example",
    )
    assert resp.status_code == 302
    assert "Secure" in resp.headers["Set-Cookie"] and "HttpOnly" in resp.headers["Set-Cookie"]


def test_anonymous_visitors_get_no_cookie_and_a_login_link(client):
    resp = client.get("/")
    assert resp.status_code == 200 and "Set-Cookie" not in resp.headers
    html = resp.get_data(as_text=True)
    assert 'class="account-login" href="/login?next=/"' in html and "csrf-token" not in html


def test_wrong_password_and_unknown_name(client):
    resp = login(client, password="wrong password!")
    assert resp.status_code == 401 and "Nom ou mot de passe incorrect." in resp.get_data(as_text=True)
    assert "user" not in session_of(client)
    resp = login(client, name="nobody")
    assert resp.status_code == 401
    en = client.post(
        "/login?lang=en", data={"name": "awa", "password": "nope", "csrf_token": session_of(client)["csrf_token"]}
    )
    assert "Wrong name or password." in en.get_data(as_text=True)


def test_login_form_needs_its_csrf_token(client):
    client.get("/login")
    resp = client.post("/login", data={"name": "awa", "password": PASSWORD})
    assert resp.status_code == 403 and "user" not in session_of(client)


def test_failed_logins_make_the_next_attempt_wait(client, monkeypatch):
    monkeypatch.setattr(accounts, "FIRST_DELAY_S", 60)  # a wait the test cannot outlive by accident
    for i in range(5):
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{i}"
        assert login(client, password="wrong password!").status_code == 401
    client.environ_base["REMOTE_ADDR"] = "10.0.0.99"
    refused = login(client)  # even the right password, from a new address
    assert refused.status_code == 429 and 50 < int(refused.headers["Retry-After"]) <= 60
    html = refused.get_data(as_text=True)
    assert "Trop de tentatives de connexion échouées. Réessayez dans" in html and "UTC" in html
    token = session_of(client)["csrf_token"]
    en = client.post("/login?lang=en", data={"name": "awa", "password": PASSWORD, "csrf_token": token})
    assert en.status_code == 429 and "Too many failed sign-in attempts. Try again in" in en.get_data(as_text=True)
    assert login(client, name="admin1").status_code == 302  # other accounts do not wait


def test_a_browser_where_the_planner_signed_in_before_is_not_held(app, monkeypatch):
    monkeypatch.setattr(accounts, "FIRST_DELAY_S", 60)
    planner = app.test_client()
    assert login(planner).status_code == 302
    device = planner.get_cookie(auth.DEVICE_COOKIE, path="/login")
    assert device is not None and device.http_only and device.path == "/login"
    planner.post("/logout", data={"csrf_token": session_of(planner)["csrf_token"]})
    stranger = app.test_client()
    for i in range(8):
        stranger.environ_base["REMOTE_ADDR"] = f"203.0.113.{i}"
        login(stranger, password=f"guess number {i}")
    assert login(stranger).status_code == 429  # the right password, without the planner's browser
    forged = app.test_client()
    forged.set_cookie(auth.DEVICE_COOKIE, "forged." + device.value[-20:], path="/login")
    assert login(forged).status_code == 429
    assert login(planner).status_code == 302  # the planner's own browser signs in at once


def test_failures_from_one_address_make_it_wait(client, monkeypatch):
    monkeypatch.setattr(accounts, "FIRST_DELAY_S", 60)
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    for name in ("x1", "x2", "x3", "x4", "x5"):
        login(client, name=name, password="wrong password!")
    assert login(client, name="admin1").status_code == 429
    client.environ_base["REMOTE_ADDR"] = "192.0.2.8"
    assert login(client, name="admin1").status_code == 302


def test_disabled_user(client, db):
    assert login(client).status_code == 302
    csrf = session_of(client)["csrf_token"]
    assert client.post("/api/v1/_test/edit", headers={"X-CSRF-Token": csrf}).status_code == 200
    accounts.disable_user(db, "awa")
    assert client.post("/api/v1/_test/edit", headers={"X-CSRF-Token": csrf}).status_code == 401  # at once
    fresh = client.application.test_client()
    resp = login(fresh)
    assert resp.status_code == 401 and "Ce compte est désactivé." in resp.get_data(as_text=True)


def test_anonymous_write_is_401_with_the_json_error_shape(client):
    resp = client.post("/api/v1/_test/edit", json={"name": "x"})
    assert resp.status_code == 401
    assert resp.get_json()["error"]["status"] == 401 and resp.get_json()["error"]["code"] == "Unauthorized"


def test_role_too_low_is_403(client):
    login(client, name="viewer1")
    csrf = session_of(client)["csrf_token"]
    resp = client.post("/api/v1/_test/edit", headers={"X-CSRF-Token": csrf})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "Forbidden"
    editor = client.application.test_client()
    login(editor)
    csrf = session_of(editor)["csrf_token"]
    assert editor.delete("/api/v1/_test/admin", headers={"X-CSRF-Token": csrf}).status_code == 403
    admin = client.application.test_client()
    login(admin, name="admin1")
    csrf = session_of(admin)["csrf_token"]
    assert admin.delete("/api/v1/_test/admin", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert admin.post("/api/v1/_test/edit", headers={"X-CSRF-Token": csrf}).get_json() == {"user": "admin1"}


def test_session_writes_need_the_csrf_token(client):
    login(client)
    csrf = session_of(client)["csrf_token"]
    assert client.post("/api/v1/_test/edit").status_code == 403
    assert client.post("/api/v1/_test/edit", headers={"X-CSRF-Token": "x" + csrf}).status_code == 403
    assert client.post("/api/v1/_test/edit", data={"csrf_token": ""}).status_code == 403
    assert client.post("/api/v1/_test/edit", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.post("/api/v1/_test/edit", data={"csrf_token": csrf}).status_code == 200
    # logging out is a write too
    assert client.post("/logout").status_code == 403 and session_of(client)["user"] == "awa"
    resp = client.post("/logout", data={"csrf_token": csrf})
    assert resp.status_code == 302 and "user" not in session_of(client)
    assert client.post("/api/v1/_test/edit", headers={"X-CSRF-Token": csrf}).status_code == 401


def test_bearer_tokens_need_no_csrf_and_can_be_revoked(client, db):
    token = accounts.issue_token(db, "awa")
    headers = {"Authorization": f"Bearer {token}"}
    resp = client.post("/api/v1/_test/edit", headers=headers, json={})
    assert resp.status_code == 200 and resp.get_json() == {"user": "awa"}
    assert "Set-Cookie" not in resp.headers
    assert client.post("/api/v1/_test/edit", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    accounts.revoke_token(db, token[:8])
    assert client.post("/api/v1/_test/edit", headers=headers).status_code == 401


def test_a_bad_bearer_token_does_not_fall_back_to_the_session(client):
    login(client)
    csrf = session_of(client)["csrf_token"]
    resp = client.post("/api/v1/_test/edit", headers={"Authorization": "Bearer nonsense", "X-CSRF-Token": csrf})
    assert resp.status_code == 401


def test_pages_send_anonymous_visitors_to_the_login_form_and_back(client):
    resp = client.get("/_test/page?x=1")
    assert resp.status_code == 302 and resp.headers["Location"] == "/login?next=/_test/page?x%3D1"
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'name="next" value="/_test/page?x=1"' in html
    back = login(client, next="/_test/page?x=1")
    assert back.headers["Location"] == "/_test/page?x=1"
    assert client.get("/_test/page").get_data(as_text=True) == "editor page"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "/\t/evil.example/",
        "javascript:alert(1)",
        "http:/evil.example",
        "",
    ],
)
def test_no_open_redirect_after_login(client, target):
    resp = login(client, next=target)
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def test_local_next_is_kept(client):
    resp = login(client, next="/quartiers/ML090101001?lang=en")
    assert resp.headers["Location"] == "/quartiers/ML090101001?lang=en"
    assert client.get("/login?next=//evil.example").headers["Location"] == "/"  # already signed in


@pytest.mark.parametrize("status", [200, 401, 403, 404, 429, 500])
def test_security_headers_on_login_and_error_responses(client, status, monkeypatch):
    monkeypatch.setattr(accounts, "FIRST_DELAY_S", accounts.FIRST_DELAY_S)
    if status == 200:
        resp = client.get("/login")
    elif status == 401:
        resp = client.post("/api/v1/_test/edit")
    elif status == 403:
        login(client)
        resp = client.post("/api/v1/_test/edit")
    elif status == 404:
        resp = client.get("/no-such-page")
    elif status == 500:
        resp = client.get("/_test/boom")
    else:
        accounts.FIRST_DELAY_S = 60  # restored by the fixture's monkeypatch below
        client.environ_base["REMOTE_ADDR"] = "198.51.100.1"
        for _ in range(6):
            resp = login(client, password="wrong password!")
    assert resp.status_code == status
    for header in SECURITY_HEADERS:
        assert header in resp.headers, header
    assert "frame-ancestors 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_passwords_and_tokens_never_reach_the_logs(client, db, caplog):
    caplog.set_level(logging.DEBUG)
    token = accounts.issue_token(db, "awa")
    login(client, password="not the password at all")
    login(client)
    client.post("/api/v1/_test/edit", headers={"Authorization": f"Bearer {token}"})
    client.post("/api/v1/_test/edit", headers={"Authorization": f"Bearer {token}x"})
    assert "awa" in caplog.text  # the sign-in is logged …
    for secret in (PASSWORD, "not the password at all", token):
        assert secret not in caplog.text  # … its secrets are not


def test_secret_key_is_generated_once_with_owner_only_permissions(tiny_store, monkeypatch):
    monkeypatch.delenv("BAMAKO_ATLAS_SECRET_KEY", raising=False)
    config = app_config(tiny_store)
    first = create_app(config)
    key_file = auth.data_folder(first) / "secret_key"
    assert first.test_client().get("/").status_code == 200
    assert not key_file.exists()  # anonymous browsing needs no key: a read-only home stays untouched
    assert first.test_client().get("/login").status_code == 200  # the sign-in form starts a session
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert len(first.secret_key) >= 32
    second = create_app(config)
    assert auth.secret_key(second) == first.secret_key  # every worker signs with the same key
    monkeypatch.setenv("BAMAKO_ATLAS_SECRET_KEY", "k" * 40)
    assert auth.secret_key(create_app(config)) == "k" * 40
    assert auth.secret_key(create_app({**config, "SECRET_KEY": "c" * 40})) == "c" * 40


@pytest.mark.gpkg_only("the default edits.sqlite next to the GeoPackage")
def test_edits_database_defaults_next_to_the_store(tiny_store):
    app = create_app({"ATLAS_STORE": str(tiny_store)})
    assert app.config["ATLAS_EDITS_DB"] == str(tiny_store.with_name("edits.sqlite"))
