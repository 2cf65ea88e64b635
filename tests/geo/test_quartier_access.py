"""A quartier's access summary: coverage at 1/2/5 km per kind group and its nearest facilities (tiny atlas)."""

from __future__ import annotations

import pytest

from geo.analysis.coverage.service import CoverageState
from geo.analysis.coverage.unit_summary import SUMMARY_THRESHOLDS_M, quartier_access
from geo.errors import UnitNotFound
from geo.store import open_store
from geo.vocabulary import KIND_GROUPS


def test_the_summary_has_every_kind_group_at_every_distance(tiny_store):
    state = CoverageState(open_store(tiny_store))
    summary = quartier_access(state, "ML090101001")
    assert [row["kind"] for row in summary["coverage"]] == list(KIND_GROUPS)
    assert summary["thresholds_m"] == [float(t) for t in SUMMARY_THRESHOLDS_M]
    cscom = summary["coverage"][0]
    assert len(cscom["shares"]) == 3 and all(0 <= s <= 1 for s in cscom["shares"])
    assert cscom["shares"] == sorted(cscom["shares"])  # farther never covers fewer
    nearest = summary["nearest"][0]["facilities"]
    assert nearest[0]["id"] == "dnacpn-01" and 0 <= nearest[0]["distance_m"] < 1000
    lon, lat = summary["centre"]
    assert -8.1 < lon < -7.8 and 12.5 < lat < 12.8  # WGS 84 degrees, the quartier's own point


def test_an_unknown_quartier_is_named(tiny_store):
    with pytest.raises(UnitNotFound, match="ML099"):
        quartier_access(CoverageState(open_store(tiny_store)), "ML099")
