"""How the maps look: facility symbols, choropleth palette, basemaps. Data only, shared by every map.

Symbol colours are the Okabe–Ito palette (distinguishable with the common
colour-vision deficiencies) and every layer also has its own *shape*, so no
layer is told apart by colour alone. The choropleth palette is a warm neutral
ramp shared with the printed maps.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from geo.text import COMMUNE_NUMERALS
from geo.vocabulary import MAP_LAYERS


@dataclass(frozen=True)
class Symbol:
    """A facility layer's marker: fill colour, shape, size in CSS pixels, clustering."""

    color: str
    shape: str  # a key of SHAPES
    size: int = 16
    cluster: bool = False  # group nearby markers (dense layers)


#: Marker shapes as SVG drawing instructions on a 20×20 box (drawn by the client).
SHAPES: dict[str, str] = {
    "circle": "M10 3a7 7 0 1 0 0.01 0z",
    "square": "M4 4h12v12H4z",
    "diamond": "M10 2l8 8-8 8-8-8z",
    "triangle": "M10 2l8 15H2z",
    "triangle_down": "M2 3h16l-8 15z",
    "star": "M10 1.5l2.5 5.6 6 .6-4.5 4 1.3 6-5.3-3.1-5.3 3.1 1.3-6-4.5-4 6-.6z",
    "cross": "M7 2h6v5h5v6h-5v5H7v-5H2V7h5z",
    "hexagon": "M5.5 2.5h9l4.5 7.5-4.5 7.5h-9L1 10z",
    "ring": "M10 2.5a7.5 7.5 0 1 0 .01 0z",
    "x": "M3.5 6.3l2.8-2.8 3.7 3.7 3.7-3.7 2.8 2.8-3.7 3.7 3.7 3.7-2.8 2.8-3.7-3.7-3.7 3.7-2.8-2.8 3.7-3.7z",
}

#: Facility layer key (geo.vocabulary.MAP_LAYERS) → symbol. Colours and shapes follow the
#: printed maps (geo.render.styles), so a downloaded PNG reads like the web map.
SYMBOLS: dict[str, Symbol] = {
    "cscom": Symbol("#D55E00", "circle", 18),
    "hospitals": Symbol("#CC79A7", "cross", 20),
    "claec": Symbol("#0072B2", "diamond", 18),
    "kindergartens": Symbol("#56B4E9", "triangle_down", 14),
    "schools": Symbol("#F0E442", "circle", 12, cluster=True),
    "sports": Symbol("#009E73", "triangle", 17),
    "other_health": Symbol("#E69F00", "hexagon", 12, cluster=True),
    "waste": Symbol("#000000", "x", 14),
    "qa": Symbol("none", "ring", 20, cluster=True),
}
assert set(SYMBOLS) == set(MAP_LAYERS), "every map layer needs a symbol"

#: Choropleth classes, light to dark: the warm neutral ramp of the printed maps, on which every
#: Okabe–Ito marker colour stays readable (fewer classes use the first ones).
PALETTE = ("#f6f3ec", "#e4dccb", "#cbbd9f", "#a99675", "#7f6d52")
#: Fill of quartiers without a value.
NO_DATA = "#d9d9d9"
#: Map background when no basemap is shown: light blue, so the Niger (the gap between quartiers) reads as water.
WATER = "#cfe3f1"
OUTLINE = {"quartier": "#4d4d4d", "commune": "#1a1a1a"}
#: The atlas's own basemap: land around the District, the Niger as a band along the limit between the
#: left-bank communes (I–IV) and the right-bank ones (V, VI) — the COD-AB limits meet in mid-river.
#: ``width_m`` is the band's width on the ground (the river is about 1 km wide in Bamako, islands included).
CONTEXT = {
    "land": "#ecebe6",
    "water": "#6fa8d6",
    "width_m": 450,
    "banks": (
        tuple(COMMUNE_NUMERALS[n] for n in ("I", "II", "III", "IV")),
        tuple(COMMUNE_NUMERALS[n] for n in ("V", "VI")),
    ),
}


@dataclass(frozen=True)
class Basemap:
    """A tiled basemap (``url`` empty for none)."""

    key: str
    url: str
    attribution: str
    max_zoom: int = 19
    subdomains: str = "abc"


#: Basemap key (geo.publication.viewstate.BASEMAPS) → tiles. Only loaded when the user picks one.
BASEMAPS: dict[str, Basemap] = {
    "atlas": Basemap("atlas", "", ""),  # vector, drawn by the page from the map data it already has
    "osm": Basemap(
        "osm",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
    ),  # fmt: skip
    "positron": Basemap(
        "positron",
        "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
        '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>, © <a href="https://carto.com/attributions">CARTO</a>',
        max_zoom=20,
        subdomains="abcd",
    ),
    "esri": Basemap(
        "esri",
        "https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/MapServer/tile/{z}/{y}/{x}",
        "Imagery © Esri, Maxar, Earthstar Geographics",
        max_zoom=19,
    ),
    "none": Basemap("none", "", ""),
}


def symbols_json() -> dict[str, dict]:
    """Return the symbols as plain dicts, with each shape's SVG path."""
    return {key: {**asdict(s), "path": SHAPES[s.shape]} for key, s in SYMBOLS.items()}
