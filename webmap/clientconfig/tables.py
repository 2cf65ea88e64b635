"""What the table script (webmap/static/tables.js) shows: its few texts, translated for the request."""

from __future__ import annotations

from flask_babel import gettext as _

from webmap.clientconfig.map import language


def tables_config() -> dict[str, str]:
    """Return the language and the translated texts of the sortable, filterable tables."""
    return {
        "lang": language(),
        "all": _("Tous"),
        "sort": _("Trier"),
        "sep": _(" : "),
        "shown": _("{n} lignes sur {total}"),
    }
