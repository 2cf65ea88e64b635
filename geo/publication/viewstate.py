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
BASEMAPS = ("osm", "positron", "esri", "none")
DEFAULT_BASEMAP = "positron"
#: Map centre (lat, lon) and zoom showing the whole District.
DEFAULT_CENTER = (12.615, -7.985)
DEFAULT_ZOOM = 12


@dataclass(frozen=True)
class ViewState:
    """What a map shows: layers, choropleth indicator, focus, basemap, centre and zoom."""

    layers: tuple[str, ...] = DEFAULT_LAYERS
    indicator: str = "density"
    focus: str | None = None  # a commune or quartier P-code, or a facility id
    basemap: str = DEFAULT_BASEMAP
    center: tuple[float, float] | None = None
    zoom: int | None = None
    extra: dict[str, str] = field(default_factory=dict)  # e.g. indicator options (kind=…)

    def to_query(self) -> dict[str, str]:
        """Return the URL parameters that reproduce this view."""
        q = {"layers": ",".join(self.layers), "indicator": self.indicator, "basemap": self.basemap, **self.extra}
        if self.focus:
            q["focus"] = self.focus
        if self.center:
            q["center"] = f"{self.center[0]:.5f},{self.center[1]:.5f}"
        if self.zoom is not None:
            q["zoom"] = str(self.zoom)
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
    center = None
    if args.get("center"):
        try:
            lat, lon = (float(v) for v in args["center"].split(","))
        except ValueError:
            raise InvalidParameter("center", "expected center=lat,lon in degrees, e.g. center=12.63,-7.99") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise InvalidParameter("center", "latitude must be within ±90 and longitude within ±180")
        center = (lat, lon)
    zoom = None
    if args.get("zoom"):
        try:
            zoom = int(args["zoom"])
        except ValueError:
            raise InvalidParameter("zoom", "expected an integer from 8 to 19") from None
        if not 8 <= zoom <= 19:
            raise InvalidParameter("zoom", "expected an integer from 8 to 19")
    extra = {k: v for k, v in args.items() if k in ("kind",)}
    return ViewState(layers, indicator, args.get("focus") or None, basemap, center, zoom, extra)
