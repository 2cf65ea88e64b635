"""Coverage indicators: hand-computed shares on a 3 km × 3 km square, honesty flags, gaps, norms."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geo.analysis.coverage import (
    COVERAGE_COLUMNS,
    CoverageSpec,
    FacilityPoints,
    below_norm,
    coverage,
    coverage_table,
    default_norms,
    default_specs,
    facility_points,
    parse_specs,
    population_grid,
    rank_gaps,
)
from geo.errors import InvalidParameter
from geo.settings import Settings
from tests.conftest import tiny_layers
from tests.geo.coverage.synthetic import X0, Y0, facilities, no_facilities, strips

# The square: three 1 km × 3 km strips (3 000, 6 000 and 9 000 people), 1 km cells, so each
# cell centre sits on the 500 m lattice. F1 at (500, 500) in the west strip, F2 at (2500, 1500)
# in the east strip, placed only to its quartier.
SQUARE_ROWS = [
    ("f1", "cscom", 500, 500, "exact", "ML090101001", "ML090101"),
    ("f2", "cscom", 2500, 1500, "quartier", "ML090101003", "ML090101"),
]


@pytest.fixture
def square():
    fac = facilities(SQUARE_ROWS)
    grid = population_grid(strips(), fac, cell_m=1000)
    return grid, fac, facility_points(fac, "cscom")


def by_pcode(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("pcode")


def test_hand_computed_shares_at_1_km(square):
    grid, _, points = square
    q = by_pcode(coverage(grid, points, threshold_m=1000, unit="quartier"))
    # west: (500,500) 0 m, (500,1500) 1000 m covered; (500,2500) 2000 m not
    # middle: (1500,500) 1000 m from F1, (1500,1500) 1000 m from F2 covered; (1500,2500) 1414 m not
    # east: all three within 1000 m of F2
    np.testing.assert_allclose(q["pop_covered"], [2000, 4000, 9000])
    np.testing.assert_allclose(q["share_covered"], [2 / 3, 2 / 3, 1])
    np.testing.assert_allclose(q["pop_uncovered"], [1000, 2000, 0])
    np.testing.assert_allclose(q["mean_distance_m"], [1000, (2000 + 1000 * math.sqrt(2)) / 3, 2000 / 3])
    np.testing.assert_allclose(q["median_distance_m"], [1000, 1000, 1000])
    np.testing.assert_allclose(q["median_walk_min"], [19.5, 19.5, 19.5])
    assert q["facilities"].tolist() == [1, 0, 1]
    np.testing.assert_allclose(q["per_10k"], [10000 / 3000, 0, 10000 / 9000])
    # covered only through F2 (approximate): middle (1500,1500) and the whole east strip
    np.testing.assert_allclose(q["pop_depending_on_approximate"], [0, 2000, 9000])
    np.testing.assert_allclose(q["share_depending_on_approximate"], [0, 0.5, 1])
    assert q["has_facility_data"].all()
    assert list(q.columns) == list(COVERAGE_COLUMNS[:1]) + list(COVERAGE_COLUMNS[2:])


def test_hand_computed_district_shares_by_threshold(square):
    grid, _, points = square
    shares = {
        t: coverage(grid, points, threshold_m=t, unit="district")["share_covered"].item()
        for t in (999, 1000, 1500, 2000)
    }
    assert shares[999] == pytest.approx(4000 / 18000)  # only the two facility cells (1000 + 3000 people)
    assert shares[1000] == pytest.approx(15000 / 18000)
    assert shares[1500] == pytest.approx(17000 / 18000)
    assert shares[2000] == pytest.approx(1.0)
    d = coverage(grid, points, threshold_m=1000, unit="district").iloc[0]
    assert d["pcode"] == "ML0901" and d["unit"] == "district" and d["kind"] == "cscom"
    assert d["pop"] == pytest.approx(18000) and d["facilities"] == 2
    assert d["pop_depending_on_approximate"] == pytest.approx(11000)


def test_commune_rows_add_up_the_quartiers():
    units = strips(communes=["ML090101", "ML090101", "ML090102"])
    rows = [
        ("f1", "cscom", 500, 500, "exact", "ML090101001", "ML090101"),
        ("f2", "cscom", 2500, 1500, "commune", None, "ML090102"),  # placed only to its commune
    ]
    fac = facilities(rows)
    grid = population_grid(units, fac, cell_m=1000)
    points = facility_points(fac, "cscom")
    q = by_pcode(coverage(grid, points, threshold_m=1000))
    c = by_pcode(coverage(grid, points, threshold_m=1000, unit="commune"))
    assert c.index.tolist() == ["ML090101", "ML090102"]
    np.testing.assert_allclose(c["pop_covered"], [6000, 9000])
    np.testing.assert_allclose(c["pop"], [9000, 9000])
    # the commune-precision facility counts in its commune, not in any quartier
    assert q["facilities"].tolist() == [1, 0, 0]
    assert c["facilities"].tolist() == [1, 1]


def test_partial_kinds_tell_no_data_from_no_facility():
    rows = [("s1", "stadium", 500, 500, "exact", "ML090101001", "ML090101"),
            ("c1", "cscom", 500, 500, "exact", "ML090101001", "ML090101")]  # fmt: skip
    fac = facilities(rows)
    grid = population_grid(strips(), fac, cell_m=1000)
    sports = by_pcode(coverage(grid, facility_points(fac, "sports"), threshold_m=1000))
    cscom = by_pcode(coverage(grid, facility_points(fac, "cscom"), threshold_m=1000))
    assert sports["has_facility_data"].tolist() == [True, False, False]
    assert cscom["has_facility_data"].tolist() == [True, True, True]


def test_no_facility_at_all_gives_zero_cover_and_undefined_distances():
    grid = population_grid(strips(), no_facilities(), cell_m=1000)
    q = coverage(grid, FacilityPoints.from_xy([], [], kinds=("cscom",)), threshold_m=2000)
    assert (q["pop_covered"] == 0).all() and (q["share_covered"] == 0).all()
    assert q["mean_distance_m"].isna().all() and q["median_distance_m"].isna().all()
    assert q["share_depending_on_approximate"].isna().all()


def test_hypothetical_points_are_located_in_their_unit(square):
    grid, _, _ = square
    points = FacilityPoints.from_xy([X0 + 1500, X0 + 1600], [Y0 + 2500, Y0 + 100], kinds=("cscom",))
    q = coverage(grid, points, threshold_m=1000)
    assert q["facilities"].tolist() == [0, 2, 0]


def test_circle_share_on_the_square_at_100_m():
    # Uniform density in each strip: the people covered by a 1 km disc centred on the middle strip are
    # its area in each strip times the strip's density (2 000 people/km² in the middle, 1 000 and 3 000 aside).
    grid = population_grid(strips(), no_facilities(), cell_m=100)
    points = FacilityPoints.from_xy([X0 + 1500], [Y0 + 1500])
    cap = (math.acos(0.5) - 0.5 * math.sqrt(0.75)) * 1e6  # disc part beyond a chord 500 m from the centre, m²
    middle = (math.pi * 1e6 - 2 * cap) * 6000 / 3e6
    q = coverage(grid, points, threshold_m=1000)
    np.testing.assert_allclose(q["pop_covered"], [cap * 3000 / 3e6, middle, cap * 9000 / 3e6], rtol=0.03)
    d = coverage(grid, points, threshold_m=1000, unit="district").iloc[0]
    assert d["pop_covered"] == pytest.approx(middle + cap * 12000 / 3e6, rel=0.01)


@pytest.mark.parametrize("threshold", [0, -1, 50_001, "abc", None, float("nan")])
def test_bad_threshold_is_refused(square, threshold):
    grid, _, points = square
    with pytest.raises(InvalidParameter) as exc:
        coverage(grid, points, threshold_m=threshold)
    assert exc.value.parameter == "threshold_m"


def test_unknown_unit_is_refused(square):
    grid, _, points = square
    with pytest.raises(InvalidParameter) as exc:
        coverage(grid, points, threshold_m=1000, unit="cercle")
    assert exc.value.parameter == "unit"


def test_coverage_table_matches_coverage_for_every_spec_threshold_and_unit(square):
    grid, fac, _ = square
    specs = (CoverageSpec("cscom", (1000.0, 1500.0)), CoverageSpec("sports", (2000.0,)))
    table = coverage_table(grid, fac, specs=specs)
    assert len(table) == 2 * (3 + 1 + 1) + 1 * (3 + 1 + 1)
    one = table[(table["kind"] == "cscom") & (table["threshold_m"] == 1500) & (table["unit"] == "quartier")]
    expected = coverage(grid, facility_points(fac, "cscom"), threshold_m=1500)
    pd.testing.assert_frame_equal(one.reset_index(drop=True), expected)


def test_default_specs_and_their_setting(monkeypatch):
    declared = default_specs(Settings.resolve(environ={}))
    assert [(s.kind, s.thresholds_m) for s in declared] == [
        ("cscom", (1000.0, 2000.0, 5000.0)),
        ("claec", (1000.0, 2000.0)),
        ("sports", (1000.0, 2000.0)),
    ]
    monkeypatch.delenv("BAMAKO_ATLAS_COVERAGE_THRESHOLDS_M", raising=False)
    assert default_specs() == declared
    monkeypatch.setenv("BAMAKO_ATLAS_COVERAGE_THRESHOLDS_M", "pharmacy=500")
    assert default_specs() == (CoverageSpec("pharmacy", (500.0,)),)
    assert default_norms() == {"cscom": 1.0}


@pytest.mark.parametrize("text", ["cscom", "cscom=", "hammam=1000", "cscom=0", "cscom=60000", "cscom=a", ""])
def test_bad_specs_are_refused(text):
    with pytest.raises(InvalidParameter) as exc:
        parse_specs(text)
    assert exc.value.parameter == "BAMAKO_ATLAS_COVERAGE_THRESHOLDS_M"


def test_rank_gaps_orders_by_uncovered_people_and_skips_units_without_data(square):
    grid, fac, points = square
    ranked = rank_gaps(coverage(grid, points, threshold_m=1000))
    assert ranked["pcode"].tolist() == ["ML090101002", "ML090101001", "ML090101003"]
    assert ranked["rank"].tolist() == [1, 2, 3]
    by_share = rank_gaps(coverage(grid, points, threshold_m=1500), by="share_uncovered")
    assert by_share["pcode"].iloc[0] == "ML090101001"
    sports = coverage(grid, FacilityPoints.from_xy([X0 + 100], [Y0 + 100], kinds=("stadium",)), threshold_m=1000)
    assert rank_gaps(sports)["pcode"].tolist() == ["ML090101001"]
    assert len(rank_gaps(sports, include_no_data=True)) == 3
    with pytest.raises(InvalidParameter) as exc:
        rank_gaps(sports, by="pop")
    assert exc.value.parameter == "by"


def test_below_norm_flags_units_and_counts_missing_facilities(square):
    grid, _, points = square
    flagged = by_pcode(below_norm(coverage(grid, points, threshold_m=1000), per_10k_norm=2.0))
    # per 10 000: west 3.33, middle 0, east 1.11; the norm 2 asks for 1, 2 and 2 facilities
    assert flagged["below_norm"].tolist() == [False, True, True]
    assert flagged["facilities_missing"].tolist() == [0, 2, 1]
    by_kind = below_norm(coverage(grid, points, threshold_m=1000), per_10k_norm={"cscom": 1.0})
    assert by_kind["below_norm"].tolist() == [False, True, False]
    other = below_norm(coverage(grid, points, threshold_m=1000), per_10k_norm={"claec": 1.0})
    assert not other["below_norm"].any()
    for bad in (0, -1, "x"):
        with pytest.raises(InvalidParameter) as exc:
            below_norm(coverage(grid, points, threshold_m=1000), per_10k_norm=bad)
        assert exc.value.parameter == "per_10k_norm"


def test_tiny_atlas_table_runs_and_conserves_people():
    layers = tiny_layers()
    grid = population_grid(layers["quartiers"], layers["facilities"], cell_m=100)
    table = coverage_table(grid, layers["facilities"])
    for (_kind, _t, _unit), rows in table.groupby(["kind", "threshold_m", "unit"]):
        assert rows["pop"].sum() == pytest.approx(15000)
        assert (rows["pop_covered"] <= rows["pop"] + 1e-6).all()


def test_every_unit_level_has_a_grouping():
    from geo.analysis.coverage.indicators import LEVELS, UNIT_LEVELS

    assert tuple(LEVELS) == UNIT_LEVELS


def test_rank_gaps_lists_units_without_data_last_and_unranked(square):
    grid, fac, points = square
    sports = coverage(grid, FacilityPoints.from_xy([X0 + 100], [Y0 + 100], kinds=("stadium",)), threshold_m=1000)
    ranked = rank_gaps(sports, include_no_data=True)
    assert ranked.columns[0] == "rank" and ranked["rank"].iloc[0] == 1 and ranked["rank"].iloc[1:].isna().all()
    assert ranked["pcode"].iloc[0] == "ML090101001"
    assert ranked["has_facility_data"].tolist() == [True, False, False]
