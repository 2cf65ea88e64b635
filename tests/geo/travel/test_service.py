"""The coverage service in minutes on a river with one bridge (``geo.analysis.travel.service``, ``planning``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from geo.analysis.travel.service import MinutesCoverageState
from geo.publication.report import _travel_difference
from geo.settings import resolve
from geo.store import open_store
from tests.geo.travel.river import S_PER_M, _cell, lonlat, write_river_store


@pytest.fixture
def river_store(tmp_path, monkeypatch):
    return write_river_store(tmp_path, monkeypatch)


def test_a_site_across_the_river_is_reached_via_the_bridge(river_store):
    state = MinutesCoverageState(open_store(river_store))
    # a new CSCOM on the right bank, 300 m east of the river
    query = state.parse({"kind": "cscom", "mode": "walk", "minutes": "15", "add": lonlat(2300, 500)})
    surface = state.travel_base(query).surface
    # a left-bank cell 474 m from the new site as the crow flies, 1 358 m from the old CSCOM at (500, 500)
    cell = _cell(state, 1850, 350)
    straight_min = math.hypot(450, 150) * S_PER_M / 60
    old_min = math.hypot(1350, 150) * S_PER_M / 60
    # the new site is still the fastest, over the bridge (opened 150 m either side of y = 950)
    assert surface.index[cell] == len(state.travel_base(query).points) - 1
    via_bridge_min = (math.hypot(150, 450) + math.hypot(300, 300)) * S_PER_M / 60  # crossing at its lowest, y = 800
    assert via_bridge_min * 0.97 <= surface.minutes[cell] < old_min
    assert surface.minutes[cell] > 1.8 * straight_min  # not the straight line
    # before the scenario the old CSCOM, on the same bank, is the fastest at its straight-line walking time
    before = state.before(query).surface
    assert before.minutes[cell] == pytest.approx(old_min, rel=0.03)


def test_the_method_difference_counts_the_river(river_store):
    state = MinutesCoverageState(open_store(river_store), settings=resolve({"COVERAGE_THRESHOLDS_M": "cscom=500"}))
    query = state.parse({"kind": "cscom", "mode": "walk", "add": lonlat(2150, 100)})
    table = state.difference(query)
    commune_i = table.set_index("pcode").loc["ML090101"]
    # east of Niaréla the new site is nearest, but across the river: the old CSCOM is the fastest
    assert commune_i["pop_nearest_changes"] > 0
    assert commune_i["pop_loses"] > 0 and commune_i["pop_gains"] == pytest.approx(0, abs=50)
    assert commune_i["share_covered_travel_time"] < commune_i["share_covered_straight_line"]


@pytest.mark.parametrize("minutes", [3.0, 9.0, 25.0])
def test_the_windowed_incidence_equals_dijkstra_on_the_whole_graph(river_store, minutes):
    from geo.analysis.travel.planning import _dense_incidence, reach_incidence

    state = MinutesCoverageState(open_store(river_store))
    base = state.travel_base(state.parse({"kind": "cscom", "mode": "walk"}))
    cells = np.arange(len(state.grid))
    candidates = cells[::7]
    fast = reach_incidence(base.network, candidates, cells, threshold_s=minutes * 60).toarray().astype(bool)
    assert fast.any() and not fast.all()
    assert np.array_equal(fast, _dense_incidence(base.network, candidates, cells, threshold_s=minutes * 60))


def test_the_report_block_has_a_row_per_commune_and_the_district(river_store):
    lines = _travel_difference(open_store(river_store)).splitlines()
    assert lines[0].startswith("| kind | within | commune |")
    cscom = [line for line in lines if line.startswith("| `cscom` | 2 km / 39.0 min |")]
    assert [line.split(" | ")[2] for line in cscom] == [
        "I",
        "II",
        "**District**",
    ]  # Commune II's P-code is ML090105 here
