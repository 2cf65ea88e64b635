"""Scenarios: parsing, validation and before/after comparison."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Transformer

from geo.analysis.coverage import MAX_ADD, Scenario, access, compare, facility_points, population_grid, validate
from geo.analysis.coverage.scenario import COMPARED
from geo.errors import InvalidParameter
from tests.geo.coverage.synthetic import X0, Y0, facilities, strips

ROWS = [
    ("f1", "cscom", 500, 500, "exact", "ML090101001", "ML090101"),
    ("f2", "cscom", 2500, 1500, "quartier", "ML090101003", "ML090101"),
    ("k1", "claec", 1500, 1500, "exact", "ML090101002", "ML090101"),
]
TO_LONLAT = Transformer.from_crs("EPSG:32629", "EPSG:4326", always_xy=True)


def lonlat(dx: float, dy: float) -> tuple[float, float]:
    return TO_LONLAT.transform(X0 + dx, Y0 + dy)


@pytest.fixture
def square():
    fac = facilities(ROWS)
    return population_grid(strips(), fac, cell_m=1000), fac


def test_parse_reads_the_url_form_and_round_trips():
    s = Scenario.parse("-7.95,12.62; -8.0,12.6", "dnacpn-01, sante-0160,dnacpn-01")
    assert s.add == ((-7.95, 12.62), (-8.0, 12.6))
    assert s.remove == ("dnacpn-01", "sante-0160")
    assert Scenario.parse(**s.as_params()) == s
    assert s.as_params() == {"add": "-7.950000,12.620000;-8.000000,12.600000", "remove": "dnacpn-01,sante-0160"}
    assert Scenario.parse(None, "").is_empty and Scenario().as_params() == {}
    assert Scenario(add=[(-7.95, 12.62)], remove=["x"]) == Scenario.parse("-7.95,12.62", "x")
    assert Scenario(add=["-7.95,12.62"]).add == ((-7.95, 12.62),)


@pytest.mark.parametrize(
    "add",
    [
        "-7.95",
        "a,b",
        "-7.95,12.6,3",
        "nan,12",
        "200,12",
        "-7.9,95",
        [(1, 2, 3)],
        ";".join(["-7.9,12.6"] * (MAX_ADD + 1)),
    ],
)
def test_malformed_points_are_refused(add):
    with pytest.raises(InvalidParameter) as exc:
        Scenario.parse(add=add)
    assert exc.value.parameter == "add"


def test_bad_removals_are_refused():
    with pytest.raises(InvalidParameter) as exc:
        Scenario.parse(remove=[1, 2])
    assert exc.value.parameter == "remove"
    with pytest.raises(InvalidParameter) as exc:
        Scenario.parse(remove=",".join(f"id{i}" for i in range(201)))
    assert exc.value.parameter == "remove"


def test_validate_refuses_points_outside_the_district_and_unknown_ids(square):
    grid, fac = square
    with pytest.raises(InvalidParameter) as exc:
        validate(Scenario(add=[lonlat(1500, 1500), lonlat(-200, 1500)]), grid, fac, "cscom")
    assert exc.value.parameter == "add" and "outside" in exc.value.message
    with pytest.raises(InvalidParameter) as exc:
        validate(Scenario(remove=["k1"]), grid, fac, "cscom")  # a CLAEC, not a CSCOM
    assert exc.value.parameter == "remove" and "k1" in exc.value.message
    points = validate(Scenario(add=[lonlat(1500, 2500)], remove=["f2"]), grid, fac, "cscom")
    assert points.ids.tolist() == ["f1", "new-1"]


def test_compare_adding_a_facility(square):
    grid, fac = square
    out = compare(grid, fac, "cscom", Scenario(add=[lonlat(500, 2500)]), threshold_m=1000, unit="quartier")
    assert out["pcode"].tolist() == ["ML090101001", "ML090101002", "ML090101003"]
    for column in COMPARED:
        assert f"{column}_before" in out.columns and f"{column}_after" in out.columns
    np.testing.assert_allclose(out["pop_covered_before"], [2000, 4000, 9000])
    # the new one at (500, 2500) covers the west strip's last cell and (1500, 2500) in the middle
    np.testing.assert_allclose(out["pop_covered_after"], [3000, 6000, 9000])
    np.testing.assert_allclose(out["pop_covered_change"], [1000, 2000, 0])
    np.testing.assert_allclose(out["share_covered_change"], [1 / 3, 1 / 3, 0])
    assert out["facilities_after"].tolist() == [2, 0, 1]


def test_compare_removing_a_facility_at_district_level(square):
    grid, fac = square
    out = compare(grid, fac, "cscom", Scenario(remove=["f2"]), threshold_m=1000, unit="district")
    row = out.iloc[0]
    assert row["pop_covered_before"] == pytest.approx(15000)
    # only F1: (500,500), (500,1500), (1500,500)
    assert row["pop_covered_after"] == pytest.approx(1000 + 1000 + 2000)
    assert row["pop_depending_on_approximate_before"] == pytest.approx(11000)
    assert row["pop_depending_on_approximate_after"] == 0
    assert row["facilities_before"] == 2 and row["facilities_after"] == 1


def test_compare_with_cached_base_access_gives_the_same_table(square):
    grid, fac = square
    scenario = Scenario(add=[lonlat(1500, 2500)])
    base = access(grid, facility_points(fac, "cscom"))
    a = compare(grid, fac, "cscom", scenario, threshold_m=1500, unit="commune")
    b = compare(grid, fac, "cscom", scenario, threshold_m=1500, unit="commune", base_access=base)
    assert a.equals(b)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [({"threshold_m": 0}, "threshold_m"), ({"threshold_m": 1000, "unit": "x"}, "unit")],
)
def test_compare_refuses_bad_parameters(square, kwargs, parameter):
    grid, fac = square
    with pytest.raises(InvalidParameter) as exc:
        compare(grid, fac, "cscom", Scenario(), **kwargs)
    assert exc.value.parameter == parameter
    with pytest.raises(InvalidParameter) as exc:
        compare(grid, fac, "hammam", Scenario(), threshold_m=1000)
    assert exc.value.parameter == "kind"
