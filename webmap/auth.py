"""Who is asking: sessions, API tokens, roles and CSRF protection.

A planner signs in on ``/login`` (a new session is started: the old one is
cleared and gets a fresh session id and CSRF token) or sends an API token as
``Authorization: Bearer <token>``. The session id is checked against the
planners' database on every request (``geo.planning.accounts.session_user``):
signing out, a password or role change and disabling the account end every
session of that user, so a replayed cookie is anonymous. :func:`current_user` answers for both.
:func:`require_role` guards a view: anonymous → 401 (``AuthRequired``), a role
too low → 403 (``PermissionDenied``).

Every state-changing request (POST, PUT, PATCH, DELETE) made with a signed-in
session must carry the session's CSRF token in the ``X-CSRF-Token`` header or
the ``csrf_token`` form field (pages expose it as ``<meta name="csrf-token">``
and the ``csrf_token()`` template global); otherwise it is refused with 403.
Bearer-token requests carry no cookie, so they are exempt.

Session cookies are HttpOnly, SameSite=Lax, and Secure whenever the request
came over HTTPS (or always with ``SESSION_COOKIE_SECURE``).
"""

from __future__ import annotations

import functools
import hmac
import logging
import os
import secrets
import stat
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, has_request_context, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer

from geo.errors import AuthRequired, PermissionDenied
from geo.planning import accounts
from geo.planning.accounts import User
from geo.planning.edits.db import EDITS_FILENAME, edits_path
from geo.planning.edits.pg import is_url
from webmap.settings import settings_of

log = logging.getLogger(__name__)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SECRET_KEY_FILENAME = "secret_key"
#: Cookie marking a browser where an account signed in before (its logins are not held by strangers' failures).
DEVICE_COOKIE = "atlas_device"
DEVICE_MAX_AGE_S = 180 * 24 * 3600
#: A signed-in session lasts this long after its last request.
SESSION_LIFETIME = timedelta(seconds=accounts.SESSION_IDLE_S)


class _SessionInterface(SecureCookieSessionInterface):
    """Signed cookie sessions: Secure whenever the request came over HTTPS; the key is found on first use.

    Requests without a session cookie (anonymous map browsing) never need the
    key, so a read-only deployment serves without writing a key file.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)

    def get_signing_serializer(self, app: Flask):
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = secret_key(app)
        return super().get_signing_serializer(app)

    def open_session(self, app: Flask, request):
        if not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    """Set up sessions, the secret key, CSRF checks and the template helpers.

    Config: ``ATLAS_EDITS_DB`` (path of the planners' database; default
    ``edits.sqlite`` next to ``ATLAS_STORE`` when that is given, else
    ``<home>/edits.sqlite``), ``SECRET_KEY`` (default: setting ``SECRET_KEY``,
    else generated once into ``secret_key`` next to that database, mode 0600,
    when the first session is signed), ``SESSION_COOKIE_SECURE`` (force Secure
    cookies behind a TLS proxy).
    """
    app.config.setdefault("ATLAS_EDITS_DB", None)
    if not app.config["ATLAS_EDITS_DB"]:
        store = app.config.get("ATLAS_STORE")
        app.config["ATLAS_EDITS_DB"] = (
            str(Path(store).with_name(EDITS_FILENAME)) if store else str(edits_path(settings_of(app)))
        )
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    if app.config.get("SESSION_COOKIE_SAMESITE") not in ("Lax", "Strict"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if app.config.get("PERMANENT_SESSION_LIFETIME") == timedelta(days=31):  # Flask's default: too long
        app.config["PERMANENT_SESSION_LIFETIME"] = SESSION_LIFETIME
    app.session_interface = _SessionInterface()
    app.before_request(_check_csrf_of_session_writes)
    app.jinja_env.globals.update(current_user=current_user, csrf_token=csrf_token)


def edits_db() -> Path | str:
    """Return the planners' database of the current app (a file, or a PostgreSQL URL)."""
    db = current_app.config["ATLAS_EDITS_DB"]
    return db if is_url(db) else Path(db)


def data_folder(app: Flask) -> Path:
    """Return the folder of the app's own files: the edits database's, or the home with a PostgreSQL database."""
    db = app.config["ATLAS_EDITS_DB"]
    return settings_of(app).home_dir() if is_url(db) else Path(db).parent


def secret_key(app: Flask) -> str:
    """Return the key signing the sessions: config ``SECRET_KEY``, else setting ``SECRET_KEY``, else the key file."""
    key = (
        app.config.get("SECRET_KEY")
        or settings_of(app)["SECRET_KEY"]
        or _stored_secret_key(data_folder(app) / SECRET_KEY_FILENAME)
    )
    if len(key) < 32:
        log.warning("SECRET_KEY is shorter than 32 characters: sessions are easier to forge")
    return key


def _stored_secret_key(path: Path) -> str:
    """Return the key kept in ``path``, creating it (mode 0600) on first use and again when it is empty.

    The key is written to a temporary file and linked into place, so the key
    file is complete or absent, never empty (a full disk left a 0-byte key
    that broke every sign-in, issue 13 finding 8); the first process to link
    wins and every other one reads its key.
    """
    for _attempt in range(3):
        existed = path.exists()  # before reading: a key linked meanwhile by another process must not be replaced
        key = _read_secret_key(path)
        if key:
            return key
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fresh = secrets.token_hex(32)
            _write_key_atomically(path, fresh, replace_empty=existed)
        except OSError as exc:  # read-only folder or full disk: the atlas still serves, sign-ins last one process
            log.warning("cannot write %s (%s): using a key for this process only; set SECRET_KEY", path, exc.strerror)
            return secrets.token_hex(32)
    raise RuntimeError(f"{path} stays empty: delete it to generate a new secret key")


def _write_key_atomically(path: Path, key: str, *, replace_empty: bool) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".secret_key-", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key + "\n")
            f.flush()
            os.fsync(f.fileno())
        if replace_empty:
            os.replace(tmp, path)  # an empty key is worthless: whoever replaces it last wins, all read that one
        else:
            try:
                os.link(tmp, path)  # fails if another process created the key meanwhile: theirs is kept
            except FileExistsError:
                return
        log.info("generated a new session secret key in %s", path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _read_secret_key(path: Path) -> str:
    """Return the key in ``path``, or "" when the file is missing or empty."""
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return ""
    if key and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s can be read by other users: chmod 600 it", path)
    return key


# --- who is asking ------------------------------------------------------------------------------


def bearer_token() -> str | None:
    """Return the token of an ``Authorization: Bearer`` header, or None."""
    scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def current_user() -> User | None:
    """Return the signed-in user of this request (Bearer token first, else the session), or None.

    The account is read again on each request, so a disabled account or a
    changed role takes effect at once. Anonymous requests never touch the database.
    """
    if "atlas_user" not in g:
        token = bearer_token()
        if token is not None:
            g.atlas_user = accounts.user_for_token(edits_db(), token)
        elif name := session.get("user"):
            user = accounts.session_user(edits_db(), session.get("sid"))
            if user is None or user.name.lower() != str(name).lower():
                session.clear()  # an ended session: the cookie is deleted and the visitor is anonymous
                user = None
            g.atlas_user = user
        else:
            g.atlas_user = None
    return g.atlas_user


def login_user(user: User) -> None:
    """Start a new session for ``user``: nothing of the previous session survives."""
    session.clear()
    session["user"] = user.name
    session["sid"] = accounts.start_session(edits_db(), user.name)
    session[CSRF_FIELD] = secrets.token_urlsafe(32)
    session.permanent = True  # expires SESSION_LIFETIME after the last request
    g.atlas_user = user


def trusted_device(name: str) -> str | None:
    """Return the trusted-device id this browser holds for account ``name``, or None.

    The id comes from the signed ``DEVICE_COOKIE`` set by :func:`remember_device`
    after a successful login; logins from it wait only for its own failures
    (see ``geo.planning.accounts.authenticate``).
    """
    value = request.cookies.get(DEVICE_COOKIE)
    if not value:
        return None
    try:
        data = _device_serializer().loads(value, max_age=DEVICE_MAX_AGE_S)
    except BadData:
        return None
    account = (name or "").strip().lower()
    if not isinstance(data, dict) or data.get("u") != account or not isinstance(data.get("d"), str):
        return None
    return data["d"]


def remember_device(resp: Response, user: User) -> Response:
    """Mark this browser as a trusted device of ``user`` (a signed cookie sent only to ``/login``)."""
    value = _device_serializer().dumps({"u": user.name.lower(), "d": secrets.token_urlsafe(16)})
    resp.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_MAX_AGE_S,
        path=url_for("auth.login"),
        httponly=True,
        samesite="Lax",
        secure=_SessionInterface().get_cookie_secure(current_app),
    )
    return resp


def _device_serializer() -> URLSafeTimedSerializer:
    app = current_app
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(app)
    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="atlas-trusted-device")


def logout_user() -> None:
    """End every session of the signed-in user (on every device) and delete the cookie."""
    user = current_user()
    if user is not None and bearer_token() is None:
        accounts.end_sessions(edits_db(), user.name)
    session.clear()
    g.atlas_user = None


def require_role(role: str, *, login_page: bool = False) -> Callable:
    """Guard a view: 401 when nobody is signed in, 403 when the user's role is below ``role``.

    Parameters
    ----------
    role
        ``"viewer"``, ``"editor"`` or ``"admin"`` (admin ⊇ editor ⊇ viewer).
    login_page
        For HTML pages: send anonymous GET requests to the login page (then back) instead of a 401.
    """
    accounts.check_role(role)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            user = current_user()
            if user is None:
                if login_page and request.method == "GET" and bearer_token() is None:
                    return redirect(url_for("auth.login", next=request.script_root + request.full_path.rstrip("?")))
                raise AuthRequired(_("Connexion requise : connectez-vous ou envoyez un jeton d'API."))
            if not user.has_role(role):
                raise PermissionDenied(_("Votre rôle ne permet pas cette action."))
            return view(*args, **kwargs)

        return wrapped

    return decorator


# --- CSRF ---------------------------------------------------------------------------------------


def csrf_token() -> str:
    """Return the CSRF token of this session (created when missing)."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def check_csrf() -> None:
    """Refuse the request (403) unless it carries this session's CSRF token."""
    expected = session.get(CSRF_FIELD)
    given = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD)
    if not expected or not given or not hmac.compare_digest(str(given), str(expected)):
        abort(403, description=_("Jeton CSRF absent ou invalide : rechargez la page et recommencez."))


def _check_csrf_of_session_writes() -> None:
    if request.method not in UNSAFE_METHODS or bearer_token() is not None:
        return
    if session.get("user"):  # anonymous writes are refused by require_role (401); the login form checks its own
        check_csrf()


# --- redirects ----------------------------------------------------------------------------------


def safe_next(target: str | None, default: str) -> str:
    """Return ``target`` if it is a path on this site, else ``default`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return default  # browsers read "/\evil.org" and "/\t/evil.org" as "//evil.org"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
