"""The app's one ``geo.settings.Settings``, resolved once by ``create_app`` and read by views."""

from __future__ import annotations

from flask import Flask, current_app

from geo.analysis.coverage import default_norms, default_specs
from geo.settings import Settings, resolve

EXTENSION = "atlas_settings"


def init_app(app: Flask) -> Settings:
    """Resolve the settings once (defaults → ``BAMAKO_ATLAS_*`` → config ``ATLAS_SETTINGS``) and keep them.

    ``ATLAS_SETTINGS`` is a mapping of overrides by name, or a resolved ``Settings`` (the command line's).

    The coverage thresholds and norms are parsed here too, so a malformed
    value stops the start with a message naming the variable.
    """
    settings = resolve(app.config.get("ATLAS_SETTINGS"))
    default_specs(settings)
    default_norms(settings)
    app.extensions[EXTENSION] = settings
    return settings


def settings_of(app: Flask) -> Settings:
    """Return the settings ``init_app`` resolved for ``app``."""
    return app.extensions[EXTENSION]


def current_settings() -> Settings:
    """Return the settings of the current app."""
    return settings_of(current_app)
