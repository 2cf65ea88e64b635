"""Planner accounts: users and roles, API tokens, and the login rate limit.

The tables live in the planners' database (``geo.planning.edits.db``): ``users``,
``tokens``, ``sessions`` and ``login_attempts``. Passwords are kept only as salted scrypt
hashes (in the ``scrypt:N:r:p$salt$hex`` form werkzeug also reads), API tokens
only as their sha256. Neither a password nor a token ever reaches a log line or
an exception message.

A web session is valid only while its row in ``sessions`` exists (the cookie
carries a random id, the table its sha256): signing out, a password change, a
role change and disabling the account delete every session of that user.

Roles are ranked: ``viewer`` (signed in, read-only) < ``editor`` (edits
facilities) < ``admin`` (also manages users and reverts changes).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import re
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from geo.errors import AuthRequired, InvalidParameter, RateLimited, TokenNotFound, UserNotFound
from geo.planning.edits.db import connect, transaction
from geo.planning.edits.pg import database_exists

log = logging.getLogger(__name__)

#: Roles from least to most rights; a role includes the rights of those before it.
ROLES: tuple[str, ...] = ("viewer", "editor", "admin")
_RANK = {role: rank for rank, role in enumerate(ROLES)}

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{1,63}")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # scrypt reads the whole password: refuse megabyte "passwords"

#: Failed logins of one account or one address allowed before each further attempt must wait …
FREE_FAILURES = 5
#: … this long after the last failure, doubling with each further failure …
FIRST_DELAY_S = 1
#: … up to this (a guesser gets about 4 tries an hour, and nobody is locked out for longer).
MAX_DELAY_S = 15 * 60
#: Login attempts older than this are deleted; failures are counted over this span.
ATTEMPTS_KEPT_S = 24 * 3600

#: A session ends this long after its last request.
SESSION_IDLE_S = 12 * 3600
#: seen_at of a session is written at most this often.
SESSION_TOUCH_S = 60

#: scrypt cost (werkzeug's defaults: about 50 ms and 32 MiB per hash).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
TOKEN_PREFIX_LENGTH = 8
#: last_used of a token is written at most this often (a write per API request would contend with edits).
TOKEN_TOUCH_S = 60

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    role TEXT NOT NULL CHECK (role IN ({", ".join(repr(r) for r in ROLES)})),
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    sha256 TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used TEXT,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
    sha256 TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    created_at REAL NOT NULL,
    seen_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_name);
CREATE TABLE IF NOT EXISTS login_attempts (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    address TEXT NOT NULL,
    at REAL NOT NULL,
    ok INTEGER NOT NULL,
    device TEXT
);
CREATE INDEX IF NOT EXISTS login_attempts_account ON login_attempts (account, at);
CREATE INDEX IF NOT EXISTS login_attempts_address ON login_attempts (address, at);
CREATE INDEX IF NOT EXISTS login_attempts_at ON login_attempts (at);
"""


class LoginRefused(AuthRequired):
    """A login failed: ``code`` is ``"bad_credentials"`` or ``"disabled"``."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class LoginLocked(RateLimited):
    """Too many failed logins: the next attempt must wait until ``retry_at`` (a UTC datetime)."""

    def __init__(self, retry_at: datetime, *, now: float):
        retry_after_s = max(1, int(retry_at.timestamp() - now + 0.999))
        super().__init__(
            f"too many failed logins for this account or address; "
            f"try again after {retry_at:%H:%M:%S} UTC (in {retry_after_s} s)",
            retry_after_s=retry_after_s,
        )
        self.retry_at = retry_at


@dataclass(frozen=True)
class User:
    """A planner account as the rest of the atlas sees it (never with its password hash)."""

    name: str
    role: str
    disabled: bool
    created_at: str

    def has_role(self, role: str) -> bool:
        """Return True when this user may act as ``role`` (admin ⊇ editor ⊇ viewer)."""
        return not self.disabled and _RANK[self.role] >= _RANK[check_role(role)]


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about an API token: its first characters, never the token."""

    prefix: str
    user: str
    created_at: str
    last_used: str | None
    revoked_at: str | None


# --- database -----------------------------------------------------------------------------------

_initialised: set[str] = set()


def init_db(db_path: Path | str) -> None:
    """Create the account tables in the planners' database if they are missing (and add newer columns)."""
    with closing(connect(db_path)) as conn:
        conn.executescript(SCHEMA)
        columns = {row["name"] for row in conn.execute("PRAGMA table_info(login_attempts)")}
        if "device" not in columns:  # a database from before trusted devices
            with transaction(conn):
                conn.execute("ALTER TABLE login_attempts ADD COLUMN device TEXT")
    _initialised.add(str(db_path))


@contextmanager
def _db(db_path: Path | str) -> Iterator[sqlite3.Connection]:
    if str(db_path) not in _initialised or not database_exists(db_path):
        init_db(db_path)
    with closing(connect(db_path)) as conn:
        yield conn


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _user(row: sqlite3.Row) -> User:
    return User(name=row["name"], role=row["role"], disabled=bool(row["disabled"]), created_at=row["created_at"])


# --- validation and hashing ---------------------------------------------------------------------


def check_role(role: str) -> str:
    """Return ``role`` if it is known, else raise InvalidParameter listing the roles."""
    if role not in _RANK:
        raise InvalidParameter("role", f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    return role


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid account name, else raise InvalidParameter."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise InvalidParameter(
            "name", "2 to 64 characters: letters, digits, '.', '_', '@' or '-', starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    """Return ``password`` if long enough, else raise InvalidParameter (the password is never quoted)."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidParameter("password", f"must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidParameter("password", f"must have at most {MAX_PASSWORD_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of ``password`` as ``scrypt:N:r:p$salt$hex``."""
    salt = secrets.token_urlsafe(12)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}${salt}${digest}"


def verify_password(stored: str, password: str) -> bool:
    """Return True when ``password`` matches the ``stored`` hash (constant-time comparison)."""
    try:
        method, salt, digest = stored.split("$", 2)
        name, n, r, p = method.split(":")
        if name != "scrypt":
            return False
        actual = _scrypt(password, salt, int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, digest)


def _scrypt(password: str, salt: str, n: int, r: int, p: int) -> str:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt.encode("utf-8"), n=n, r=r, p=p, maxmem=132 * n * r * p
    ).hex()


@functools.cache
def _dummy_hash() -> str:
    # Checked against unknown names so that a wrong name costs as long as a wrong password.
    return hash_password(secrets.token_urlsafe(16))


# --- users --------------------------------------------------------------------------------------


def create_user(db_path: Path | str, name: str, role: str, password: str) -> User:
    """Create an account; raise InvalidParameter for a bad or taken name, role or password."""
    check_name(name)
    check_role(role)
    check_password(password)
    password_hash = hash_password(password)
    with _db(db_path) as conn:
        try:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO users (name, role, password_hash, disabled, created_at) VALUES (?, ?, ?, 0, ?)",
                    (name, role, password_hash, _now_iso()),
                )
        except sqlite3.IntegrityError:
            raise InvalidParameter("name", f"a user named {name!r} already exists") from None
        user = _user(conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone())
    log.info("user %s created with role %s", user.name, user.role)
    return user


def get_user(db_path: Path | str, name: str) -> User | None:
    """Return the account called ``name`` (case-insensitive), or None."""
    with _db(db_path) as conn:
        row = conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
    return _user(row) if row else None


def list_users(db_path: Path | str) -> list[User]:
    """Return every account, by name."""
    with _db(db_path) as conn:
        return [_user(r) for r in conn.execute("SELECT * FROM users ORDER BY name")]


def _update_user(db_path: Path | str, name: str, sql: str, params: tuple, *, end_sessions: bool = True) -> User:
    with _db(db_path) as conn:
        with transaction(conn):
            if conn.execute(sql + " WHERE name = ?", (*params, name)).rowcount == 0:
                raise UserNotFound(f"no user named {name!r}")
            if end_sessions:
                conn.execute("DELETE FROM sessions WHERE user_name = ?", (name,))
        return _user(conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone())


def disable_user(db_path: Path | str, name: str) -> User:
    """Disable an account: it can no longer sign in, its sessions end and its tokens stop working."""
    user = _update_user(db_path, name, "UPDATE users SET disabled = 1", ())
    log.info("user %s disabled", user.name)
    return user


def enable_user(db_path: Path | str, name: str) -> User:
    """Enable a disabled account again."""
    user = _update_user(db_path, name, "UPDATE users SET disabled = 0", (), end_sessions=False)
    log.info("user %s enabled", user.name)
    return user


def set_password(db_path: Path | str, name: str, password: str) -> User:
    """Replace the password of an account and end its sessions."""
    check_password(password)
    user = _update_user(db_path, name, "UPDATE users SET password_hash = ?", (hash_password(password),))
    log.info("password of user %s changed", user.name)
    return user


def set_role(db_path: Path | str, name: str, role: str) -> User:
    """Give an account another role and end its sessions."""
    user = _update_user(db_path, name, "UPDATE users SET role = ?", (check_role(role),))
    log.info("role of user %s set to %s", user.name, user.role)
    return user


# --- sessions -----------------------------------------------------------------------------------


def start_session(db_path: Path | str, name: str, *, now: float | None = None) -> str:
    """Record a new web session of ``name`` and return its id (only its sha256 is kept)."""
    now = time.time() if now is None else now
    sid = secrets.token_urlsafe(32)
    with _db(db_path) as conn:
        with transaction(conn):
            conn.execute("DELETE FROM sessions WHERE seen_at < ?", (now - SESSION_IDLE_S,))
            conn.execute(
                "INSERT INTO sessions (sha256, user_name, created_at, seen_at) "
                "SELECT ?, name, ?, ? FROM users WHERE name = ?",
                (_token_hash(sid), now, now, name),
            )
    return sid


def session_user(db_path: Path | str, sid: str | None, *, now: float | None = None) -> User | None:
    """Return the user of a live session id, or None (unknown, ended, idle too long, or its user disabled)."""
    if not isinstance(sid, str) or not sid or len(sid) > 200 or not database_exists(db_path):
        return None  # no database, no session (and a forged cookie never creates one)
    now = time.time() if now is None else now
    with _db(db_path) as conn:
        row = conn.execute(
            "SELECT s.sha256, s.seen_at, u.* FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.sha256 = ?",
            (_token_hash(sid),),
        ).fetchone()
        if row is None or row["disabled"] or row["seen_at"] < now - SESSION_IDLE_S:
            return None
        if now - row["seen_at"] >= SESSION_TOUCH_S:
            try:
                with transaction(conn):
                    conn.execute("UPDATE sessions SET seen_at = ? WHERE sha256 = ?", (now, row["sha256"]))
            except sqlite3.OperationalError as exc:  # a read-only database: the session still counts as seen
                log.warning("cannot record the session's last request: %s", exc)
    return _user(row)


def end_sessions(db_path: Path | str, name: str) -> int:
    """End every web session of ``name``; return how many there were."""
    with _db(db_path) as conn:
        with transaction(conn):
            ended = conn.execute("DELETE FROM sessions WHERE user_name = ?", (name,)).rowcount
    log.info("%d session(s) of user %s ended", ended, name)
    return ended


# --- login --------------------------------------------------------------------------------------


def authenticate(
    db_path: Path | str,
    name: str,
    password: str,
    *,
    address: str,
    device: str | None = None,
    now: float | None = None,
) -> User:
    """Check a login and return the user.

    Every attempt is recorded. There is no lockout: after ``FREE_FAILURES``
    failures each further attempt must wait ``FIRST_DELAY_S`` after the last
    failure, doubling per failure up to ``MAX_DELAY_S``; attempts made while
    waiting are refused without checking the password and are not counted.
    Failures are counted per address and per account (since its last successful
    login), over ``ATTEMPTS_KEPT_S``. An attempt from a *trusted device* of the
    account (``device``: the id the web layer gave a browser after a successful
    login there) waits only for that device's own failures, so strangers
    guessing a planner's password cannot keep the planner out.

    Parameters
    ----------
    name, password
        As typed. Unknown names cost as much time as wrong passwords.
    address
        The client address (the web layer passes ``request.remote_addr``).
    device
        The trusted-device id of this account presented by the client, or None.
    now
        Epoch seconds (tests); default the clock.

    Raises
    ------
    LoginLocked
        A ``RateLimited`` with ``retry_at``/``retry_after_s``: wait before trying again.
    LoginRefused
        An ``AuthRequired`` with ``code`` ``"bad_credentials"`` or ``"disabled"``.
    """
    now = time.time() if now is None else now
    account = (name or "").strip().lower()[:200]
    address = (address or "unknown")[:100]
    device = device[:100] if device else None
    with _db(db_path) as conn:
        # The attempt is recorded as a failure before the (slow) password check, in the same
        # transaction as the delay check, so parallel guesses cannot slip past the limit.
        with transaction(conn):
            _refuse_if_waiting(conn, account, address, device, now)
            conn.execute("DELETE FROM login_attempts WHERE at < ?", (now - ATTEMPTS_KEPT_S,))
            attempt = conn.execute(
                "INSERT INTO login_attempts (account, address, at, ok, device) VALUES (?, ?, ?, 0, ?)",
                (account, address, now, device),
            ).lastrowid
        row = conn.execute("SELECT * FROM users WHERE name = ?", (account,)).fetchone()
        matches = verify_password(row["password_hash"] if row else _dummy_hash(), password or "")
        if row is not None and matches:
            with transaction(conn):
                conn.execute("UPDATE login_attempts SET ok = 1 WHERE id = ?", (attempt,))
            user = _user(row)
            if user.disabled:
                log.info("login refused for disabled user %s from %s", user.name, address)
                raise LoginRefused("disabled", "this account is disabled")
            log.info("user %s signed in from %s", user.name, address)
            return user
        log.info("failed login for %s from %s", row["name"] if row else "an unknown name", address)
    raise LoginRefused("bad_credentials", "wrong name or password")


def locked_until(
    db_path: Path | str, *, name: str, address: str, device: str | None = None, now: float | None = None
) -> datetime | None:
    """Return when the next login attempt for this name, address (and device) is allowed, or None when it is now."""
    now = time.time() if now is None else now
    with _db(db_path) as conn:
        until = _wait_end(conn, (name or "").strip().lower()[:200], (address or "unknown")[:100], device, now)
    return datetime.fromtimestamp(until, UTC) if until else None


def _refuse_if_waiting(conn: sqlite3.Connection, account: str, address: str, device: str | None, now: float) -> None:
    until = _wait_end(conn, account, address, device, now)
    if until:
        raise LoginLocked(datetime.fromtimestamp(until, UTC), now=now)


def _wait_end(conn: sqlite3.Connection, account: str, address: str, device: str | None, now: float) -> float | None:
    since = now - ATTEMPTS_KEPT_S
    last_ok = conn.execute("SELECT max(at) FROM login_attempts WHERE account = ? AND ok = 1", (account,)).fetchone()[0]
    account_since = max(since, last_ok or since)
    if device is not None:  # a trusted device of the account: only its own failures count
        queries = [("account = ? AND device = ?", (account, device), account_since)]
    else:
        queries = [
            ("account = ? AND device IS NULL", (account,), account_since),
            ("address = ? AND device IS NULL", (address,), since),
        ]
    ends = []
    for where, params, start in queries:
        times = [
            r[0]
            for r in conn.execute(
                f"SELECT at FROM login_attempts WHERE {where} AND ok = 0 AND at > ? ORDER BY at", (*params, start)
            )
        ]
        if len(times) >= FREE_FAILURES:
            ends.append(times[-1] + min(FIRST_DELAY_S * 2 ** min(len(times) - FREE_FAILURES, 30), MAX_DELAY_S))
    until = max(ends, default=None)
    return until if until is not None and until > now else None


# --- API tokens ---------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(db_path: Path | str, name: str) -> str:
    """Create an API token for ``name`` and return it; only its sha256 is kept, so show it once."""
    token = secrets.token_urlsafe(32)
    while token.startswith("-"):  # a leading "-" would read as an option on the command line (revoke-token)
        token = secrets.token_urlsafe(32)
    with _db(db_path) as conn:
        with transaction(conn):
            row = conn.execute("SELECT name, disabled FROM users WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise UserNotFound(f"no user named {name!r}")
            if row["disabled"]:
                raise InvalidParameter("name", f"user {row['name']!r} is disabled")
            conn.execute(
                "INSERT INTO tokens (user_name, sha256, prefix, created_at) VALUES (?, ?, ?, ?)",
                (row["name"], _token_hash(token), token[:TOKEN_PREFIX_LENGTH], _now_iso()),
            )
    log.info("API token %s… issued to %s", token[:TOKEN_PREFIX_LENGTH], row["name"])
    return token


def list_tokens(db_path: Path | str, name: str | None = None) -> list[TokenInfo]:
    """Return the tokens (of ``name``, or all), newest first, by their prefixes."""
    sql = "SELECT prefix, user_name, created_at, last_used, revoked_at FROM tokens"
    params: tuple = ()
    if name is not None:
        sql, params = sql + " WHERE user_name = ?", (name,)
    with _db(db_path) as conn:
        rows = conn.execute(sql + " ORDER BY id DESC", params).fetchall()
    return [TokenInfo(r["prefix"], r["user_name"], r["created_at"], r["last_used"], r["revoked_at"]) for r in rows]


def revoke_token(db_path: Path | str, token_or_prefix: str) -> TokenInfo:
    """Revoke the active token given whole or by its first characters (at least 6).

    Raises TokenNotFound when no active token matches, InvalidParameter when the
    prefix is too short or matches several tokens.
    """
    value = (token_or_prefix or "").strip()
    if len(value) < 6:
        raise InvalidParameter("token", "give the token or at least its first 6 characters")
    if len(value) > TOKEN_PREFIX_LENGTH:
        where, params = "sha256 = ?", (_token_hash(value),)
    else:
        where, params = "substr(prefix, 1, ?) = ?", (len(value), value)
    with _db(db_path) as conn:
        with transaction(conn):
            rows = conn.execute(f"SELECT id FROM tokens WHERE revoked_at IS NULL AND {where}", params).fetchall()
            if not rows:
                raise TokenNotFound("no active token starts with these characters")
            if len(rows) > 1:
                raise InvalidParameter("token", f"{len(rows)} active tokens start with these characters; give more")
            conn.execute("UPDATE tokens SET revoked_at = ? WHERE id = ?", (_now_iso(), rows[0]["id"]))
        r = conn.execute(
            "SELECT prefix, user_name, created_at, last_used, revoked_at FROM tokens WHERE id = ?", (rows[0]["id"],)
        ).fetchone()
    log.info("API token %s… of %s revoked", r["prefix"], r["user_name"])
    return TokenInfo(r["prefix"], r["user_name"], r["created_at"], r["last_used"], r["revoked_at"])


def user_for_token(db_path: Path | str, token: str, *, now: float | None = None) -> User | None:
    """Return the user of an active API token, or None (unknown, revoked, or its user disabled)."""
    if not token or len(token) > 200 or not database_exists(db_path):
        return None
    now = time.time() if now is None else now
    with _db(db_path) as conn:
        row = conn.execute(
            "SELECT t.id, t.last_used, u.* FROM tokens t JOIN users u ON u.name = t.user_name "
            "WHERE t.sha256 = ? AND t.revoked_at IS NULL",
            (_token_hash(token),),
        ).fetchone()
        if row is None or row["disabled"]:
            return None
        stamp = datetime.fromtimestamp(now, UTC)
        last = datetime.fromisoformat(row["last_used"]) if row["last_used"] else None
        if last is None or (stamp - last).total_seconds() >= TOKEN_TOUCH_S:
            with transaction(conn):
                conn.execute(
                    "UPDATE tokens SET last_used = ? WHERE id = ?", (stamp.isoformat(timespec="seconds"), row["id"])
                )
    return _user(row)
