"""Road layer imports: the highway=* ways of a hand-written .osm file become the layer travel time follows."""

from __future__ import annotations

from contextlib import closing

import geopandas as gpd
import pytest
from shapely.geometry import LineString

from geo.analysis.coverage import FacilityPoints, population_grid
from geo.analysis.travel import cached_network, travel_time
from geo.errors import InvalidParameter
from geo.planning.edits.db import connect
from geo.planning.imports import (
    Budget,
    commit,
    current_road_layer,
    load_import,
    parse_and_preview,
    parse_upload,
    preview,
    road_layer_info,
    road_layer_version,
    save_preview,
)
from geo.planning.imports import roads as roads_module
from geo.planning.imports.roads import road_rows
from geo.vocabulary import STORE_CRS
from tests.conftest import X0, Y0
from tests.geo.imports.samples import ll

# The tiny District is 3 km × 1 km from (X0, Y0) (UTM 29N). Hand-written OpenStreetMap XML: a primary avenue
# along y = 550 m, a residential street across it at x = 500 m, a footway, a building outline (not a road),
# a primary road far outside the District and a proposed road (no road class).
_NODES = {1: (50, 550), 2: (2950, 550), 3: (500, 50), 4: (500, 950), 5: (700, 700), 6: (900, 900)}


def _osm(name: str = "Avenue de l'Indépendance") -> bytes:
    nodes = "\n".join(
        '  <node id="{}" version="1" lat="{:.7f}" lon="{:.7f}"/>'.format(i, *reversed(ll(*xy)))
        for i, xy in _NODES.items()
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
{nodes}
  <node id="7" version="1" lat="12.0" lon="-7.0"/>
  <node id="8" version="1" lat="12.0" lon="-7.01"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/><tag k="name" v="{name}"/></way>
  <way id="11" version="1"><nd ref="3"/><nd ref="4"/><tag k="highway" v="residential"/></way>
  <way id="12" version="1"><nd ref="5"/><nd ref="6"/><tag k="highway" v="footway"/></way>
  <way id="13" version="1"><nd ref="3"/><nd ref="5"/><nd ref="6"/><nd ref="3"/><tag k="building" v="yes"/></way>
  <way id="14" version="1"><nd ref="7"/><nd ref="8"/><tag k="highway" v="primary"/></way>
  <way id="15" version="1"><nd ref="5"/><nd ref="4"/><tag k="highway" v="proposed"/></way>
</osm>
""".encode()


def test_the_highway_ways_of_an_extract_are_read_as_road_rows(quartiers):
    parsed = parse_upload(_osm(), "bamako.osm", quartiers=quartiers, target="roads")
    assert parsed.target == "roads" and parsed.format == "osm" and "ODbL" in parsed.licence
    assert [r["line"] for r in parsed.rows] == ["osm:way/10", "osm:way/11", "osm:way/12"]
    assert [r["fields"]["highway"] for r in parsed.rows] == ["primary", "residential", "footway"]
    assert parsed.rows[0]["fields"]["name"] == "Avenue de l'Indépendance"
    assert parsed.rows[0]["coords"] == [list(map(lambda v: round(v, 7), ll(50, 550))),
                                         list(map(lambda v: round(v, 7), ll(2950, 550)))]  # fmt: skip
    assert parsed.skipped == {"not_a_road": 1, "outside_district": 1}
    assert parsed.errors == []
    assert preview(parsed, None).duplicates == [] and preview(parsed, None).summary()["target"] == "roads"


def test_a_way_without_a_line_is_a_row_error_naming_it(quartiers):
    ways = gpd.GeoDataFrame(
        {"ref": ["osm:way/1", "osm:way/2"], "highway": ["primary", "primary"], "name": ["", ""]},
        geometry=[LineString([ll(50, 550), ll(900, 550)]), LineString()],
        crs=STORE_CRS,
    )
    rows, errors, _ = road_rows(ways, quartiers=quartiers)
    assert [r["line"] for r in rows] == ["osm:way/1"]
    assert [(e.line, e.field, e.problem_code) for e in errors] == [("osm:way/2", "geometry", "invalid_geometry")]


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"name,kind,lat,lon\n", "roads.csv", "roads_need_osm"),
        (b"<osm version='0.6'><node id='1' lat='x'", "cut.osm", "unreadable_osm"),
        (b"not xml at all", "roads.osm", "unreadable_osm"),
        (b"  ", "roads.osm", "empty_file"),
        (b"<?xml version='1.0'?><osm version='0.6'></osm>", "none.osm", "no_roads"),
    ],
)
def test_bad_road_files_are_refused_naming_the_file(quartiers, data, filename, code):
    with pytest.raises(InvalidParameter) as info:
        parse_upload(data, filename, quartiers=quartiers, target="roads")
    assert info.value.code == code and filename in info.value.message


def test_an_unknown_target_is_refused(quartiers):
    with pytest.raises(InvalidParameter, match="allowed: facilities, roads") as info:
        parse_upload(_osm(), "bamako.osm", quartiers=quartiers, target="rivers")
    assert info.value.parameter == "target"


def test_too_many_road_ways_are_refused(quartiers):
    with pytest.raises(InvalidParameter, match="3 road ways, more than the 2") as info:
        parse_upload(_osm(), "bamako.osm", quartiers=quartiers, target="roads", max_rows=2)
    assert info.value.code == "too_many_rows"


def _import(edit_store, quartiers, data: bytes, *, user: str = "awa") -> str:
    pv = parse_and_preview(data, "bamako.osm", quartiers=quartiers, existing=None, target="roads")
    import_id = save_preview(edit_store.path, pv, user=user)
    return import_id


def test_a_committed_import_becomes_the_road_layer_travel_time_follows(edit_store, quartiers, layers):
    assert current_road_layer(edit_store.path) is None
    import_id = _import(edit_store, quartiers, _osm())
    assert load_import(edit_store.path, import_id).preview.target == "roads"
    assert current_road_layer(edit_store.path) is None  # nothing before the commit
    refs = commit(import_id, edit_store, "awa")
    assert refs == ["osm:way/10", "osm:way/11", "osm:way/12"]
    assert load_import(edit_store.path, import_id).status == "committed"
    layer = current_road_layer(edit_store.path)
    assert layer.version == import_id == road_layer_version(edit_store.path) and len(layer) == 3
    assert road_layer_info(edit_store.path)["ways"] == 3 and road_layer_info(edit_store.path)["user"] == "awa"
    assert len(edit_store.current()) == len(layers["facilities"])  # no facility added

    grid = population_grid(layers["quartiers"], layers["facilities"], cell_m=100)
    origin = FacilityPoints.from_xy([X0 + 50], [Y0 + 550])
    network = cached_network(grid, mode="moto", roads=layer)
    minutes = travel_time(network, grid, origin).minutes
    far = int(((grid.x - X0 - 2950) ** 2 + (grid.y - Y0 - 550) ** 2).argmin())
    assert minutes[far] == pytest.approx(2900 * 3.6 / 30 / 60, rel=1e-6)  # 2 900 m of avenue at 30 km/h: 5.8 min

    # a second import replaces the layer: a new version, a new network; the old ways are gone
    second = _import(edit_store, quartiers, _osm(name="Avenue du Mali"))
    commit(second, edit_store, "awa")
    replaced = current_road_layer(edit_store.path)
    assert replaced.version == second and replaced.lines["name"].iloc[0] == "Avenue du Mali"
    assert cached_network(grid, mode="moto", roads=replaced) is not network
    with closing(connect(edit_store.path)) as conn:  # SQLite or PostgreSQL
        assert conn.execute("SELECT COUNT(*) FROM road_ways").fetchone()[0] == 3


def test_a_commit_killed_midway_leaves_the_previous_layer_whole(edit_store, quartiers, monkeypatch):
    first = _import(edit_store, quartiers, _osm())
    commit(first, edit_store, "awa")
    second = _import(edit_store, quartiers, _osm(name="Avenue du Mali"))
    real = roads_module.write_road_layer

    def dies(conn, *args, **kwargs):
        real(conn, *args, **kwargs)  # every row written inside the transaction, then the process "dies"
        raise KeyboardInterrupt

    monkeypatch.setattr(roads_module, "write_road_layer", dies)
    with pytest.raises(KeyboardInterrupt):
        commit(second, edit_store, "awa")
    assert load_import(edit_store.path, second).status == "previewed"
    layer = current_road_layer(edit_store.path)
    assert layer.version == first and len(layer) == 3
    assert layer.lines["name"].iloc[0] == "Avenue de l'Indépendance"
    monkeypatch.setattr(roads_module, "write_road_layer", real)
    commit(second, edit_store, "awa")  # the claim was released: it can be committed again
    assert current_road_layer(edit_store.path).version == second


def test_the_command_line_imports_a_road_layer(tmp_path, monkeypatch):
    from geo.planning import accounts
    from geo.store import write_store
    from tests.conftest import tiny_layers
    from tests.geo.imports.test_imports_cli import META, db, run

    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    home = tmp_path / "home"
    write_store(home / "atlas.gpkg", tiny_layers(), META)
    accounts.create_user(db(home), "awa", "editor", "correct horse battery")
    path = tmp_path / "bamako.osm"
    path.write_bytes(_osm())
    result = run(home, str(path), "--user", "awa", "--target", "roads", "--yes")
    assert result.exit_code == 0, result.output
    assert "couche de routes de 3 voie(s)" in result.output and "not_a_road" in result.output
    assert len(current_road_layer(db(home))) == 3
    csv = tmp_path / "roads.csv"
    csv.write_bytes(b"name,kind,lat,lon\n")
    refused = run(home, str(csv), "--user", "awa", "--target", "roads", "--yes")
    assert refused.exit_code != 0 and "roads.csv" in refused.output and "OpenStreetMap" in refused.output


def _many_ways(n: int) -> bytes:
    """An extract of ``n`` two-node residential streets across the tiny District."""
    nodes = "".join(
        '<node id="{}" version="1" lat="{:.7f}" lon="{:.7f}"/>'.format(i, *reversed(ll(10 + (i % 2900), 100 + i % 800)))
        for i in range(1, 2 * n + 1)
    )
    ways = "".join(
        f'<way id="{k}" version="1"><nd ref="{2 * k - 1}"/><nd ref="{2 * k}"/><tag k="highway" v="residential"/></way>'
        for k in range(1, n + 1)
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><osm version="0.6">{nodes}{ways}</osm>'.encode()


@pytest.mark.parametrize(
    ("budget", "code", "says"),
    [
        (Budget(seconds=0.3, memory_mb=1536), "import_too_slow", "IMPORT_SECONDS"),
        (Budget(seconds=120.0, memory_mb=40), "import_too_large_in_memory", "IMPORT_MEMORY_MB"),
    ],
)
def test_a_road_extract_over_its_budget_is_refused_and_nothing_is_written(edit_store, quartiers, budget, code, says):
    data = _many_ways(40_000)
    with pytest.raises(InvalidParameter) as info:
        parse_and_preview(data, "big.osm", quartiers=quartiers, existing=None, target="roads", budget=budget)
    assert (info.value.parameter, info.value.code) == ("file", code)
    assert "big.osm" in info.value.message and says in info.value.message
    assert current_road_layer(edit_store.path) is None
