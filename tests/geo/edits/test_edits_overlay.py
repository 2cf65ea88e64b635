"""current(): the edits laid over the built facilities; conflicts() after a rebuild; resolve()."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from geo.planning.edits import EditStore
from geo.vocabulary import FACILITY_COLUMNS
from tests.conftest import X0, Y0
from tests.geo.edits.conftest import utm_lonlat


def test_without_edits_current_is_the_base_with_version_1(store, layers):
    base = layers["facilities"]
    now = store.current()
    assert list(now.columns) == [*FACILITY_COLUMNS, "version", "geometry"]
    assert now.crs == base.crs and (now["version"] == 1).all()
    assert now.drop(columns="version").equals(base.reset_index(drop=True))


def test_current_applies_updates_moves_creations_and_retirements(store, layers, inside):
    base = layers["facilities"]
    store.update("dnacpn-01", user="a", version=1, fields={"name": "ASACOFA II", "beds": 20})
    store.update("educ-0001", user="a", version=1, fields={}, lonlat=utm_lonlat(2600, 600))
    store.retire("lieu-stade", user="a", version=1, reason="gone")
    created = store.create(user="a", fields={"kind": "plateau_sportif", "name": "Plateau"}, lonlat=inside)
    now = store.current().set_index("id")
    assert list(now.index) == ["dnacpn-01", "sante-0001", "educ-0001", "lieu-claec-commune-ii", created["id"]]
    assert (now.loc["dnacpn-01", "name"], now.loc["dnacpn-01", "beds"], now.loc["dnacpn-01", "version"]) == (
        "ASACOFA II",
        20,
        2,
    )
    moved = now.loc["educ-0001"]
    assert (moved["quartier_pcode"], moved["commune_pcode"], moved["join_status"]) == (
        "ML090102001",
        "ML090102",
        "inside",
    )
    assert now.loc[created["id"], "quartier_pcode"] == "ML090101002"
    untouched = base.set_index("id").loc["sante-0001"]
    assert now.loc["sante-0001"].drop(["version"]).equals(untouched)


def test_rebuild_keeps_planner_values_and_lists_conflicts(tmp_path, layers):
    store = EditStore(tmp_path / "e.sqlite", base=layers["facilities"], quartiers=layers["quartiers"])
    store.update("dnacpn-01", user="a", version=1, fields={"name": "ASACOFA (corrected)"})
    store.update("educ-0001", user="a", version=1, fields={"pupils": 300})
    store.update("sante-0001", user="a", version=1, fields={}, lonlat=utm_lonlat(560, 540))
    assert store.conflicts() == []

    rebuilt = layers["facilities"].copy()
    rebuilt.loc[rebuilt["id"] == "dnacpn-01", ["name", "note"]] = ["ASACOFA Faladjè", "new source note"]
    rebuilt.loc[rebuilt["id"] == "sante-0001", "geometry"] = gpd.GeoSeries(
        [Point(*utm_lonlat(530, 500))], crs=rebuilt.crs
    ).values
    rebuilt = rebuilt[rebuilt["id"] != "educ-0001"]  # the source dropped it
    store.attach(base=rebuilt)

    now = store.current().set_index("id")
    assert now.loc["dnacpn-01", "name"] == "ASACOFA (corrected)"  # the planner's value stays
    assert now.loc["dnacpn-01", "note"] == "new source note"  # unedited fields follow the sources
    assert now.loc["educ-0001", "pupils"] == 300 and now.loc["educ-0001", "name"] == "École Niaréla"
    assert now.loc["sante-0001"].geometry.x == pytest.approx(utm_lonlat(560, 540)[0])

    found = {(c["facility_id"], c["problem"], c["field"]): c for c in store.conflicts()}
    assert set(found) == {
        ("dnacpn-01", "source_changed", "name"),
        ("educ-0001", "vanished", None),
        ("sante-0001", "source_changed", "position"),
    }
    name = found[("dnacpn-01", "source_changed", "name")]
    assert (name["seen"], name["source"], name["planner"]) == ("ASACOFA", "ASACOFA Faladjè", "ASACOFA (corrected)")


def test_resolve_a_conflict_either_way(tmp_path, layers):
    store = EditStore(tmp_path / "e.sqlite", base=layers["facilities"], quartiers=layers["quartiers"])
    store.update("dnacpn-01", user="a", version=1, fields={"name": "Mine", "beds": 5})
    store.update("educ-0001", user="a", version=1, fields={"pupils": 300})
    rebuilt = layers["facilities"].copy()
    rebuilt.loc[rebuilt["id"] == "dnacpn-01", ["name", "beds"]] = ["Theirs", 7.0]
    store.attach(base=rebuilt[rebuilt["id"] != "educ-0001"])
    assert len(store.conflicts()) == 3

    store.resolve("dnacpn-01", "name", user="admin", version=2, take="planner")
    store.resolve("dnacpn-01", "beds", user="admin", version=3, take="source")
    store.resolve("educ-0001", None, user="admin", version=2, take="planner")
    assert store.conflicts() == []
    now = store.current().set_index("id")
    assert (now.loc["dnacpn-01", "name"], now.loc["dnacpn-01", "beds"]) == ("Mine", 7)
    assert now.loc["educ-0001", "pupils"] == 300
    assert store.history()[0]["action"] == "resolve"


def _synthetic_base(layers, n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(5)
    template = layers["facilities"].iloc[[0]]
    base = template.loc[template.index.repeat(n)].reset_index(drop=True)
    base["id"] = [f"sante-{i:05d}" for i in range(n)]
    xy = gpd.points_from_xy(X0 + rng.uniform(0, 3000, n), Y0 + rng.uniform(0, 1000, n), crs="EPSG:32629")
    base["geometry"] = gpd.GeoSeries(xy).to_crs(base.crs).values
    return gpd.GeoDataFrame(base, crs=layers["facilities"].crs)


def test_current_is_fast_for_2000_facilities_and_300_edits(tmp_path, layers, inside):
    base = _synthetic_base(layers, 2000)
    store = EditStore(tmp_path / "e.sqlite", base=base, quartiers=layers["quartiers"])
    for i in range(0, 200, 2):
        store.update(f"sante-{i:05d}", user="a", version=1, fields={"name": f"renamed {i}"})
        store.update(f"sante-{i + 1:05d}", user="a", version=1, fields={}, lonlat=utm_lonlat(100 + i * 10, 300))
    store.apply_rows(
        [{"kind": "claec", "name": f"n{i}", "lonlat": inside} for i in range(100)], user="a", import_id="imp-1"
    )
    store.current()  # first call parses the states
    store.update("sante-01999", user="a", version=1, fields={"beds": 1})  # the stamp moves: parse again
    now = store.current()  # its speed is measured by bench/, not here
    assert len(now) == 2100 and (now["version"] > 1).sum() == 201
