"""Validation of planner input: every problem raises InvalidParameter with a field and a stable code."""

from __future__ import annotations

import pytest
from shapely.geometry import Point

from geo.errors import InvalidParameter
from geo.planning.edits.validate import (
    CREATE_FIELDS,
    EDITABLE_FIELDS,
    District,
    clean_fields,
    clean_lonlat,
    clean_reason,
)
from tests.geo.edits.conftest import utm_lonlat


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"name": "X"}, "kind", "kind_required"),
        ({"kind": "spaceport", "name": "X"}, "kind", "unknown_kind"),
        ({"kind": "cscom"}, "name", "name_required"),
        ({"kind": "cscom", "name": "   "}, "name", "name_required"),
        ({"kind": "cscom", "name": "x" * 201}, "name", "name_too_long"),
        ({"kind": "cscom", "name": "a\x00b"}, "name", "control_characters"),
        ({"kind": "cscom", "name": 12}, "name", "not_text"),
        ({"kind": "cscom", "name": "X", "location_precision": "street"}, "location_precision", "unknown_precision"),
        ({"kind": "cscom", "name": "X", "operator_type": "mafia"}, "operator_type", "unknown_value"),
        ({"kind": "cscom", "name": "X", "beds": -1}, "beds", "negative"),
        ({"kind": "cscom", "name": "X", "beds": "douze"}, "beds", "not_a_number"),
        ({"kind": "cscom", "name": "X", "beds": 2.5}, "beds", "not_integer"),
        ({"kind": "cscom", "name": "X", "beds": float("inf")}, "beds", "not_a_number"),
        ({"kind": "cscom", "name": "X", "beds": True}, "beds", "not_a_number"),
        ({"kind": "cscom", "name": "X", "nurses": 99_999}, "nurses", "too_large"),
        ({"kind": "cscom", "name": "X", "note": "n" * 2001}, "note", "text_too_long"),
        ({"kind": "cscom", "name": "X", "id": "sante-0001"}, "id", "unknown_field"),
        ({"kind": "cscom", "name": "X", "join_status": "inside"}, "join_status", "unknown_field"),
    ],
)
def test_bad_fields_raise_with_field_and_code(fields, field, code):
    with pytest.raises(InvalidParameter) as info:
        clean_fields(fields, allowed=CREATE_FIELDS, required=True)
    assert (info.value.parameter, info.value.code) == (field, code)


def test_fields_are_cleaned_but_never_escaped():
    name = '<script>alert(1)</script> & "Kanu"'
    clean = clean_fields(
        {"kind": "cscom", "name": f"  {name} ", "beds": "12", "doctors": 3.0, "nurses": "", "note": "l1\nl2"},
        allowed=CREATE_FIELDS,
        required=True,
    )
    assert clean == {"kind": "cscom", "name": name, "beds": 12, "doctors": 3, "nurses": None, "note": "l1\nl2"}


def test_update_fields_are_partial_and_cannot_touch_sources():
    assert clean_fields({"beds": 4}, allowed=EDITABLE_FIELDS, required=False) == {"beds": 4}
    with pytest.raises(InvalidParameter) as info:
        clean_fields({"sources": "x"}, allowed=EDITABLE_FIELDS, required=False)
    assert info.value.code == "unknown_field"


def test_invalid_parameter_keeps_its_old_signature():
    exc = InvalidParameter("radius_m", "must be positive")
    assert (exc.parameter, exc.message, exc.code, str(exc)) == (
        "radius_m",
        "must be positive",
        "invalid",
        "radius_m: must be positive",
    )


@pytest.mark.parametrize("value", [None, "12,5", (1,), ("a", "b"), (200.0, 12.0), (-8.0, 91.0), (float("nan"), 1.0)])
def test_bad_coordinates(value):
    with pytest.raises(InvalidParameter) as info:
        clean_lonlat(value)
    assert info.value.code == "bad_coordinates"


def test_reason_codes():
    assert clean_reason("  closed ", required=True) == "closed"
    for value, code in (("", "reason_required"), ("r" * 501, "reason_too_long")):
        with pytest.raises(InvalidParameter) as info:
            clean_reason(value, required=True)
        assert info.value.code == code


def test_district_inside_outside_confirmed_and_swapped(layers):
    district = District.from_quartiers(layers["quartiers"])
    lon, lat = utm_lonlat(1500, 500)
    assert district.check(lon, lat, confirm_outside=False) is True
    edge = utm_lonlat(1000, 500)  # on the shared edge of two quartiers: inside
    assert district.check(*edge, confirm_outside=False) is True
    far = utm_lonlat(10_000, 500)
    with pytest.raises(InvalidParameter) as info:
        district.check(*far, confirm_outside=False)
    assert (info.value.parameter, info.value.code) == ("lonlat", "outside_district")
    assert district.check(*far, confirm_outside=True) is False
    with pytest.raises(InvalidParameter) as info:
        District(area=district.area, quartiers=district.quartiers).check(lat, lon, confirm_outside=True)
    assert info.value.code == "swapped_coordinates"


def test_quartier_point_is_inside_its_quartier(layers):
    district = District.from_quartiers(layers["quartiers"])
    lon, lat, names = district.quartier_point("ML090102001")
    polygon = layers["quartiers"].set_index("pcode").geometry["ML090102001"]
    assert polygon.contains(Point(lon, lat))
    assert names == {"quartier_declared": "Dar Salam", "commune_declared": "Commune II"}
    with pytest.raises(InvalidParameter) as info:
        district.quartier_point("ML099999999")
    assert info.value.code == "unknown_quartier"
