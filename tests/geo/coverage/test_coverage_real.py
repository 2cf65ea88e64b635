"""Integration: the coverage analysis on the store built from the real sources (needs BAMAKO_ATLAS_MIRROR)."""

from __future__ import annotations

import numpy as np
import pytest

from geo.analysis.coverage import (
    Scenario,
    catchments,
    compare,
    coverage_table,
    default_specs,
    facility_points,
    population_grid,
    rank_gaps,
)
from geo.store import open_store

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def atlas(real_store):
    return open_store(real_store)


@pytest.fixture(scope="module")
def grid(atlas):
    return population_grid(atlas["quartiers"], atlas["facilities"], cell_m=100)


def test_grid_conserves_every_quartier_estimate(atlas, grid):
    quartiers = atlas["quartiers"].sort_values("pcode")
    assert grid.method == quartiers["pop_method"].iloc[0]
    assert 23_000 < len(grid) < 27_000
    np.testing.assert_allclose(grid.unit_pop, quartiers["pop_estimate"].to_numpy(dtype=float), rtol=1e-9)
    assert grid.pop.sum() == pytest.approx(4_227_569, rel=1e-12)
    assert set(np.unique(grid.unit)) == set(range(71))


def test_default_table_covers_every_kind_threshold_and_unit(atlas, grid):
    table = coverage_table(grid, atlas["facilities"])
    assert len(table) == sum(len(s.thresholds_m) for s in default_specs()) * (71 + 6 + 1)
    district = table[table["unit"] == "district"].set_index(["kind", "threshold_m"])
    cscom = district.loc["cscom"]
    assert cscom["share_covered"].is_monotonic_increasing
    assert cscom.loc[5000.0, "share_covered"] > 0.99  # the District is about 25 km across
    assert 0.5 < cscom.loc[1000.0, "share_covered"] < 0.95
    np.testing.assert_allclose(district["pop"], 4_227_569)
    # two CLAEC are placed only to their commune: part of the cover rests on them
    assert district.loc[("claec", 2000.0), "share_depending_on_approximate"] > 0
    sports = table[(table["kind"] == "sports") & (table["unit"] == "quartier")]
    assert not sports["has_facility_data"].all()  # the sports list is partial
    assert table[table["kind"] == "cscom"]["has_facility_data"].all()  # CSCOM were surveyed everywhere


def test_catchments_and_scenario_on_the_real_store(atlas, grid):
    fac = atlas["facilities"]
    areas = catchments(grid, facility_points(fac, "cscom"))
    assert areas["pop_served"].sum() == pytest.approx(4_227_569)
    assert areas["area_km2"].sum() == pytest.approx(245.5, abs=0.5)
    gap = rank_gaps(coverage_table(grid, fac)).query("unit == 'quartier' and kind == 'cscom' and threshold_m == 1000")
    worst = gap.iloc[0]["pcode"]
    cells = grid.unit == list(grid.quartier_pcodes).index(worst)
    x, y = grid.x[cells][np.argmax(grid.pop[cells])], grid.y[cells][np.argmax(grid.pop[cells])]
    from pyproj import Transformer

    lon, lat = Transformer.from_crs("EPSG:32629", "EPSG:4326", always_xy=True).transform(x, y)
    out = compare(grid, fac, "cscom", Scenario(add=[(lon, lat)]), threshold_m=1000, unit="quartier")
    row = out.set_index("pcode").loc[worst]
    assert row["pop_covered_after"] > row["pop_covered_before"]
    assert (out["pop_covered_change"] >= -1e-6).all()
