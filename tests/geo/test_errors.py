"""Not-found errors: one base, a specific class and code per thing that can be missing."""

from __future__ import annotations

import pytest

from geo import errors

SPECIFIC = (
    errors.LayerNotFound,
    errors.FeatureNotFound,
    errors.FacilityNotFound,
    errors.UnitNotFound,
    errors.FormatNotFound,
    errors.MapNotFound,
    errors.UserNotFound,
    errors.TokenNotFound,
    errors.ChangeNotFound,
    errors.ImportNotFound,
)


@pytest.mark.parametrize("cls", SPECIFIC)
def test_each_not_found_is_a_not_found_with_its_own_code(cls):
    exc = cls("no such thing")
    assert isinstance(exc, errors.NotFound) and isinstance(exc, errors.AtlasError)
    assert str(exc) == "no such thing"
    assert cls.code.endswith("_not_found") and cls.code != errors.NotFound.code


def test_codes_are_distinct_and_only_layers_are_layer_not_found():
    assert len({cls.code for cls in SPECIFIC}) == len(SPECIFIC)
    assert [cls for cls in SPECIFIC if issubclass(cls, errors.LayerNotFound)] == [errors.LayerNotFound]
