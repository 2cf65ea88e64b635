"""Static maps for slides and print: a map view rendered to PNG or PDF with matplotlib.

No Flask here. ``prepare`` projects a store version's layers once;
``render`` draws one view of them; ``file_name`` names the result.
"""

from __future__ import annotations

from geo.render.cartography import Page
from geo.render.data import MapData, prepare
from geo.render.figure import render
from geo.render.styles import LAYER_STYLES, PRESETS, Preset

__all__ = ["LAYER_STYLES", "PRESETS", "MapData", "Page", "Preset", "file_name", "prepare", "render"]


def file_name(preset: str, page: Page, fmt: str, *, focus: str | None = None, lang: str = "fr") -> str:
    """Return a download name such as ``bamako-cscom-ml090103-A4-landscape.png`` (ASCII only)."""
    parts = ["bamako", preset]
    if focus:
        parts.append("".join(c if c.isascii() and c.isalnum() else "-" for c in focus.lower()).strip("-")[:40])
    parts.append(page.label)
    if lang != "fr":
        parts.append(lang)
    return "-".join(p for p in parts if p) + "." + fmt
