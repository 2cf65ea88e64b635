"""What the static maps show and how: layer symbols, labels, presets, palette and credits.

Colours, shapes and the choropleth palette come from ``geo.publication.symbols``
and layer titles from ``geo.vocabulary`` (FR/EN pairs), so a printed map reads
like the web map. Interface text is marked with ``N_`` (one of pybabel's
default keywords) and translated by the caller's gettext at render time.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.publication.symbols import NO_DATA, PALETTE, SYMBOLS
from geo.publication.viewstate import DEFAULT_LAYERS


def N_(text: str) -> str:  # noqa: N802 - the gettext "mark only" convention
    """Mark ``text`` for translation without translating it."""
    return text


#: Web map shape (geo.publication.symbols.SHAPES) → matplotlib marker.
MARKERS = {
    "circle": "o",
    "square": "s",
    "diamond": "D",
    "triangle": "^",
    "triangle_down": "v",
    "star": "*",
    "cross": "P",
    "hexagon": "h",
    "ring": "o",
    "x": "X",
}


@dataclass(frozen=True)
class LayerStyle:
    """How one facility layer of ``geo.publication.viewstate.FACILITY_LAYERS`` is printed.

    ``size_pt`` is the marker diameter in points on an A4 page; ``edge`` the
    outline colour (dark for light fills so they stand out on pale quartiers).
    """

    color: str
    marker: str
    size_pt: float
    edge: str = "white"
    zorder: int = 8


def _style(key: str, size_pt: float, *, edge: str = "white", zorder: int = 8) -> LayerStyle:
    symbol = SYMBOLS[key]
    return LayerStyle(symbol.color, MARKERS[symbol.shape], size_pt, edge, zorder)


#: Facility layer key → print style (titles in geo.vocabulary.MAP_LAYERS). Dense layers get small markers
#: and sit below the sparse ones.
LAYER_STYLES: dict[str, LayerStyle] = {
    "cscom": _style("cscom", 6.5, zorder=10),
    "hospitals": _style("hospitals", 8.5, edge="#333333", zorder=11),
    "claec": _style("claec", 6.0, zorder=10),
    "kindergartens": _style("kindergartens", 4.8, edge="#333333", zorder=7),
    "schools": _style("schools", 3.6, edge="#555555", zorder=6),
    "sports": _style("sports", 6.5, zorder=9),
    "other_health": _style("other_health", 4.2, edge="#555555", zorder=7),
    "waste": _style("waste", 6.5, zorder=8),
    "qa": _style("qa", 9.0, edge="#000000", zorder=12),
}
#: Choropleth fills, light to dark, and the fill of quartiers without a value (shared with the web map).
CHOROPLETH_COLORS = PALETTE
NO_DATA_COLOR = NO_DATA
#: Outside the District (no basemap tiles are drawn). Neutral rather than water blue: the COD-AB
#: quartiers tile the District without a gap along the Niger, and the surroundings are land.
BACKGROUND_COLOR = "#eef1f4"
COMMUNE_EDGE = "#3a3a3a"
QUARTIER_EDGE = "#ffffff"
TEXT_COLOR = "#222222"
MUTED_TEXT = "#555555"
FONT_FAMILY = "DejaVu Sans"
#: The gid of every scatter of point symbols: names are placed off them.
MARKER_GID = "markers"
#: Opacity of the facilities left out of analyses (outside the District), as ``.fac-outside`` on the web map.
OUTSIDE_ALPHA = 0.45


@dataclass(frozen=True)
class Preset:
    """A named static map: its title and default layers (None: taken from the view)."""

    title: str | None
    layers: tuple[str, ...] | None


#: ``/maps/<name>.png|pdf`` names. ``view`` takes everything from the URL parameters.
PRESETS: dict[str, Preset] = {
    "view": Preset(None, None),
    "district": Preset(None, DEFAULT_LAYERS),  # title from the layers and the indicator
    "cscom": Preset(N_("Centres de santé communautaires (CSCOM)"), ("cscom",)),
    "claec": Preset(N_("Centres de lecture pour enfants (CLAEC)"), ("claec",)),
    "sports": Preset(N_("Terrains et plateaux sportifs"), ("sports",)),
    # quartiers by share covered and the scenario's points: drawn by webmap.views.coverage (/maps/coverage.png|pdf)
    "coverage": Preset(N_("Couverture"), ()),
}
