"""Page sizes, extents, scale bars and grid north for the static maps."""

from __future__ import annotations

import math

import pytest

from geo.errors import InvalidParameter
from geo.render.cartography import (
    MAX_DPI,
    Page,
    fit_extent,
    grid_north_angle_deg,
    parse_page,
    scale_bar,
    zoom_extent,
)


@pytest.mark.parametrize(
    ("size", "dpi", "label", "pixels"),
    [
        (None, None, "A4-landscape", (1754, 1240)),
        ("A4", "150", "A4-landscape", (1754, 1240)),
        ("a4-portrait", "100", "A4-portrait", (827, 1169)),
        ("A3-landscape", "72", "A3-landscape", (1191, 842)),
        ("A3-portrait", "300", "A3-portrait", (3508, 4961)),
        ("1600x900", None, "1600x900", (1600, 900)),
        ("1600x900", "300", "1600x900", (1600, 900)),
    ],
)
def test_parse_page(size, dpi, label, pixels):
    page = parse_page(size, dpi)
    assert isinstance(page, Page)
    assert (page.label, page.pixels) == (label, pixels)


def test_paper_sizes_in_inches():
    page = parse_page("A4-landscape", None)
    assert page.width_in * 72 == pytest.approx(841.89, abs=0.01)
    assert page.height_in * 72 == pytest.approx(595.28, abs=0.01)
    assert page.landscape
    pixels = parse_page("1600x900", "200")
    assert (pixels.width_in, pixels.height_in, pixels.dpi) == (8.0, 4.5, 200)


@pytest.mark.parametrize(
    ("size", "dpi", "parameter", "fragment"),
    [
        ("A5", None, "size", "A4 or A3"),
        ("A4-sideways", None, "size", "-landscape or -portrait"),
        ("1600*900", None, "size", "WIDTHxHEIGHT"),
        ("7000x900", None, "size", "outside 300–6000"),
        ("100x100", None, "size", "outside 300–6000"),
        (None, "abc", "dpi", "not an integer"),
        (None, "12.5", "dpi", "not an integer"),
        (None, "301", "dpi", f"maximum of {MAX_DPI}"),
        (None, "10", "dpi", "minimum of 50"),
    ],
)
def test_parse_page_refuses(size, dpi, parameter, fragment):
    with pytest.raises(InvalidParameter) as err:
        parse_page(size, dpi)
    assert err.value.parameter == parameter
    assert fragment in err.value.message


@pytest.mark.parametrize(
    ("span_m", "length_m", "unit", "segments"),
    [(22_000, 5000, "km", 5), (8_000, 2000, "km", 4), (4_100, 1000, "km", 4), (3_000, 500, "m", 5), (900, 200, "m", 4)],
)
def test_scale_bar_is_a_round_length(span_m, length_m, unit, segments):
    bar = scale_bar(span_m)
    assert (bar.length_m, bar.unit, len(bar.ticks_m) - 1) == (length_m, unit, segments)
    assert bar.ticks_m[0] == 0 and bar.ticks_m[-1] == length_m
    assert bar.length_m <= span_m * 0.25


def test_scale_bar_tick_values_in_unit():
    assert scale_bar(8_000).tick_values() == (0, 0.5, 1, 1.5, 2)
    with pytest.raises(InvalidParameter):
        scale_bar(0)


def test_fit_extent_keeps_bounds_and_takes_the_aspect():
    x0, y0, x1, y1 = fit_extent((0, 0, 1000, 2000), 1.5, pad=0.05)
    assert (x1 - x0) / (y1 - y0) == pytest.approx(1.5)
    assert x0 <= 0 and y0 <= -100 + 1e-9 and x1 >= 1000 and y1 >= 2100 - 1e-9
    assert (x0 + x1) / 2 == pytest.approx(500) and (y0 + y1) / 2 == pytest.approx(1000)


def test_fit_extent_gives_a_point_the_minimum_span():
    x0, y0, x1, y1 = fit_extent((10, 20, 10, 20), 1.0, min_span=2500)
    assert (x1 - x0, y1 - y0) == pytest.approx((2500, 2500))


def test_zoom_extent_uses_web_mercator_ground_resolution():
    # zoom 12 on the equator: 38.22 m per CSS pixel; 10 in × 96 px = 960 px.
    x0, y0, x1, y1 = zoom_extent((0, 0), 12, latitude=0.0, width_in=10, height_in=5)
    assert x1 - x0 == pytest.approx(960 * 38.2185, rel=1e-4)
    assert (x1 - x0) / (y1 - y0) == pytest.approx(2)
    wide = zoom_extent((0, 0), 12, latitude=60.0, width_in=10, height_in=5)
    assert wide[2] - wide[0] == pytest.approx((x1 - x0) * math.cos(math.radians(60)))


def test_grid_north_angle():
    assert grid_north_angle_deg(-9.0, 12.6) == pytest.approx(0, abs=1e-6)  # central meridian of zone 29
    bamako = grid_north_angle_deg(-8.0, 12.6)
    assert bamako == pytest.approx(
        -math.degrees(math.atan(math.tan(math.radians(1)) * math.sin(math.radians(12.6)))), abs=0.01
    )
    assert grid_north_angle_deg(-10.0, 12.6) > 0
