"""The map view state carried in URLs: shared by ``/``, ``/embed`` and ``/maps/<view>.png|pdf``.

Every parameter is optional; bad values raise InvalidParameter naming the
parameter and the accepted form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from geo.errors import InvalidParameter
from geo.vocabulary import FACILITY_LAYERS

DEFAULT_LAYERS = ("cscom", "hospitals", "claec", "sports")
BASEMAPS = ("atlas", "osm", "positron", "esri", "none")
#: The atlas's own vector basemap (drawn from the map data): the default view needs no other server.
DEFAULT_BASEMAP = "atlas"
#: Map centre (lon, lat in degrees) and zoom showing the whole District.
DEFAULT_CENTER = (-7.985, 12.615)
DEFAULT_ZOOM = 12
#: Around the District (lon −8.1…−7.8, lat 12.5…12.8) with half a degree to spare, as
#: (min lon, min lat, max lon, max lat): a ``center`` that only falls in it when swapped is an old lat,lon.
NEAR_BAMAKO = (-8.6, 12.0, -7.3, 13.3)


@dataclass(frozen=True)
class ViewState:
    """What a map shows: layers, choropleth indicator, focus, basemap, centre and zoom."""

    layers: tuple[str, ...] = DEFAULT_LAYERS
    indicator: str = "density"
    focus: str | None = None  # a commune or quartier P-code, or a facility id
    basemap: str = DEFAULT_BASEMAP
    center: tuple[float, float] | None = None  # (lon, lat) in degrees
    zoom: float | None = None  # web map zoom; fractional so a phone's first view fills the screen with the District
    extra: dict[str, str] = field(default_factory=dict)  # e.g. indicator options (kind=…)

    def to_query(self) -> dict[str, str]:
        """Return the URL parameters that reproduce this view."""
        q = {"layers": ",".join(self.layers), "indicator": self.indicator, "basemap": self.basemap, **self.extra}
        if self.focus:
            q["focus"] = self.focus
        if self.center:
            q["center"] = f"{self.center[0]:.5f},{self.center[1]:.5f}"  # lon,lat
        if self.zoom is not None:
            q["zoom"] = f"{self.zoom:g}"  # 12 stays « 12 »; 11.75 is written as is
        return q


def parse_view(args: Mapping[str, str], *, indicators: tuple[str, ...] = ("density",)) -> ViewState:
    """Build a ViewState from URL parameters, validating each one."""
    layers = DEFAULT_LAYERS
    if "layers" in args:
        layers = tuple(x for x in args["layers"].split(",") if x)
        unknown = [x for x in layers if x not in FACILITY_LAYERS]
        if unknown:
            raise InvalidParameter("layers", f"unknown layer {unknown[0]!r}; allowed: {', '.join(FACILITY_LAYERS)}")
    indicator = args.get("indicator", "density")
    if indicator not in indicators:
        raise InvalidParameter("indicator", f"unknown indicator {indicator!r}; allowed: {', '.join(indicators)}")
    basemap = args.get("basemap", DEFAULT_BASEMAP)
    if basemap not in BASEMAPS:
        raise InvalidParameter("basemap", f"unknown basemap {basemap!r}; allowed: {', '.join(BASEMAPS)}")
    center = _lon_lat(args["center"]) if args.get("center") else None
    zoom = None
    if args.get("zoom"):
        zoom = _zoom(args["zoom"])
    extra = {k: v for k, v in args.items() if k in ("kind",)}
    return ViewState(layers, indicator, args.get("focus") or None, basemap, center, zoom, extra)


def _zoom(value: str) -> float:
    """Return a zoom from 8 to 19 (integer or fractional, two decimals kept), or raise naming ``zoom``."""
    message = "expected a number from 8 to 19 (12, or 11.75 as the map writes it)"
    try:
        zoom = round(float(value), 2)
    except ValueError:
        raise InvalidParameter("zoom", message) from None
    if not 8 <= zoom <= 19:  # also false for nan
        raise InvalidParameter("zoom", message)
    return int(zoom) if zoom.is_integer() else zoom


def _lon_lat(value: str) -> tuple[float, float]:
    try:
        lon, lat = (float(v) for v in value.split(","))
    except ValueError:
        raise InvalidParameter("center", "expected center=lon,lat in degrees, e.g. center=-7.99,12.63") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidParameter("center", "longitude must be within ±180 and latitude within ±90 (center=lon,lat)")
    return lon, lat


def _near_bamako(lon: float, lat: float) -> bool:
    x0, y0, x1, y1 = NEAR_BAMAKO
    return x0 <= lon <= x1 and y0 <= lat <= y1


def lon_first_center(value: str) -> str | None:
    """Return ``value`` rewritten lon,lat when it is an old-style ``center=lat,lon``, else None.

    A pair is old-style when it lies around Bamako (:data:`NEAR_BAMAKO`) only
    once swapped; anything else (lon-first, malformed, far away) is left to
    :func:`parse_view` to accept or refuse.
    """
    parts = [v.strip() for v in value.split(",")]
    try:
        first, second = (float(v) for v in parts)
    except ValueError:
        return None
    if _near_bamako(second, first) and not _near_bamako(first, second):
        return f"{parts[1]},{parts[0]}"
    return None
