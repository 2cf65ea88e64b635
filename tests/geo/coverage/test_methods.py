"""Coverage shares across population methods, and people covered only by positions not from a GPS survey."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from geo.analysis.coverage import FacilityPoints, PopulationGrid, access, coverage, facility_points, population_grid
from geo.analysis.coverage.methods import population_methods, share_ranges
from tests.geo.coverage.synthetic import X0, Y0, facilities, strips

C1, C2 = "ML090101", "ML090102"


@pytest.fixture
def two_communes():
    """Two quartiers of two cells each, one per commune; a facility covers cells a1 and b1 at 1 km.

    a1 (90 people) and a2 (10) in C1's quartier; b1 and b2 (50 each) in C2's.
    """
    grid = PopulationGrid(
        cell_m=100.0,
        x=X0 + np.array([0.0, 3000.0, 500.0, 6000.0]),
        y=np.full(4, Y0),
        pop=np.array([90.0, 10.0, 50.0, 50.0]),
        unit=np.array([0, 0, 1, 1]),
        quartier_pcodes=np.array([f"{C1}001", f"{C2}001"]),
        commune_of_unit=np.array([C1, C2]),
        method="dasymetric",
    )
    points = FacilityPoints(x=np.array([X0]), y=np.array([Y0]), ids=np.array(["f"], dtype=object),
                            approximate=np.array([False]))  # fmt: skip
    communes = pd.DataFrame(
        {"pcode": [C1, C2], "pop_estimate": [100, 100], "pop_uniform": [300, 100], "pop_growth": [100, 100],
         "pop_commune_method": "growth"}
    )  # fmt: skip
    return grid, access(grid, points), communes


def test_hand_computed_shares_per_method(two_communes):
    grid, acc, communes = two_communes
    methods = population_methods(grid, communes)
    assert methods.names == ("dasymetric", "uniform_in_quartier", "commune_uniform")
    q = share_ranges(grid, acc, methods, threshold_m=1000, unit="quartier").set_index("pcode")
    np.testing.assert_allclose(q["share_covered_dasymetric"], [0.9, 0.5])
    np.testing.assert_allclose(q["share_covered_uniform_in_quartier"], [0.5, 0.5])
    np.testing.assert_allclose(q["share_covered_commune_uniform"], [0.9, 0.5])  # a commune scales as a whole
    np.testing.assert_allclose(q["share_covered_low"], [0.5, 0.5])
    np.testing.assert_allclose(q["share_covered_high"], [0.9, 0.5])
    d = share_ranges(grid, acc, methods, threshold_m=1000, unit="district").iloc[0]
    assert d["share_covered_dasymetric"] == pytest.approx(140 / 200)
    assert d["share_covered_uniform_in_quartier"] == pytest.approx(100 / 200)
    assert d["share_covered_commune_uniform"] == pytest.approx((270 + 50) / 400)  # C1 tripled
    assert (d["share_covered_low"], d["share_covered_high"]) == pytest.approx((0.5, 0.8))


def test_without_communes_only_the_quartier_methods_are_compared(two_communes):
    grid, acc, _ = two_communes
    assert population_methods(grid).names == ("dasymetric", "uniform_in_quartier")
    areal = dataclasses.replace(grid, method="areal")
    assert population_methods(areal).names == ("areal",)


def test_the_range_brackets_the_value_and_a_unit_without_people_has_none():
    quartiers = strips(pops=(3000, 0, 9000), method="dasymetric")
    fac = facilities([("s1", "school", 200, 200, "exact", "ML090101001", "ML090101"),
                      ("s2", "school", 2800, 2800, "exact", "ML090101003", "ML090101"),
                      ("c1", "cscom", 500, 500, "exact", "ML090101001", "ML090101")])  # fmt: skip
    grid = population_grid(quartiers, fac, cell_m=100)
    acc = access(grid, facility_points(fac, "cscom"))
    methods = population_methods(grid)
    for unit in ("quartier", "commune", "district"):
        ranges = share_ranges(grid, acc, methods, threshold_m=1000, unit=unit)
        base = coverage(grid, acc.points, threshold_m=1000, unit=unit)
        np.testing.assert_allclose(ranges["share_covered_dasymetric"], base["share_covered"])
        known = base["pop"] > 0
        assert (ranges.loc[known, "share_covered_low"] <= base.loc[known, "share_covered"] + 1e-12).all()
        assert (base.loc[known, "share_covered"] <= ranges.loc[known, "share_covered_high"] + 1e-12).all()
        assert ranges.loc[~known, ["share_covered_low", "share_covered_high"]].isna().all().all()
    q = share_ranges(grid, acc, methods, threshold_m=1000, unit="quartier").set_index("pcode")
    # the school kernel puts Q1's people near its school, next to the CSCOM: more covered than spread evenly
    assert q.loc["ML090101001", "share_covered_dasymetric"] > q.loc["ML090101001", "share_covered_uniform_in_quartier"]


# ------------------------------------------------ positions not from a GPS survey
SURVEY_ROWS = [
    ("f1", "cscom", 500, 500, "gps_survey", "ML090101001", "ML090101"),
    ("f2", "cscom", 2500, 1500, "sheet_dms", "ML090101003", "ML090101"),
]


def test_people_resting_on_positions_not_from_a_gps_survey():
    fac = facilities(SURVEY_ROWS)
    grid = population_grid(strips(), fac, cell_m=1000)
    q = coverage(grid, facility_points(fac, "cscom"), threshold_m=1000).set_index("pcode")
    # west strip: covered by f1 (surveyed) only; middle: one of two covered cells needs f2; east: all need f2
    np.testing.assert_allclose(q["pop_depending_on_unsurveyed"], [0, 2000, 9000])
    np.testing.assert_allclose(q["share_depending_on_unsurveyed"], [0, 0.5, 1])
    assert (q["pop_depending_on_unsurveyed"] <= q["pop_covered"]).all()


@pytest.mark.parametrize("precision", ["exact", "sheet_dms_conflict", "quartier", "commune", "anything_new"])
def test_every_class_but_gps_survey_counts_as_unsurveyed(precision):
    rows = [(*SURVEY_ROWS[0][:4], precision, *SURVEY_ROWS[0][5:])]
    fac = facilities(rows)
    grid = population_grid(strips(), fac, cell_m=1000)
    d = coverage(grid, facility_points(fac, "cscom"), threshold_m=1000, unit="district").iloc[0]
    assert d["pop_covered"] > 0 and d["share_depending_on_unsurveyed"] == 1.0


def test_hypothetical_sites_count_as_surveyed():
    fac = facilities([(*SURVEY_ROWS[1][:4], "commune", *SURVEY_ROWS[1][5:])])
    grid = population_grid(strips(), fac, cell_m=1000)
    added = facility_points(fac, "cscom", add_points=[(X0 + 2500, Y0 + 1500)], add_crs="EPSG:32629")
    d = coverage(grid, added, threshold_m=1000, unit="district").iloc[0]
    assert d["pop_depending_on_unsurveyed"] == 0  # the site added on the same spot covers them on its own
