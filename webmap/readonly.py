"""Serve read-only when the data folder cannot be written (issue 13, finding 11).

A home on a read-only mount, or a copy its owner may not write to, still
serves the atlas and its planners' edits; every write (sign-in included: it
records the attempt) is refused with one clear 503 message instead of a
crash on the first database write.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, abort, current_app, request
from flask_babel import gettext as _

from geo.integrity import writable
from geo.planning.edits.pg import is_url

log = logging.getLogger(__name__)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def init_app(app: Flask) -> None:
    """Set ``ATLAS_READ_ONLY`` (default: whether the edits database's folder refuses a new file) and enforce it."""
    if app.config.get("ATLAS_READ_ONLY") is None:
        if is_url(app.config["ATLAS_EDITS_DB"]):  # PostgreSQL: the database decides who may write
            app.config["ATLAS_READ_ONLY"] = False
        else:
            folder = Path(app.config["ATLAS_EDITS_DB"]).parent
            app.config["ATLAS_READ_ONLY"] = folder.is_dir() and not writable(folder)
            if app.config["ATLAS_READ_ONLY"]:
                log.warning("%s is read-only: serving read-only, planners cannot sign in or save", folder)
    app.before_request(_refuse_writes)
    app.jinja_env.globals["atlas_read_only"] = lambda: current_app.config["ATLAS_READ_ONLY"]


def _refuse_writes() -> None:
    if current_app.config["ATLAS_READ_ONLY"] and request.method in WRITE_METHODS:
        abort(
            503,
            description=_(
                "L'atlas est en lecture seule : son dossier de données n'accepte pas d'écriture. "
                "Connexions et modifications sont désactivées."
            ),
        )
