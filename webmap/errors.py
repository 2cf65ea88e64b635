"""Translate library errors and HTTP errors to responses, in one place.

``/api`` gets one JSON shape: ``{"error": {"status", "code", "message"}}``, ``/ogcapi``
the OGC API exception shape ``{"code", "description"}``;
pages get a translated HTML page. A 500 never shows the exception text.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from geo.errors import (
    AtlasError,
    AuthRequired,
    InvalidParameter,
    NotFound,
    PermissionDenied,
    RateLimited,
    StoreError,
    VersionConflict,
)

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


def wants_json() -> bool:
    """Return True for API paths, ``.json`` pages and ``?f=json`` requests, whose errors are JSON."""
    return (
        request.path.startswith(("/api/", "/ogcapi"))
        or request.path.endswith(".json")
        or request.args.get("f") == "json"
    )


def error_response(status: int, code: str, message: str):
    """Return the error response for the current request."""
    if wants_json():
        if request.path.startswith("/ogcapi"):  # OGC API exception schema
            resp = jsonify({"code": code, "description": message})
        else:
            resp = jsonify({"error": {"status": status, "code": code, "message": message}})
        resp.status_code = status
        return resp
    return render_template("error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(AtlasError)
    def _atlas_error(exc: AtlasError):
        status, code = next((st, c) for cls, st, c in STATUS_OF if isinstance(exc, cls))
        if status >= 500:
            log.exception("internal error")
            return error_response(status, code, _("Erreur interne du serveur."))
        resp = make_response(error_response(status, code, str(exc)))
        if isinstance(exc, RateLimited) and exc.retry_after_s:
            resp.headers["Retry-After"] = str(exc.retry_after_s)
        return resp

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        messages = {
            404: _("Page ou ressource introuvable."),
            405: _("Méthode non autorisée."),
        }
        resp = make_response(
            error_response(
                exc.code or 500, exc.name.replace(" ", ""), messages.get(exc.code, exc.description or exc.name)
            )
        )
        if exc.code == 405 and getattr(exc, "valid_methods", None):  # RFC 9110: a 405 lists the allowed methods
            resp.headers["Allow"] = ", ".join(exc.valid_methods)
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s", request.path)
        return error_response(500, "ServerError", _("Erreur interne du serveur."))
