"""Sign-in and sign-out pages (``/login``, ``/logout``)."""

from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from geo.planning import accounts
from webmap import auth

bp = Blueprint("auth", __name__)


def _no_store(resp):
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _login_page(status: int = 200, *, error: str | None = None, name: str = "", retry_after_s: int | None = None):
    nxt = auth.safe_next(request.values.get("next"), "")
    resp = make_response(render_template("login.html", error=error, name=name, next=nxt), status)
    if retry_after_s:
        resp.headers["Retry-After"] = str(retry_after_s)
    return _no_store(resp)


@bp.get("/login")
def login():
    """Show the sign-in form (or go straight on when already signed in)."""
    if auth.current_user() is not None:
        return redirect(auth.safe_next(request.args.get("next"), url_for("pages.index")))
    return _login_page()


@bp.post("/login")
def login_post():
    """Check the name and password; on success start a new session and go to ``next``."""
    auth.check_csrf()  # login CSRF: a form from another site must not sign the visitor in
    name = request.form.get("name", "").strip()
    try:
        user = accounts.authenticate(
            auth.edits_db(),
            name,
            request.form.get("password", ""),
            address=request.remote_addr or "unknown",
            device=auth.trusted_device(name),
        )
    except accounts.LoginLocked as exc:
        message = _(
            "Trop de tentatives de connexion échouées. Réessayez dans %(seconds)d s (après %(time)s UTC).",
            seconds=exc.retry_after_s,
            time=exc.retry_at.strftime("%H:%M:%S"),
        )
        return _login_page(429, error=message, name=name, retry_after_s=exc.retry_after_s)
    except accounts.LoginRefused as exc:
        message = {
            "disabled": _("Ce compte est désactivé. Adressez-vous à un administrateur."),
        }.get(exc.code, _("Nom ou mot de passe incorrect."))
        return _login_page(401, error=message, name=name)
    auth.login_user(user)
    resp = redirect(auth.safe_next(request.form.get("next"), url_for("pages.index")))
    return _no_store(auth.remember_device(resp, user))


@bp.post("/logout")
def logout():
    """End the session and go back to the map (or a local ``next``)."""
    auth.logout_user()
    return _no_store(redirect(auth.safe_next(request.form.get("next"), url_for("pages.index"))))
