"""Print-map arithmetic: page sizes, map extents, scale bars and grid north.

Pure functions used by the static map renderer; nothing here draws. Map
coordinates are metres in a projected CRS (the atlas uses UTM zone 29N,
EPSG:32629), page sizes are inches.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

from pyproj import Transformer

from geo.errors import InvalidParameter
from geo.vocabulary import METRIC_CRS

MM_PER_INCH = 25.4
#: Paper sizes (short side, long side) in millimetres.
PAPER_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
DEFAULT_SIZE = "A4-landscape"
#: Slide sizes (width, height) in inches, as presentation software makes them, and their default resolution:
#: 1920×1080 and 1440×1080 pixels. Slides are read from afar: their text is larger (``SLIDE_TEXT_SCALE``).
SLIDES_IN: dict[str, tuple[float, float]] = {"slide-16x9": (40 / 3, 7.5), "slide-4x3": (10.0, 7.5)}
SLIDE_DPI = 144
SLIDE_TEXT_SCALE = 1.45
DEFAULT_DPI = 150
MIN_DPI, MAX_DPI = 50, 300
#: Smallest and largest pixel size of a side (below, the layout does not fit).
MIN_PX, MAX_PX = 300, 6000
SIZE_FORM = (
    "size=A4 or A3, optionally with -landscape or -portrait (e.g. size=A4-landscape, the default), "
    "slide-16x9 or slide-4x3 (1920×1080 or 1440×1080 pixels at the default dpi of 144), "
    f"or WIDTHxHEIGHT in pixels from {MIN_PX} to {MAX_PX} a side (e.g. size=1600x900)"
)
DPI_FORM = f"dpi=an integer from {MIN_DPI} to {MAX_DPI} (default {DEFAULT_DPI})"
_PAPER = re.compile(r"^(A[34])(?:-(landscape|portrait))?$", re.IGNORECASE)
_PIXELS = re.compile(r"^(\d{1,5})[x×](\d{1,5})$", re.IGNORECASE)
#: Ground metres per CSS pixel at zoom 0 on the equator in Web Mercator.
WEB_MERCATOR_M_PER_PX_Z0 = 2 * math.pi * 6378137.0 / 256
CSS_PX_PER_INCH = 96.0


@dataclass(frozen=True)
class Page:
    """The output page: canonical label, size in inches and raster resolution.

    ``pixels`` is the raster size (width, height) of a PNG of this page; for a
    size asked in pixels it is exactly that size.
    """

    label: str  # "A4-landscape", "A3-portrait", "slide-16x9" or "1600x900"
    width_in: float
    height_in: float
    dpi: int
    pixels: tuple[int, int]
    text_scale: float = 1.0  # larger text and symbols (slides)

    @property
    def landscape(self) -> bool:
        """Return True when the page is wider than tall (or square)."""
        return self.width_in >= self.height_in


def parse_page(size: str | None, dpi: str | None) -> Page:
    """Parse the ``size`` and ``dpi`` parameters of a static map.

    Parameters
    ----------
    size
        ``A4`` or ``A3`` with an optional ``-landscape`` (default) or
        ``-portrait`` suffix, ``slide-16x9`` or ``slide-4x3`` (13.33 × 7.5 or
        10 × 7.5 inches, larger text), or ``WIDTHxHEIGHT`` in pixels. None or
        empty means ``A4-landscape``.
    dpi
        Resolution in dots per inch, an integer from 50 to 300; None or empty
        means 150 (144 for slides). For a pixel size it sets the text scale, not the raster size.

    Raises
    ------
    InvalidParameter
        A malformed value, or one outside the limits, naming the parameter and
        the accepted form (limits are refused, not capped, so a slide never
        silently gets a different image than the URL says).
    """
    text = (size or DEFAULT_SIZE).strip()
    if text.lower() in SLIDES_IN:
        dots = _parse_dpi(dpi, default=SLIDE_DPI)
        w_in, h_in = SLIDES_IN[text.lower()]
        pixels = (round(w_in * dots), round(h_in * dots))
        _check_pixels(pixels, f"{text.lower()} at dpi={dots}")
        return Page(text.lower(), w_in, h_in, dots, pixels, SLIDE_TEXT_SCALE)
    dots = _parse_dpi(dpi)
    if m := _PAPER.match(text):
        paper, orientation = m.group(1).upper(), (m.group(2) or "landscape").lower()
        short_in, long_in = (v / MM_PER_INCH for v in PAPER_MM[paper])
        w_in, h_in = (long_in, short_in) if orientation == "landscape" else (short_in, long_in)
        pixels = (round(w_in * dots), round(h_in * dots))
        _check_pixels(pixels, f"{paper}-{orientation} at dpi={dots}")
        return Page(f"{paper}-{orientation}", w_in, h_in, dots, pixels)
    if m := _PIXELS.match(text):
        pixels = (int(m.group(1)), int(m.group(2)))
        _check_pixels(pixels, text)
        return Page(f"{pixels[0]}x{pixels[1]}", pixels[0] / dots, pixels[1] / dots, dots, pixels)
    raise InvalidParameter("size", f"{text!r} is not a size; expected {SIZE_FORM}")


def _parse_dpi(text: str | None, *, default: int = DEFAULT_DPI) -> int:
    if text is None or text.strip() == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidParameter("dpi", f"{text!r} is not an integer; expected {DPI_FORM}") from None
    if value > MAX_DPI:
        raise InvalidParameter("dpi", f"{value} is above the maximum of {MAX_DPI}; expected {DPI_FORM}")
    if value < MIN_DPI:
        raise InvalidParameter("dpi", f"{value} is below the minimum of {MIN_DPI}; expected {DPI_FORM}")
    return value


def _check_pixels(pixels: tuple[int, int], what: str) -> None:
    if max(pixels) > MAX_PX or min(pixels) < MIN_PX:
        raise InvalidParameter(
            "size",
            f"{what} gives {pixels[0]}×{pixels[1]} pixels, outside {MIN_PX}–{MAX_PX} a side; expected {SIZE_FORM}",
        )


def fit_extent(
    bounds: tuple[float, float, float, float], aspect: float, *, pad: float = 0.04, min_span: float = 0.0
) -> tuple[float, float, float, float]:
    """Return the smallest extent of ratio ``aspect`` that holds ``bounds`` plus a margin.

    Parameters
    ----------
    bounds
        ``(xmin, ymin, xmax, ymax)`` in projected metres.
    aspect
        Width / height of the map frame.
    pad
        Margin added on each side, as a fraction of the larger span.
    min_span
        Smallest width and height in metres (a single point gets this extent).
    """
    x0, y0, x1, y1 = bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    margin = pad * max(x1 - x0, y1 - y0, min_span)
    w = max(x1 - x0 + 2 * margin, min_span)
    h = max(y1 - y0 + 2 * margin, min_span)
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def zoom_extent(
    center: tuple[float, float], zoom: float, *, latitude: float, width_in: float, height_in: float
) -> tuple[float, float, float, float]:
    """Return the extent a web map at ``zoom`` would show in a frame of this size.

    The frame is measured in CSS pixels (96 per inch), and a Web Mercator pixel
    at ``latitude`` covers ``156543.03 × cos(latitude) / 2**zoom`` ground metres.

    Parameters
    ----------
    center
        ``(x, y)`` of the centre in projected metres.
    zoom
        Web map zoom level.
    latitude
        Latitude of the centre in degrees (sets the Web Mercator scale).
    width_in, height_in
        Size of the map frame on the page in inches.
    """
    m_per_px = WEB_MERCATOR_M_PER_PX_Z0 * math.cos(math.radians(latitude)) / 2**zoom
    half_w = width_in * CSS_PX_PER_INCH * m_per_px / 2
    half_h = height_in * CSS_PX_PER_INCH * m_per_px / 2
    return (center[0] - half_w, center[1] - half_h, center[0] + half_w, center[1] + half_h)


@dataclass(frozen=True)
class ScaleBar:
    """A scale bar: total length, tick positions and their labels' unit."""

    length_m: float
    ticks_m: tuple[float, ...]  # from 0 to length_m
    unit: str  # "m" or "km"

    def tick_values(self) -> tuple[float, ...]:
        """Return the tick positions in ``unit``."""
        return tuple(t / 1000 if self.unit == "km" else t for t in self.ticks_m)


def scale_bar(span_m: float, *, fraction: float = 0.25) -> ScaleBar:
    """Return a scale bar of a round length (1, 2 or 5 × 10ⁿ m) at most ``fraction`` of ``span_m``.

    Parameters
    ----------
    span_m
        Width of the map frame in ground metres (projected CRS).
    fraction
        Largest share of the frame the bar may take.
    """
    if not span_m > 0:
        raise InvalidParameter("span_m", f"expected a positive width in metres, got {span_m}")
    target = span_m * fraction
    exponent = math.floor(math.log10(target))
    length = max(m * 10**exponent for m in (1, 2, 5) if m * 10**exponent <= target)
    segments = {1: 4, 2: 4, 5: 5}[round(length / 10**exponent)]
    ticks = tuple(length * i / segments for i in range(segments + 1))
    return ScaleBar(length, ticks, "km" if length >= 1000 else "m")


@cache
def _to_metric(crs: str) -> Transformer:
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def grid_north_angle_deg(lon: float, lat: float, *, crs: str = METRIC_CRS) -> float:
    """Return the direction of true north in ``crs`` at a point, in degrees from grid north.

    Positive means true north points clockwise (east) of the map's vertical; in
    UTM that happens west of the central meridian in the northern hemisphere.
    Bamako (about 8° W, zone 29N with central meridian 9° W) gives about −0.2°.
    """
    transformer = _to_metric(crs)
    x0, y0 = transformer.transform(lon, lat)
    x1, y1 = transformer.transform(lon, lat + 0.01)
    return math.degrees(math.atan2(x1 - x0, y1 - y0))
