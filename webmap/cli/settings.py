"""The command's one ``geo.settings.Settings``, resolved once by ``bamako-atlas`` (``main``)."""

from __future__ import annotations

import click

from geo.settings import Settings


def current_settings() -> Settings:
    """Return the settings of the running command (resolved on first use when a sub-command runs on its own)."""
    ctx = click.get_current_context()
    settings = ctx.find_object(Settings)
    if settings is None:
        settings = ctx.find_root().obj = Settings.resolve()
    return settings
