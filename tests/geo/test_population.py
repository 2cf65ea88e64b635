"""Tests of geo.analysis.population: exact splits on tiny squares, and the real Commune V hold-out."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo.analysis import population
from geo.errors import DataError, InvalidParameter
from geo.vocabulary import METRIC_CRS, STORE_CRS

# ---------------------------------------------------------------- fixtures


def _squares() -> gpd.GeoDataFrame:
    """Three 1 km squares side by side in UTM 29N (exactly 1 km² each), in commune C1."""
    x0, y0 = 600_000, 1_390_000
    frame = gpd.GeoDataFrame(
        {"pcode": ["Q1", "Q2", "Q3"], "commune_pcode": ["C1"] * 3},
        geometry=[box(x0 + i * 1000, y0, x0 + (i + 1) * 1000, y0 + 1000) for i in range(3)],
        crs=METRIC_CRS,
    )
    frame["area_km2"] = frame.geometry.area / 1e6
    return frame.to_crs(STORE_CRS)


def _facilities(rows: list[tuple[str, str | None, bool]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["kind", "quartier_pcode", "in_analysis"])


#: Q1 has 2 counted facilities, Q2 has 1, Q3 none; the others must be ignored.
FACILITIES = _facilities(
    [
        ("school", "Q1", True),
        ("kindergarten", "Q1", True),
        ("school", "Q2", True),
        ("college", "Q3", True),  # not a dasymetric kind
        ("school", "Q3", False),  # outside the District: not in analysis
        ("school", None, True),  # commune-precision point: no quartier
    ]
)
COMMUNES = pd.DataFrame({"pcode": ["C1"], "pop_estimate": [4300], "pop_year": [2022]})


def _table(rows: list[tuple[str, int, tuple[str, ...]]]) -> pd.DataFrame:
    return pd.DataFrame(
        {"source_name": [r[0] for r in rows], "pop_2009": [r[1] for r in rows], "pcodes": [r[2] for r in rows]}
    )


#: Observed values equal to the dasymetric split of 4300 (weights 2.1, 1.1 and, for Q3 without a
#: surveyed school, its area share at the commune's mean density: (1 + 0.1) × 1 km² × 1/km² = 1.1).
EXACT_DASYMETRIC = _table([("A", 2100, ("Q1",)), ("B", 1100, ("Q2",)), ("C", 1100, ("Q3",))])


# ---------------------------------------------------------------- largest remainder


@pytest.mark.parametrize(
    ("weights", "total", "expected"),
    [
        ([0.5, 0.3, 0.2], 7, [4, 2, 1]),  # quotas 3.5, 2.1, 1.4: the one left goes to 0.5
        ([1, 1, 1], 100, [34, 33, 33]),  # equal remainders: the earlier position wins
        ([1, 1, 1], 2, [1, 1, 0]),
        ([3, 0, 1], 8, [6, 0, 2]),
        ([1, 2], 0, [0, 0]),
    ],
)
def test_largest_remainder_exact(weights, total, expected):
    parts = population.largest_remainder(np.array(weights, dtype=float), total)
    assert parts.tolist() == expected
    assert parts.sum() == total


def test_largest_remainder_sums_exactly_on_awkward_weights():
    rng = np.random.default_rng(0)
    for _ in range(50):
        w = rng.random(rng.integers(1, 80)) ** 3
        total = int(rng.integers(1, 5_000_000))
        assert population.largest_remainder(w, total).sum() == total


@pytest.mark.parametrize(("weights", "total"), [([1, -1], 3), ([0, 0], 3), ([1, np.nan], 3), ([1], -1)])
def test_largest_remainder_rejects_bad_input(weights, total):
    with pytest.raises(InvalidParameter):
        population.largest_remainder(np.array(weights, dtype=float), total)


# ---------------------------------------------------------------- communes


def test_estimate_communes_keeps_2009_shares_and_sums_exactly():
    communes = gpd.GeoDataFrame({"pcode": ["A", "B", "C"]}, geometry=[None] * 3, crs=STORE_CRS)
    out = population.estimate_communes(communes, {"A": 1, "B": 1, "C": 2, "X": 99}, year=2022, total=10)
    assert out["pop_2009"].tolist() == [1, 1, 2]
    assert out["pop_estimate"].tolist() == [3, 2, 5]  # quotas 2.5, 2.5, 5
    assert out["pop_year"].tolist() == [2022] * 3
    assert "pop_estimate" not in communes.columns  # input untouched


def test_estimate_communes_missing_population_raises():
    communes = gpd.GeoDataFrame({"pcode": ["A", "B"]}, geometry=[None] * 2, crs=STORE_CRS)
    with pytest.raises(DataError, match="B"):
        population.estimate_communes(communes, {"A": 1}, year=2022, total=10)


# ---------------------------------------------------------------- weights and quartiers


def test_fixture_squares_are_exactly_one_km2():
    assert _squares()["area_km2"].round(9).tolist() == [1.0, 1.0, 1.0]


def test_dasymetric_weights_blend_school_density_with_area():
    # n = 2, 1, 0; commune mean density D = 1 per km²; weight = n + 0.1 × 1 km² × 1.
    weights = population.dasymetric_weights(_squares(), FACILITIES, alpha=0.1)
    assert np.allclose(weights, [2.1, 1.1, 0.1])


def test_dasymetric_non_residential_unit_keeps_a_fraction_of_its_area():
    weights = population.dasymetric_weights(
        _squares(), FACILITIES, alpha=1.0, non_residential=("Q3",), non_residential_factor=0.25
    )
    assert np.allclose(weights, [3.0, 2.0, 0.25])


def test_dasymetric_falls_back_to_area_without_facilities():
    weights = population.dasymetric_weights(_squares(), _facilities([]))
    assert np.allclose(weights, [1.0, 1.0, 1.0])


@pytest.mark.parametrize(("method", "expected"), [("areal", [1434, 1433, 1433]), ("dasymetric", [2100, 1100, 1100])])
def test_estimate_quartiers_exact_shares(method, expected):
    out, scores = population.estimate_quartiers(
        _squares(), COMMUNES, FACILITIES, method=method, commune5_table=EXACT_DASYMETRIC
    )
    assert out["pop_estimate"].tolist() == expected
    assert out["pop_estimate"].dtype == np.int64
    assert set(out["pop_method"]) == {method}
    assert set(out["pop_year"]) == {2022}
    assert set(scores) == set(population.QUARTIER_METHODS)


def test_estimate_quartiers_sums_exactly_per_commune():
    quartiers = _squares()
    quartiers.loc[2, "commune_pcode"] = "C2"
    communes = pd.DataFrame({"pcode": ["C1", "C2"], "pop_estimate": [1001, 7], "pop_year": [2022, 2022]})
    table = _table([("A", 500, ("Q1",)), ("B", 501, ("Q2",))])
    out, _ = population.estimate_quartiers(quartiers, communes, FACILITIES, method="areal", commune5_table=table)
    assert out.groupby("commune_pcode")["pop_estimate"].sum().to_dict() == {"C1": 1001, "C2": 7}
    assert out["pop_estimate"].tolist() == [501, 500, 7]


def test_default_method_is_the_best_scoring_one():
    out, scores = population.estimate_quartiers(_squares(), COMMUNES, FACILITIES, commune5_table=EXACT_DASYMETRIC)
    assert scores["dasymetric"] == pytest.approx(0.0)
    # areal gives 1434, 1433, 1433 (no parameter: leave-one-out = in-sample)
    assert scores["areal"] == pytest.approx((666 / 2100 + 333 / 1100 + 333 / 1100) / 3 * 100)
    assert set(out["pop_method"]) == {"dasymetric"}


def test_unknown_method_lists_the_allowed_ones():
    with pytest.raises(InvalidParameter) as info:
        population.estimate_quartiers(
            _squares(), COMMUNES, FACILITIES, method="kriging", commune5_table=EXACT_DASYMETRIC
        )
    assert info.value.parameter == "method"
    assert "areal" in info.value.message and "dasymetric" in info.value.message


def test_holdout_requires_every_unit_of_the_commune_in_a_row():
    table = _table([("A", 100, ("Q1",)), ("B", 100, ("Q2",))])
    with pytest.raises(DataError, match="Q3"):
        population.score_methods(_squares(), FACILITIES, table)


def test_holdout_table_sums_groups():
    table = _table([("AB", 3200, ("Q1", "Q2")), ("C", 1100, ("Q3",))])
    out = population.holdout_table(_squares(), FACILITIES, table, method="dasymetric")
    assert out["estimated"].tolist() == [3200, 1100]
    assert out["ape_pct"].tolist() == [0.0, 0.0]


# ---------------------------------------------------------------- the Commune V table


def test_commune5_table_is_consistent():
    table = population.read_commune5_table()
    assert table["pop_2009"].sum() == 413_266  # RGPH 2009 Commune V total
    assert len(table) == 9
    codes = [p for codes in table["pcodes"] for p in codes]
    assert len(codes) == 10 == len(set(codes))
    assert all(p.startswith("ML090105") for p in codes)


def test_read_commune5_table_reports_bad_rows(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "source_name,pop_2009,cod_ab_pcodes,note,source_url\nA,12a,ML090105001,,\nB,3,ML090105001;oops,,\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as info:
        population.read_commune5_table(path)
    message = str(info.value)
    assert "bad.csv" in message and "line 2" in message and "line 3" in message


# ---------------------------------------------------------------- real mirror

#: RGPH 2009 final commune populations (DNACPN sheet).
POP_2009 = {
    "ML090101": 334_886,
    "ML090102": 159_360,
    "ML090103": 128_666,
    "ML090104": 304_526,
    "ML090105": 413_266,
    "ML090106": 469_662,
}
#: Survey "Amenity" values → facility kinds (the build's ingest does this for real).
AMENITY_KINDS = {"School": "school", "Kindergarten": "kindergarten", "College": "college", "University": "university"}


@pytest.fixture(scope="module")
def mirror_layers():
    root = os.environ.get("BAMAKO_ATLAS_MIRROR")
    if not root:
        pytest.skip("BAMAKO_ATLAS_MIRROR is not set: no upstream mirror to read")
    import pyogrio

    from geo.pipeline.ingest.admin import read_communes, read_quartiers
    from geo.pipeline.sources import registry

    path = {key: Path(root) / registry()[key].path for key in ("communes", "quartiers", "survey_education")}
    communes = read_communes(path["communes"])
    quartiers = read_quartiers(path["quartiers"])
    # Only the kind column and the point: the survey carries personal data.
    schools = pyogrio.read_dataframe(path["survey_education"], columns=["Amenity"]).to_crs(STORE_CRS)
    hits = gpd.sjoin(schools, quartiers[["pcode", "geometry"]], how="left", predicate="intersects")
    hits = hits[~hits.index.duplicated()]
    facilities = pd.DataFrame(
        {
            "kind": hits["Amenity"].map(AMENITY_KINDS),
            "quartier_pcode": hits["pcode"],
            "in_analysis": hits["pcode"].notna(),
        }
    )
    return communes, quartiers, facilities


@pytest.mark.integration
def test_real_estimates(mirror_layers):
    communes, quartiers, facilities = mirror_layers
    communes = population.estimate_communes(communes, POP_2009, year=2022, total=4_227_569)
    assert communes["pop_estimate"].sum() == 4_227_569

    out, scores = population.estimate_quartiers(quartiers, communes, facilities)
    assert set(scores) == {"areal", "dasymetric"}
    assert all(np.isfinite(v) and v >= 0 for v in scores.values())
    best = min(scores, key=scores.get)
    assert set(out["pop_method"]) == {best}
    assert best == "dasymetric"  # measured: about 23 % against 123 % for areal
    sums = out.groupby("commune_pcode")["pop_estimate"].sum()
    assert sums.to_dict() == dict(zip(communes["pcode"], communes["pop_estimate"], strict=True))
    assert (out["pop_estimate"] > 0).all()


# ---------------------------------------------------------------- uncertainty (issue 9)


def test_leave_one_out_on_a_hand_made_table():
    observed = np.array([10.0, 20.0, 60.0])
    # the model "mean of the training rows" predicts (20+60)/2, (10+60)/2, (10+20)/2
    predictions = population.leave_one_out(observed, lambda train, i: float(observed[train].mean()))
    assert predictions.tolist() == [40.0, 35.0, 15.0]


def test_loo_refits_alpha_without_the_held_out_row():
    # Rows A, B agree with alpha = 0.1; row C alone cannot move the fit, so its error is out of sample.
    table = _table([("A", 2100, ("Q1",)), ("B", 1100, ("Q2",)), ("C", 2000, ("Q3",))])
    out = population.loo_table(_squares(), FACILITIES, table, method="dasymetric")
    assert list(out.columns) == ["source_name", "observed", "estimated", "ape_pct", "ratio"]
    assert (out["ape_pct"] > 0).all()
    areal = population.loo_table(_squares(), FACILITIES, table, method="areal")
    insample = population.holdout_table(_squares(), FACILITIES, table, method="areal")
    assert areal["ape_pct"].tolist() == pytest.approx(insample["ape_pct"].tolist())


def test_interval_factors_contain_one():
    assert population.interval_factors([0.5, 0.8, 0.9]) == (pytest.approx(0.56), 1.0)
    assert population.interval_factors([1.2, 2.0, np.nan]) == (1.0, pytest.approx(1.92))
    with pytest.raises(DataError):
        population.interval_factors([np.nan])


def test_quartier_intervals_contain_the_estimate_and_no_evidence_is_flagged():
    table = _table([("A", 2000, ("Q1",)), ("B", 1300, ("Q2",)), ("C", 1000, ("Q3",))])
    out, scores = population.estimate_quartiers_scored(
        _squares(), COMMUNES, FACILITIES, method="dasymetric", commune5_table=table
    )
    assert (out["pop_low"] <= out["pop_estimate"]).all() and (out["pop_estimate"] <= out["pop_high"]).all()
    assert out["pop_low"].dtype == np.int64 and out["pop_high"].dtype == np.int64
    assert out["pop_evidence"].tolist() == ["schools", "schools", "none"]
    # Q3 has no surveyed school: it gets its area share at the commune's mean density, not a floor
    assert out["pop_estimate"].iloc[2] == out["pop_estimate"].iloc[1] == 1100
    # ... and its interval reaches down to what the area term alone would give (alpha / (1 + alpha))
    assert out["pop_low"].iloc[2] == 100
    assert set(scores.loo) == set(scores.in_sample) == set(population.QUARTIER_METHODS)


def test_estimate_communes_growth_method_constrained_to_the_total():
    communes = gpd.GeoDataFrame({"pcode": ["A", "B"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=STORE_CRS)
    # A grew 1998→2009 by ×1 (no growth), B by ×2; projecting 11 more years gives weights 100 and 400
    out = population.estimate_communes(
        communes, {"A": 100, "B": 200}, year=2020, total=1000, pop_1998={"A": 100, "B": 100}
    )
    assert out["pop_growth"].tolist() == [200, 800]
    assert out["pop_uniform"].tolist() == [333, 667]
    assert out["pop_estimate"].tolist() == [200, 800]
    assert out["pop_low"].tolist() == [200, 667] and out["pop_high"].tolist() == [333, 800]
    assert set(out["pop_commune_method"]) == {"growth"}
    uniform = population.estimate_communes(
        communes, {"A": 100, "B": 200}, year=2020, total=1000, pop_1998={"A": 100, "B": 100}, method="uniform"
    )
    assert uniform["pop_estimate"].tolist() == [333, 667]
    with pytest.raises(InvalidParameter):
        population.estimate_communes(communes, {"A": 100, "B": 200}, year=2020, total=1000, method="growth")


def test_communes_rgph_table_sums_to_the_1998_district_total():
    pop_1998 = population.read_communes_rgph()
    assert len(pop_1998) == 6
    assert sum(pop_1998.values()) == 1_016_296  # RGPH 1998, District of Bamako
