"""Languages: French first, English available (``?lang=``, cookie, Accept-Language); ``?lang=`` is remembered."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_babel import Babel, get_locale

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LANG_COOKIE_MAX_AGE_S = 365 * 24 * 3600


def select_locale() -> str:
    """Return the language of the current request: ?lang=, then cookie, then Accept-Language."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get("lang")
    if cookie in LANGUAGES:
        return cookie
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def init_app(app: Flask) -> None:
    """Set up Flask-Babel with the project's catalogs."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    Babel(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    app.after_request(remember_language)


def remember_language(resp: Response) -> Response:
    """Keep a ``?lang=`` choice in a cookie, so it sticks on every page that follows."""
    asked = request.args.get("lang")
    if asked in LANGUAGES and request.cookies.get("lang") != asked:
        resp.set_cookie("lang", asked, max_age=LANG_COOKIE_MAX_AGE_S, samesite="Lax")
    return resp
