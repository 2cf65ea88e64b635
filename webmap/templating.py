"""What every template may call: asset URLs, the URL in another language, numbers, labels, planners' extras."""

from __future__ import annotations

import math
from datetime import date

from flask import Flask, request, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _

from geo import vocabulary
from geo.analysis.population import round_people
from geo.publication import phrases
from webmap import assets
from webmap.clientconfig.edit import editor_config
from webmap.clientconfig.map import language
from webmap.clientconfig.notes import atlas_notes
from webmap.clientconfig.tables import tables_config
from webmap.views.history import facility_history


def lang_url(code: str) -> str:
    """Return the current URL in language ``code`` (same view, same parameters)."""
    args = {k: v for k, v in request.args.items() if k != "lang"}
    return url_for(request.endpoint or "pages.index", **(request.view_args or {}), **args, lang=code)


def number(value: float | int | None, decimals: int = 0) -> str:
    """Format a number for the request's language (thousands separators; ``decimals`` places)."""
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern)


def people(value: float | int | None) -> str:
    """Format a number of people rounded to two significant digits, for the request's language."""
    if value is None:
        return "—"
    return number(round_people(float(value)))


def population(value: float | int | None, low: float | int | None = None, high: float | int | None = None,
               *, unit: bool = True) -> str:  # fmt: skip
    """Return an estimate with its interval, rounded to what it bears: « ~25 000 hab. (15 000–40 000) ».

    Without both bounds the figure is given whole (« 12 345 hab. »); bounds that round alike are rounded
    outwards (« ~970 000 hab. (960 000–980 000) »); ``unit`` adds « hab. » (« inhabitants »).
    The script's twin is ``peopleRange`` in webmap/static/lib/shared.js.
    """
    if value is None:
        return "—"
    tail = " " + _("hab.") if unit else ""
    if low is None or high is None:
        return number(value) + tail
    if people(low) != people(high):
        return f"~{people(value)}{tail} ({people(low)}–{people(high)})"
    # Bounds that round alike (Commune V: 965 059–973 689) are rounded outwards at the estimate's precision,
    # as the printed maps do (geo.render.figure.population_text): « (960 000–980 000) », never « (a–a) ».
    step = 10 ** max(0, math.floor(math.log10(max(abs(value), 1))) - 1)
    below, above = math.floor(low / step) * step, math.ceil(high / step) * step
    if below == above:
        return f"~{people(value)}{tail}"
    return f"~{people(value)}{tail} ({number(below)}–{number(above)})"


def value_label(column: str, value: object) -> str:
    """Return a controlled value (``operator_type``, ``status``, a boolean…) in the request's language."""
    return vocabulary.value_label(column, value, language())


def note_text(text: object, french: object = None) -> str:
    """Return a note written by the build (or row references) in the request's language (geo.publication.phrases).

    ``french`` is the note's own French text (a facility's ``note_fr``), shown instead on French pages.
    """
    return phrases.note_text(text, french if isinstance(french, str) else None, language())


def long_date(text: object) -> str:
    """Return an ISO date (``2026-12-04``) as the request's language writes it (« 4 décembre 2026 »); else as is."""
    try:
        return format_date(date.fromisoformat(str(text)[:10]), format="long")
    except ValueError:
        return "—" if text in (None, "") else str(text)


def opening_hours(text: object) -> str:
    """Return a facility's opening hours in the request's language (« lun.–ven. 08:00–17:00 »)."""
    return phrases.opening_hours(text, language())


def init_app(app: Flask) -> None:
    """Register the template globals and filters."""
    app.add_template_global(assets.asset_url, "asset_url")
    app.add_template_global(assets.module_preloads, "module_preloads")
    app.add_template_global(assets.inline_style, "inline_style")
    app.add_template_global(lang_url, "lang_url")
    app.add_template_global(facility_history, "facility_history")
    app.add_template_global(editor_config, "editor_config")
    app.add_template_global(atlas_notes, "atlas_notes")
    app.add_template_global(tables_config, "tables_config")
    app.add_template_global(value_label, "value_label")
    app.add_template_filter(note_text, "note_text")
    app.add_template_filter(opening_hours, "hours")
    app.add_template_filter(long_date, "long_date")
    app.add_template_filter(number, "num")
    app.add_template_filter(people, "people")
    app.add_template_filter(population, "population")
