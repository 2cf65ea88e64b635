"""Per-unit indicators and unit/facility profiles on the tiny atlas (1 km² quartiers)."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.analysis import map_indicators as indicators
from geo.errors import FacilityNotFound, InvalidParameter, UnitNotFound
from geo.vocabulary import Text
from tests.conftest import tiny_layers


@pytest.fixture
def layers():
    return tiny_layers()


def test_density_and_population(layers):
    q, f = layers["quartiers"], layers["facilities"]
    assert indicators.compute("density", q, f).tolist() == [6000.0, 4000.0, 5000.0]
    assert indicators.compute("population", layers["communes"], f).tolist() == [10000.0, 5000.0]


def test_facilities_per_10k_inhabitants_and_counts(layers):
    q, f = layers["quartiers"], layers["facilities"]
    per10k = indicators.compute("per10k", q, f, kinds=("cscom", "pharmacy"))
    assert per10k.tolist() == pytest.approx([2 * 10_000 / 6000, 0.0, 0.0])
    assert indicators.compute("count", q, f, kinds=("school",)).tolist() == [0.0, 1.0, 0.0]
    # the CLAEC placed at commune level counts for its commune, not for a quartier
    assert indicators.facility_counts(layers["communes"], f, ("claec",)).tolist() == [0, 1]


def test_facilities_outside_analyses_are_not_counted(layers):
    f = layers["facilities"].copy()
    f.loc[0, "in_analysis"] = False
    assert indicators.facility_counts(layers["quartiers"], f, ("cscom",)).tolist() == [0, 0, 0]
    f["in_analysis"] = ["True", "false", "1", "0", "yes"]  # as some readers return them
    assert len(indicators.analysed(f)) == 3


def test_zero_population_gives_no_ratio(layers):
    q = layers["quartiers"].copy()
    q.loc[0, "pop_estimate"] = 0
    assert pd.isna(indicators.compute("per10k", q, layers["facilities"], kinds=("cscom",)).iloc[0])


def test_counts_by_kind_has_every_kind(layers):
    table = indicators.counts_by_kind(layers["quartiers"], layers["facilities"])
    assert table.loc[0, "cscom"] == 1 and table.loc[0, "pharmacy"] == 1 and table.loc[1, "school"] == 1
    assert "waste_site" in table.columns and int(table.to_numpy().sum()) == 4


def test_bad_indicator_or_kinds_are_refused(layers):
    q, f = layers["quartiers"], layers["facilities"]
    with pytest.raises(InvalidParameter, match="allowed: density"):
        indicators.compute("nope", q, f)
    with pytest.raises(InvalidParameter, match="needs facility kinds"):
        indicators.compute("per10k", q, f)
    with pytest.raises(InvalidParameter, match="unknown kind"):
        indicators.compute("per10k", q, f, kinds=("spaceport",))


def test_register_adds_an_indicator(layers):
    ind = indicators.Indicator("area", Text("Superficie", "Area"), Text("km²", "km²"), lambda u, f, k: u["area_km2"])
    try:
        indicators.register(ind)
        assert indicators.compute("area", layers["quartiers"], layers["facilities"]).tolist() == [1.0, 1.0, 1.0]
    finally:
        indicators.INDICATORS.pop("area")


def test_neighbours_share_an_edge(layers):
    q = layers["quartiers"]
    assert indicators.neighbours(q, "ML090101001")["pcode"].tolist() == ["ML090101002"]
    assert sorted(indicators.neighbours(q, "ML090101002")["pcode"]) == ["ML090101001", "ML090102001"]
    with pytest.raises(UnitNotFound):
        indicators.neighbours(q, "ML000000000")


def test_commune_profile(layers):
    p = indicators.unit_profile(layers, "ML090101")
    assert (p["type"], p["name"], p["area_km2"], p["pop_estimate"], p["density_per_km2"]) == (
        "commune",
        "Commune I",
        2.0,
        10000,
        5000.0,
    )
    by_kind = {row["kind"]: row for row in p["facilities_by_kind"]}
    assert by_kind["cscom"] == {"kind": "cscom", "count": 1, "per_10k": 1.0}
    assert p["facilities_total"] == 3
    assert [c["name"] for c in p["children"]] == ["Faladjè", "Niaréla"]
    assert p["children"][0]["counts"] == {"cscom": 1, "pharmacy": 1}
    assert [n["pcode"] for n in p["neighbours"]] == ["ML090102"]
    assert [f["facility_id"] for f in p["qa_findings"]] == ["sante-0001"]
    assert p["parent"] is None and p["pop_2009"] == 4000


def test_quartier_profile(layers):
    p = indicators.unit_profile(layers, "ML090101001", level="quartiers")
    assert p["type"] == "quartier" and p["parent"] == {"pcode": "ML090101", "name": "Commune I"}
    assert [f["name"] for f in p["facilities"]] == ["ASACOFA", "Pharmacie <b>Kanu</b>"]
    assert p["pop_method"] == "dasymetric" and p["pop_year"] == 2022
    with pytest.raises(UnitNotFound):
        indicators.unit_profile(layers, "ML090101001", level="communes")


def test_facility_profile(layers):
    p = indicators.facility_profile(layers, "sante-0001")
    assert p["name"] == "Pharmacie <b>Kanu</b>" and p["kind"] == "pharmacy"
    assert p["quartier"] == {"pcode": "ML090101001", "name": "Faladjè"}
    assert p["commune"] == {"pcode": "ML090101", "name": "Commune I"}
    assert 12.0 < p["lat"] < 13.5 and -9.0 < p["lon"] < -7.0
    assert p["qa_findings"][0]["check"] == "duplicate" and p["beds"] is None
    claec = indicators.facility_profile(layers, "lieu-claec-commune-ii")
    assert claec["quartier"] is None and claec["commune"]["name"] == "Commune II"
    with pytest.raises(FacilityNotFound):
        indicators.facility_profile(layers, "nope")
