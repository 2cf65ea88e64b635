"""webmap.params: the one place where views parse requests."""

from __future__ import annotations

import pytest
from werkzeug.routing import RequestRedirect

from geo.errors import FormatNotFound, InvalidParameter
from geo.publication.viewstate import lon_first_center, parse_view
from webmap import params


@pytest.mark.parametrize("value", ["²", "1_000", " 5", "-1", "5.0", "0x10", "٣", "9" * 13])
def test_integers_are_ascii_digits_only(app, value):
    with app.test_request_context(f"/history?offset={value}"), pytest.raises(InvalidParameter) as info:
        params.integer("offset", 0, maximum=2**31)
    assert info.value.parameter == "offset"


def test_integer_range_and_default(app):
    with app.test_request_context("/x?limit=42&big=3000000000&empty="):
        assert params.integer("limit", 7, maximum=100) == 42
        assert params.integer("empty", 7, maximum=100) == 7 and params.integer("absent", 7, maximum=100) == 7
        with pytest.raises(InvalidParameter, match="between 0 and 2147483648"):
            params.integer("big", 0, maximum=2**31)


def test_split_format():
    assert params.split_format("ML090101", ("html", "json"), default="html") == ("ML090101", "html")
    assert params.split_format("ML090101.json", ("html", "json"), default="html") == ("ML090101", "json")
    with pytest.raises(FormatNotFound, match="available: html, json"):
        params.split_format("ML090101.xml", ("html", "json"), default="html")


def test_format_parameter_redirects_keeping_every_other_parameter(app):
    with app.test_request_context("/api/v1/coverage?kind=cscom&format=geojson&add=-7.9,12.6;-7.95,12.61"):
        with pytest.raises(RequestRedirect) as info:
            params.redirect_format_parameter("format", ("json", "csv", "geojson"), default="json")
    assert info.value.code == 308
    assert info.value.new_url == "/api/v1/coverage.geojson?kind=cscom&add=-7.9,12.6;-7.95,12.61"
    with app.test_request_context("/api/v1/coverage?kind=cscom"):
        assert params.redirect_format_parameter("format", ("json", "csv"), default="json") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.64,-7.99", "-7.99,12.64"),  # old lat,lon around Bamako
        (" 12.5 , -8.1", "-8.1,12.5"),
        ("-7.99,12.64", None),  # already lon,lat
        ("48.85,2.35", None),  # far from Bamako either way: left as asked
        ("north", None),
        ("1,2,3", None),
    ],
)
def test_old_lat_lon_centres_are_recognised_only_around_bamako(value, expected):
    assert lon_first_center(value) == expected


def test_center_is_lon_lat_in_the_view_state_and_its_url():
    view = parse_view({"center": "-7.99,12.64", "zoom": "14"})
    assert view.center == (-7.99, 12.64)
    assert view.to_query()["center"] == "-7.99000,12.64000"
    with pytest.raises(InvalidParameter, match="center=lon,lat"):
        parse_view({"center": "north"})


@pytest.mark.parametrize(
    ("value", "zoom", "written"), [("12", 12, "12"), ("11.75", 11.75, "11.75"), ("11.759", 11.76, "11.76")]
)
def test_zoom_may_be_fractional_and_integers_stay_integers(value, zoom, written):
    view = parse_view({"zoom": value})
    assert view.zoom == zoom and view.to_query()["zoom"] == written


@pytest.mark.parametrize("value", ["far", "nan", "inf", "7.99", "19.5"])
def test_zoom_out_of_range_names_the_parameter(value):
    with pytest.raises(InvalidParameter, match="number from 8 to 19") as info:
        parse_view({"zoom": value})
    assert info.value.parameter == "zoom"
