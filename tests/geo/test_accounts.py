"""Accounts: hashed passwords, roles, login rate limit, API tokens."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from contextlib import closing

import pytest

from geo.errors import AuthRequired, InvalidParameter, RateLimited, TokenNotFound, UserNotFound
from geo.planning import accounts
from geo.planning.edits.db import connect

PASSWORD = "correct horse battery"
T0 = 1_800_000_000.0  # a fixed clock (epoch seconds)


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch):
    # Hashes written by the tests are cheaper; verification reads the cost from each hash.
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)


@pytest.fixture
def db(blank_db):
    accounts.create_user(blank_db, "awa", "editor", PASSWORD)
    return blank_db


def dump(path) -> str:
    """Return every row of the database as text (SQLite's dump; for PostgreSQL, each table's rows)."""
    if isinstance(path, str):
        import psycopg

        with psycopg.connect(path) as conn:
            tables = [t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
            assert tables
            return "\n".join(str(row) for t in tables for row in conn.execute(f'SELECT * FROM "{t}"'))
    with sqlite3.connect(path) as conn:
        return "\n".join(conn.iterdump())


def test_passwords_are_stored_salted_and_hashed_only(db):
    accounts.create_user(db, "binta", "editor", PASSWORD)
    text = dump(db)
    assert PASSWORD not in text
    with closing(connect(db)) as conn:  # SQLite or PostgreSQL
        hashes = [r[0] for r in conn.execute("SELECT password_hash FROM users ORDER BY name")]
    assert all(h.startswith("scrypt:") for h in hashes)
    assert hashes[0] != hashes[1]  # same password, different salts


def test_hash_format_is_read_by_werkzeug():
    from werkzeug.security import check_password_hash

    stored = accounts.hash_password(PASSWORD)
    assert check_password_hash(stored, PASSWORD)
    assert not check_password_hash(stored, PASSWORD + "!")
    assert accounts.verify_password(stored, PASSWORD)
    assert not accounts.verify_password("garbage", PASSWORD)


@pytest.mark.parametrize(
    "name, role, password, field",
    [
        ("a", "editor", PASSWORD, "name"),
        ("awa bah", "editor", PASSWORD, "name"),
        ("<script>", "editor", PASSWORD, "name"),
        ("binta", "superuser", PASSWORD, "role"),
        ("binta", "editor", "short", "password"),
        ("binta", "editor", "x" * 2000, "password"),
    ],
)
def test_create_user_validates(tmp_path, name, role, password, field):
    with pytest.raises(InvalidParameter) as info:
        accounts.create_user(tmp_path / "e.sqlite", name, role, password)
    assert info.value.parameter == field
    assert password not in str(info.value)


def test_names_are_unique_whatever_the_case(db):
    with pytest.raises(InvalidParameter, match="already exists"):
        accounts.create_user(db, "AWA", "admin", PASSWORD)
    assert accounts.get_user(db, "Awa").name == "awa"


def test_roles_are_ranked(db):
    admin = accounts.create_user(db, "admin1", "admin", PASSWORD)
    viewer = accounts.create_user(db, "viewer1", "viewer", PASSWORD)
    editor = accounts.get_user(db, "awa")
    assert admin.has_role("editor") and admin.has_role("admin")
    assert editor.has_role("editor") and not editor.has_role("admin")
    assert viewer.has_role("viewer") and not viewer.has_role("editor")
    with pytest.raises(InvalidParameter):
        editor.has_role("root")
    assert [u.name for u in accounts.list_users(db)] == ["admin1", "awa", "viewer1"]


def test_login_success_and_failure(db):
    user = accounts.authenticate(db, "Awa", PASSWORD, address="10.0.0.1", now=T0)
    assert user.name == "awa" and user.role == "editor"
    with pytest.raises(accounts.LoginRefused) as info:
        accounts.authenticate(db, "awa", "wrong password", address="10.0.0.1", now=T0)
    assert info.value.code == "bad_credentials" and isinstance(info.value, AuthRequired)
    with pytest.raises(accounts.LoginRefused):
        accounts.authenticate(db, "nobody", PASSWORD, address="10.0.0.1", now=T0)


def test_disabled_user_cannot_sign_in_and_can_be_enabled(db):
    accounts.disable_user(db, "awa")
    with pytest.raises(accounts.LoginRefused) as info:
        accounts.authenticate(db, "awa", PASSWORD, address="10.0.0.1", now=T0)
    assert info.value.code == "disabled"
    assert not accounts.get_user(db, "awa").has_role("viewer")
    accounts.enable_user(db, "awa")
    assert accounts.authenticate(db, "awa", PASSWORD, address="10.0.0.1", now=T0 + 1).name == "awa"
    with pytest.raises(UserNotFound):
        accounts.disable_user(db, "nobody")


def fail(db, name, address, now):
    with pytest.raises(AuthRequired):
        accounts.authenticate(db, name, "wrong password", address=address, now=now)


def test_failures_beyond_five_make_the_next_attempt_wait_longer_each_time(db):
    for i in range(5):
        fail(db, "awa", f"10.0.0.{i}", T0 + i)  # different addresses: the account's count
    with pytest.raises(accounts.LoginLocked) as info:  # the 6th attempt waits 1 s after the 5th failure
        accounts.authenticate(db, "awa", PASSWORD, address="10.0.0.9", now=T0 + 4.5)
    assert info.value.retry_after_s == 1 and "try again after" in str(info.value) and "UTC" in str(info.value)
    fail(db, "awa", "10.0.0.9", T0 + 5)  # allowed again: a 6th failure, now 2 s to wait
    assert accounts.locked_until(db, name="awa", address="10.9.9.9", now=T0 + 6).timestamp() == T0 + 7
    fail(db, "awa", "10.0.0.9", T0 + 7)
    assert accounts.locked_until(db, name="awa", address="10.9.9.9", now=T0 + 7).timestamp() == T0 + 11
    # another account from another address is unaffected
    accounts.create_user(db, "binta", "editor", PASSWORD)
    assert accounts.authenticate(db, "binta", PASSWORD, address="10.0.1.1", now=T0 + 8).name == "binta"
    assert accounts.authenticate(db, "awa", PASSWORD, address="10.0.0.11", now=T0 + 11).name == "awa"


def test_the_wait_is_capped_and_refused_attempts_do_not_extend_it(db):
    now = T0
    for i in range(30):  # a guesser who waits each delay out
        until = accounts.locked_until(db, name="awa", address=f"203.0.113.{i}", now=now)
        now = until.timestamp() if until else now
        fail(db, "awa", f"203.0.113.{i}", now)
    until = accounts.locked_until(db, name="awa", address="203.0.113.99", now=now).timestamp()
    assert until == now + accounts.MAX_DELAY_S == now + 15 * 60
    for k in range(20):  # hammering during the wait is refused and not counted
        with pytest.raises(accounts.LoginLocked):
            accounts.authenticate(db, "awa", "guess", address="203.0.113.99", now=now + k)
    assert accounts.locked_until(db, name="awa", address="203.0.113.99", now=now + 30).timestamp() == until
    assert accounts.authenticate(db, "awa", PASSWORD, address="10.0.0.1", now=until).name == "awa"


def test_a_stranger_cannot_keep_a_planner_out_of_a_trusted_device(db):
    now = T0
    for i in range(40):  # 40 wrong guesses at the account from many addresses, waiting each delay out
        until = accounts.locked_until(db, name="awa", address=f"198.51.100.{i}", now=now)
        now = until.timestamp() if until else now
        fail(db, "awa", f"198.51.100.{i}", now)
    with pytest.raises(accounts.LoginLocked):  # a new browser of the planner waits, like the guesser …
        accounts.authenticate(db, "awa", PASSWORD, address="10.0.0.5", now=now + 1)
    # … but the browser where the planner signed in before does not
    assert accounts.authenticate(db, "awa", PASSWORD, address="10.0.0.5", device="dev-1", now=now + 2).name == "awa"
    # a trusted device only waits for its own failures
    for k in range(5):
        with pytest.raises(AuthRequired):
            accounts.authenticate(db, "awa", "typo", address="10.0.0.5", device="dev-1", now=now + 3 + k)
    with pytest.raises(accounts.LoginLocked):
        accounts.authenticate(db, "awa", PASSWORD, address="10.0.0.5", device="dev-1", now=now + 7.5)


def test_failures_from_one_address_make_that_address_wait(db):
    accounts.create_user(db, "binta", "editor", PASSWORD)
    for i, name in enumerate(["x1", "x2", "x3", "x4", "x5"]):
        fail(db, name, "192.0.2.7", T0 + i)
    with pytest.raises(RateLimited):  # the address waits, whatever the account
        accounts.authenticate(db, "binta", PASSWORD, address="192.0.2.7", now=T0 + 4.5)
    assert accounts.authenticate(db, "binta", PASSWORD, address="192.0.2.8", now=T0 + 4.6).name == "binta"


def test_success_resets_the_account_count(db):
    for i in range(4):
        fail(db, "awa", f"10.0.0.{i}", T0 + i)
    accounts.authenticate(db, "awa", PASSWORD, address="10.0.0.1", now=T0 + 10)
    fail(db, "awa", "10.0.0.5", T0 + 11)  # not the 5th: the count restarted
    assert accounts.locked_until(db, name="awa", address="10.0.0.6", now=T0 + 11) is None


def test_an_older_database_gets_the_device_column(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE login_attempts (id INTEGER PRIMARY KEY, account TEXT NOT NULL, "
                     "address TEXT NOT NULL, at REAL NOT NULL, ok INTEGER NOT NULL)")  # fmt: skip
    accounts.create_user(path, "awa", "editor", PASSWORD)
    assert accounts.authenticate(path, "awa", PASSWORD, address="10.0.0.1", device="d", now=T0).name == "awa"


def test_tokens_only_sha256_is_stored_and_revocation_works(db):
    token = accounts.issue_token(db, "awa")
    assert len(token) >= 40
    text = dump(db)
    assert token not in text and hashlib.sha256(token.encode()).hexdigest() in text
    assert accounts.user_for_token(db, token).name == "awa"
    assert accounts.user_for_token(db, token + "x") is None
    assert accounts.user_for_token(db, "") is None
    [info] = accounts.list_tokens(db, "awa")
    assert info.prefix == token[:8] and info.last_used is not None and info.revoked_at is None
    revoked = accounts.revoke_token(db, token[:8])
    assert revoked.revoked_at is not None
    assert accounts.user_for_token(db, token) is None
    with pytest.raises(TokenNotFound):
        accounts.revoke_token(db, token)


def test_revoke_by_whole_token_and_prefix_rules(db):
    token = accounts.issue_token(db, "awa")
    with pytest.raises(InvalidParameter):
        accounts.revoke_token(db, token[:3])
    accounts.revoke_token(db, token)
    assert accounts.user_for_token(db, token) is None


def test_tokens_of_a_disabled_user_stop_working(db):
    token = accounts.issue_token(db, "awa")
    accounts.disable_user(db, "awa")
    assert accounts.user_for_token(db, token) is None
    with pytest.raises(InvalidParameter):
        accounts.issue_token(db, "awa")
    with pytest.raises(UserNotFound):
        accounts.issue_token(db, "nobody")


def test_secrets_never_reach_logs_or_errors(db, caplog):
    caplog.set_level(logging.DEBUG)
    accounts.authenticate(db, "awa", PASSWORD, address="10.0.0.1", now=T0)
    with pytest.raises(AuthRequired) as info:
        accounts.authenticate(db, "awa", "another secret pw", address="10.0.0.1", now=T0)
    token = accounts.issue_token(db, "awa")
    accounts.user_for_token(db, token)
    accounts.revoke_token(db, token)
    accounts.set_password(db, "awa", "a brand new password")
    for secret in (PASSWORD, "another secret pw", token, "a brand new password"):
        assert secret not in caplog.text
        assert secret not in str(info.value)
    assert "awa" in caplog.text  # names are logged, secrets are not


def test_tokens_never_start_with_a_dash(db, monkeypatch):
    """``users revoke-token PREFIX`` must never see a token prefix as a command-line option."""
    drawn = iter(["-abcdefgh" + "x" * 34, "Zabcdefgh" + "x" * 34])
    monkeypatch.setattr(accounts.secrets, "token_urlsafe", lambda n: next(drawn))
    assert accounts.issue_token(db, "awa").startswith("Z")  # "awa" is the fixture's editor
