"""Accounts: hashed passwords, roles, login rate limit, API tokens."""

from __future__ import annotations

import hashlib
import logging
import sqlite3

import pytest

from geo.errors import AuthRequired, InvalidParameter, RateLimited, TokenNotFound, UserNotFound
from geo.planning import accounts

PASSWORD = "correct horse battery"
T0 = 1_800_000_000.0  # a fixed clock (epoch seconds)


@pytest.fixture(autouse=True)
def cheap_scrypt(monkeypatch):
    # Hashes written by the tests are cheaper; verification reads the cost from each hash.
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "edits.sqlite"
    accounts.create_user(path, "awa", "editor", PASSWORD)
    return path


def dump(path) -> str:
    with sqlite3.connect(path) as conn:
        return "\n".join(conn.iterdump())


def test_passwords_are_stored_salted_and_hashed_only(db):
    accounts.create_user(db, "binta", "editor", PASSWORD)
    text = dump(db)
    assert PASSWORD not in text
    with sqlite3.connect(db) as conn:
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


def test_five_failures_lock_the_account_for_15_minutes(db):
    for i in range(4):
        fail(db, "awa", f"10.0.0.{i}", T0 + i * 60)  # different addresses: the account limit
    with pytest.raises(RateLimited) as info:  # the 5th failure says so at once
        accounts.authenticate(db, "awa", "wrong password", address="10.0.0.9", now=T0 + 240)
    assert info.value.retry_after_s == 15 * 60
    # further attempts are refused, even with the right password, without being checked
    with pytest.raises(accounts.LoginLocked) as info:
        accounts.authenticate(db, "awa", PASSWORD, address="10.0.0.10", now=T0 + 600)
    assert info.value.retry_after_s == 240 + 900 - 600
    assert "try again after" in str(info.value) and "UTC" in str(info.value)
    assert accounts.locked_until(db, name="awa", address="10.9.9.9", now=T0 + 600).timestamp() == T0 + 240 + 900
    # another account from another address is unaffected
    accounts.create_user(db, "binta", "editor", PASSWORD)
    assert accounts.authenticate(db, "binta", PASSWORD, address="10.0.1.1", now=T0 + 600).name == "binta"
    # after the lockout the right password works again
    assert accounts.authenticate(db, "awa", PASSWORD, address="10.0.0.11", now=T0 + 240 + 901).name == "awa"


def test_five_failures_from_one_address_lock_that_address(db):
    accounts.create_user(db, "binta", "editor", PASSWORD)
    for i, name in enumerate(["x1", "x2", "x3", "x4"]):
        fail(db, name, "192.0.2.7", T0 + i)
    with pytest.raises(RateLimited):
        accounts.authenticate(db, "x5", "nope", address="192.0.2.7", now=T0 + 5)
    with pytest.raises(RateLimited):  # the address is locked for every account
        accounts.authenticate(db, "binta", PASSWORD, address="192.0.2.7", now=T0 + 6)
    assert accounts.authenticate(db, "binta", PASSWORD, address="192.0.2.8", now=T0 + 7).name == "binta"


def test_failures_spread_over_more_than_15_minutes_do_not_lock(db):
    for i in range(8):
        fail(db, "awa", "10.0.0.1", T0 + i * 300)  # one every 5 minutes: at most 4 in any 15 min
    assert accounts.authenticate(db, "awa", PASSWORD, address="10.0.0.1", now=T0 + 8 * 300).name == "awa"


def test_success_resets_the_account_count(db):
    for i in range(4):
        fail(db, "awa", f"10.0.0.{i}", T0 + i)
    accounts.authenticate(db, "awa", PASSWORD, address="10.0.0.1", now=T0 + 10)
    fail(db, "awa", "10.0.0.5", T0 + 11)  # not the 5th: the count restarted


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
