"""Translate library errors and HTTP errors to responses, in one place.

``/api`` gets one JSON shape: ``{"error": {"status", "code", "message"}}``, ``/ogcapi``
the OGC API exception shape ``{"code", "description"}``;
pages get a translated HTML page. A 500 never shows the exception text.

The planners' interfaces (the editing API and the history pages) speak in the
library's stable codes: a validation error carries ``field``, ``code`` and
``detail`` from the ``InvalidParameter``, a 409 the facility as it is now from
``VersionConflict.current``; their errors are never cached.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from geo.errors import (
    AtlasError,
    AuthRequired,
    ChangeNotFound,
    ImportNotFound,
    InvalidParameter,
    NotFound,
    PermissionDenied,
    RateLimited,
    StoreError,
    VersionConflict,
)
from webmap import edit_json, edit_messages

log = logging.getLogger(__name__)

#: Library exception → (HTTP status, error code). Checked in order (subclasses first).
STATUS_OF: tuple[tuple[type[Exception], int, str], ...] = (
    (InvalidParameter, 400, "InvalidParameterValue"),
    (NotFound, 404, "NotFound"),
    (AuthRequired, 401, "Unauthorized"),
    (PermissionDenied, 403, "Forbidden"),
    (VersionConflict, 409, "Conflict"),
    (RateLimited, 429, "TooManyRequests"),
    (StoreError, 503, "StoreUnavailable"),
    (AtlasError, 500, "ServerError"),
)
#: Title of an HTML error page by status (others: « Erreur »).
STATUS_TITLES = {
    400: _l("Requête invalide"),
    401: _l("Connexion requise"),
    403: _l("Accès refusé"),
    404: _l("Page introuvable"),
    405: _l("Méthode non autorisée"),
    409: _l("Conflit de modification"),
    413: _l("Envoi trop volumineux"),
    415: _l("Type de contenu non pris en charge"),
    429: _l("Trop de requêtes"),
    500: _l("Erreur interne du serveur"),
    503: _l("Service indisponible"),
}
#: What an HTML error page says when the library's message is technical (English): by status.
STATUS_TEXTS = {
    400: _l("La requête contient une valeur que l'atlas ne comprend pas."),
    401: _l("Connectez-vous pour voir cette page."),
    403: _l("Votre compte n'a pas accès à cette page."),
    404: _l("Page ou ressource introuvable."),
    405: _l("Méthode non autorisée."),
    413: _l("L'envoi dépasse la taille permise."),
    415: _l("Type de contenu non pris en charge."),
    429: _l("Trop de requêtes : réessayez dans un moment."),
    503: _l("L'atlas est momentanément indisponible : réessayez dans un moment."),
}
#: Blueprints of the planners' interfaces (stable codes, extras, never cached).
PLANNING = ("edit_api", "history")


def wants_json() -> bool:
    """Return True for API paths, ``.json`` pages and ``?f=json`` requests, whose errors are JSON."""
    return (
        request.path.startswith(("/api/", "/ogcapi"))
        or request.path.endswith(".json")
        or request.args.get("f") == "json"
    )


def page_text(status: int, message: str, exc: Exception | None = None) -> tuple[str, str | None]:
    """Return what an HTML error page says for a technical ``message``: a translated text, and the detail.

    The detail (the library's or werkzeug's message, in English) is shown apart, marked ``lang="en"``.
    """
    if isinstance(exc, InvalidParameter):
        return _("Le paramètre « %(name)s » n'est pas valide.", name=exc.parameter), str(exc)
    text = STATUS_TEXTS.get(status)
    return (str(text), message if message != str(text) else None) if text is not None else (message, None)


def error_response(
    status: int, code: str, message: str, *, page: tuple[str, str | None] | None = None, **extra: Any
) -> Response:
    """Return the error response for the current request.

    ``page``: what the HTML page says instead of ``message`` (a translated text and an English detail);
    ``extra``: ``field``, ``detail``, ``current`` of the JSON errors.
    """
    if wants_json():
        if request.path.startswith("/ogcapi"):  # OGC API exception schema
            resp = jsonify({"code": code, "description": message})
        else:
            described = {k: extra.pop(k) for k in ("field", "detail") if k in extra}
            resp = jsonify({"error": {"status": status, "code": code, "message": message, **described}, **extra})
        resp.status_code = status
    else:
        text, detail = page or (message, None)
        title = STATUS_TITLES.get(status, _l("Erreur"))
        resp = make_response(
            render_template("error.html", status=status, title=title, message=text, detail=detail), status
        )
    if request.blueprint in PLANNING:
        resp.headers["Cache-Control"] = "no-store"
    return resp


#: Validation codes of the planners' interfaces answered with another status than 400.
STATUS_OF_CODE = {"file_too_large": 413, "body_too_large": 413, "unsupported_media_type": 415}


def _planning_error(exc: AtlasError, status: int) -> Response | None:
    """Return the planners' description of ``exc``, or None to use the general one."""
    if isinstance(exc, InvalidParameter):
        described = edit_messages.describe(exc)
        return error_response(STATUS_OF_CODE.get(exc.code, 400), **described)
    if isinstance(exc, VersionConflict):
        if request.blueprint == "history":
            message = _(
                "Impossible d'annuler : l'équipement a été modifié depuis. "
                "Annulez d'abord les modifications plus récentes, de la plus récente à la plus ancienne."
            )
            return error_response(409, "version_conflict", message)
        message = _(
            "Cet équipement a été modifié par quelqu'un d'autre : vous partiez de la version %(expected)s, "
            "il en est à la version %(current)s. Voici ses valeurs actuelles ; refaites votre modification.",
            expected=exc.expected,
            current=exc.current.get("version"),
        )
        current = edit_json.facility_doc(exc.current)
        return error_response(409, "version_conflict", message, field="version", detail=str(exc), current=current)
    if isinstance(exc, NotFound):
        if isinstance(exc, ChangeNotFound):
            message = _("Aucune modification n'a cet identifiant.")
        elif isinstance(exc, ImportNotFound):
            message = _("Aucun import n'a cet identifiant.")
        else:
            message = _("Aucun équipement n'a cet identifiant.")
        return error_response(status, "not_found", message, detail=str(exc))
    return None


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(AtlasError)
    def _atlas_error(exc: AtlasError):
        status, code = next((st, c) for cls, st, c in STATUS_OF if isinstance(exc, cls))
        if status >= 500:
            log.exception("internal error")
            return error_response(status, code, _("Erreur interne du serveur."))
        if request.blueprint in PLANNING:
            planned = _planning_error(exc, status)
            if planned is not None:
                return planned
        resp = make_response(error_response(status, code, str(exc), page=page_text(status, str(exc), exc)))
        if isinstance(exc, RateLimited) and exc.retry_after_s:
            resp.headers["Retry-After"] = str(exc.retry_after_s)
        return resp

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if isinstance(exc, RequestEntityTooLarge) and request.blueprint == "edit_api":
            return error_response(413, "file_too_large", edit_messages.message("file_too_large", "file"), field="file")
        messages = {
            404: _("Page ou ressource introuvable."),
            405: _("Méthode non autorisée."),
        }
        status = exc.code or 500
        message = str(messages.get(status, exc.description or exc.name))
        resp = make_response(
            error_response(status, exc.name.replace(" ", ""), message, page=page_text(status, message, exc))
        )
        if exc.code == 405 and getattr(exc, "valid_methods", None):  # RFC 9110: a 405 lists the allowed methods
            resp.headers["Allow"] = ", ".join(exc.valid_methods)
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s", request.path)
        return error_response(500, "ServerError", _("Erreur interne du serveur."))
