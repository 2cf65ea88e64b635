"""DMS parsing: every spelling of the DNACPN sheet, typographic variants, swaps and errors."""

from __future__ import annotations

import re

import pytest

from geo.errors import InvalidParameter
from geo.pipeline.ingest.dms import LatLon, parse_dms, parse_dms_axis, parse_lat_lon

#: One real value of each of the 18 distinct shapes (digits → 9) of the sheet's
#: Latitudes/Longitudes columns, with the file's own point coordinate for that row.
REAL_SPELLINGS = [
    ("12°40'7.212\"N", 12.66867),  # 99°99'9.999"N
    ("7°57'14.123\"W", -7.953923055555555),  # 9°99'99.999"W
    ("7° 55' 9.818\" W", -7.919393888888889),  # spaces between every part
    ("12°41'22.488\"N", 12.68958),  # 99°99'99.999"N
    ("7°57'2.045\"W", -7.950568055555555),  # bare one-digit seconds
    ("12°39'46.57\"N", 12.662936111111112),  # two decimals
    ("12°38'28.3\"N ", 12.641194444444444),  # one decimal, trailing space
    ("7°59'24.6\"W", -7.990166666666667),  # 9°99'99.9"W
    ("7°58'7.19\"W", -7.968663888888889),  # 9°99'9.99"W
    ("12°38'26.4\"N", 12.640666666666666),  # 99°99'99.9"N
    (" 7°59'11.9\"W", -7.986638888888889),  # leading space
    ("8°1'56.802\"W", -8.032445),  # one-digit minutes
    ("12°38'44.88\"N ", 12.6458),  # two decimals, trailing space
    ("12°38'2.67\"N", 12.634075),  # 99°99'9.99"N
    ("7°59'41.86\"W", -7.994961111111111),  # 9°99'99.99"W
    ("8°2'0.28\"W", -8.03341111111111),  # 9°9'9.99"W
    ("8°1'9.185\"W", -8.019218055555555),  # 9°9'9.999"W
    ("12°36'7.6\"N", 12.60211111111111),  # 99°99'9.9"N
    # Zero-padded minutes and seconds share the shapes above but are worth naming.
    ("8°02'36.4\"W", -(8 + 2 / 60 + 36.4 / 3600)),
    ("12°34'08.0\"N ", 12 + 34 / 60 + 8 / 3600),
    ("7°59'04.0\"W", -(7 + 59 / 60 + 4 / 3600)),
]


@pytest.mark.parametrize(("text", "expected"), REAL_SPELLINGS)
def test_every_real_spelling(text, expected):
    assert parse_dms(text) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12º30′15″N", 12.504166666666666),  # typographic degree, prime, double prime
        ("12°30'15''N", 12.504166666666666),  # two apostrophes for seconds
        ("12°30’15”N", 12.504166666666666),  # curly quotes
        ("12°30'15,5\"N", 12 + 30 / 60 + 15.5 / 3600),  # decimal comma
        ("N 12°30'15\"", 12.504166666666666),  # hemisphere first
        ("n12°30'15\"", 12.504166666666666),  # lower case
        ("12°30'N", 12.5),  # degrees and minutes only
        ("12°30.5'N", 12 + 30.5 / 60),  # decimal minutes
        ("12.5°N", 12.5),  # decimal degrees with a letter
        ("12°30'15\"S", -12.504166666666666),
        ("7°0'0\"E", 7.0),
        ("7°0'0\"W", -7.0),
        ("12°30'15\"", 12.504166666666666),  # no letter: positive
    ],
)
def test_variants(text, expected):
    assert parse_dms(text) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("text", "axis"),
    [("12°30'N", "lat"), ("12°30'S", "lat"), ("7°30'E", "lon"), ("7°30'W", "lon"), ("7°30'", None)],
)
def test_axis_from_letter(text, axis):
    assert parse_dms_axis(text).axis == axis


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "12 40 7.2 N",  # no symbols
        "12°60'0\"N",  # minutes ≥ 60
        "12°30'60\"N",  # seconds ≥ 60
        "12°30'75.5\"N",
        "95°0'0\"N",  # latitude above 90
        "181°0'0\"E",  # longitude above 180
        "N 12°30'0\"S",  # two letters
        "12.5°30'N",  # decimals before the last part
        "12°30.5'15\"N",
        "-12°30'N",  # a sign and a letter
        "12°30'15\"X",
    ],
)
def test_unparseable_text_names_the_value(text):
    with pytest.raises(InvalidParameter, match=re.escape(repr(text))) as info:
        parse_dms(text)
    assert info.value.parameter == "dms"


@pytest.mark.parametrize("value", [None, 12.5, float("nan")])
def test_non_text_is_refused(value):
    with pytest.raises(InvalidParameter, match="no coordinate text"):
        parse_dms(value)


def test_lat_lon_in_order():
    assert parse_lat_lon("12°40'7.212\"N", "7°57'14.123\"W") == LatLon(
        pytest.approx(12.66867), pytest.approx(-7.953923055555555), False
    )


@pytest.mark.parametrize(
    ("lat_text", "lon_text"),
    [
        ("7°57'14.123\"W", "12°40'7.212\"N"),  # both letters say swapped
        ("7°57'14.123\"W", "12°40'7.212\""),  # the longitude letter alone says so
        ("7°57'14.123\"", "12°40'7.212\"N"),  # the latitude letter alone says so
    ],
)
def test_swapped_texts_are_swapped_back(lat_text, lon_text):
    lat, lon, swapped = parse_lat_lon(lat_text, lon_text)
    assert swapped
    assert lat == pytest.approx(12.66867)
    assert lon == pytest.approx(-7.953923055555555 if "W" in lat_text else 7.953923055555555)


def test_without_letters_the_order_is_trusted():
    assert parse_lat_lon("12°30'", "7°30'") == LatLon(12.5, 7.5, False)


@pytest.mark.parametrize(("lat_text", "lon_text"), [("12°N", "13°S"), ("7°W", "8°E")])
def test_same_axis_twice_is_refused(lat_text, lon_text):
    with pytest.raises(InvalidParameter, match="both name a") as info:
        parse_lat_lon(lat_text, lon_text)
    assert info.value.parameter == "lat_lon"


def test_latitude_above_90_without_letters_is_refused():
    with pytest.raises(InvalidParameter, match="above 90"):
        parse_lat_lon("120°0'", "12°0'")
