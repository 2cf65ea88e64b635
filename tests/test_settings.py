"""Every declared setting changes something one can observe, through the web app, the CLI or the library.

Each effect test is registered with ``@effect(NAME, …)``; the parametrised
``test_every_declared_setting_has_an_effect_test`` fails for a setting of
``geo.settings.SETTINGS`` that no effect test covers.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import request

from geo.errors import ChecksumMismatch, InvalidParameter
from geo.pipeline import sources
from geo.pipeline.build import build_layers
from geo.settings import ENV_PREFIX, SETTINGS, Settings
from tests.backends import app_config, planners_db
from webmap import auth, create_app
from webmap.cli import main

#: Setting name → names of the tests showing its effect.
EFFECTS: dict[str, list[str]] = {}


def effect(*names: str) -> Callable:
    """Register the decorated test as showing the effect of settings ``names``."""

    def register(test: Callable) -> Callable:
        for name in names:
            EFFECTS.setdefault(name, []).append(test.__name__)
        return test

    return register


def _client(tiny_store: Path, **settings):
    app = create_app(app_config(tiny_store, settings=settings, TESTING=True))
    return app.test_client()


def _coverage(client, query: str = "kind=cscom") -> dict:
    resp = client.get(f"/api/v1/coverage?{query}")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


# ------------------------------------------------------------------ resolution
def test_resolution_order_default_then_environment_then_overrides():
    assert Settings.resolve(environ={})["POP_YEAR"] == 2022
    assert Settings.resolve(environ={"BAMAKO_ATLAS_POP_YEAR": "2030"})["POP_YEAR"] == 2030
    assert Settings.resolve({"POP_YEAR": "2031"}, environ={"BAMAKO_ATLAS_POP_YEAR": "2030"})["POP_YEAR"] == 2031
    assert Settings.resolve({"POP_YEAR": None}, environ={})["POP_YEAR"] == 2022  # None: not overridden


def test_bad_values_are_refused_naming_the_variable():
    with pytest.raises(InvalidParameter) as exc:
        Settings.resolve(environ={"BAMAKO_ATLAS_COVERAGE_CELL_M": "wide"})
    assert exc.value.parameter == "BAMAKO_ATLAS_COVERAGE_CELL_M" and "'wide'" in str(exc.value)
    with pytest.raises(InvalidParameter) as exc:
        Settings.resolve({"POP_YAER": 2030}, environ={})
    assert exc.value.parameter == "ATLAS_SETTINGS" and "POP_YAER" in str(exc.value)


def test_a_bad_setting_stops_the_app_and_the_cli_with_one_line(tiny_store, monkeypatch, tmp_path):
    monkeypatch.setenv("BAMAKO_ATLAS_COVERAGE_THRESHOLDS_M", "cscom=far")
    with pytest.raises(InvalidParameter) as exc:
        create_app({"ATLAS_STORE": str(tiny_store)})
    assert exc.value.parameter == "BAMAKO_ATLAS_COVERAGE_THRESHOLDS_M"
    result = CliRunner().invoke(main, ["data", "status"], env={"BAMAKO_ATLAS_POP_TOTAL": "many"})
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "BAMAKO_ATLAS_POP_TOTAL" in result.output


# --------------------------------------------------------------------- folders
@effect("HOME")
@pytest.mark.gpkg_only("HOME holds atlas.gpkg and edits.sqlite")
def test_home_holds_the_store_and_the_planners_database(tiny_store, tmp_path):
    home = tmp_path / "elsewhere"
    home.mkdir()
    shutil.copy(tiny_store, home / "atlas.gpkg")
    app = create_app({"TESTING": True, "ATLAS_SETTINGS": {"HOME": str(home)}})
    layers = app.test_client().get("/api/v1/layers/communes.geojson").get_json(force=True)
    assert sorted(f["properties"]["pcode"] for f in layers["features"]) == ["ML090101", "ML090102"]
    assert app.config["ATLAS_EDITS_DB"] == str(home / "edits.sqlite")
    result = CliRunner().invoke(main, ["data", "status"], env={"BAMAKO_ATLAS_HOME": str(home)})
    assert result.exit_code == 0 and str(home / "atlas.gpkg") in result.output


@effect("DATABASE")
def test_database_moves_the_store_into_postgresql(tiny_store, tmp_path):
    # Against a live PostGIS: tests/postgis/test_pg_instances.py and test_pg_build_real.py; here, with none reachable,
    # the store is looked for in the database named, not under HOME, and a foreign scheme is refused by name.
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(tiny_store, home / "atlas.gpkg")
    env = {"BAMAKO_ATLAS_HOME": str(home), "BAMAKO_ATLAS_DATABASE": "postgresql://atlas:secret@127.0.0.1:1/atlas"}
    result = CliRunner().invoke(main, ["data", "status"], env=env)
    assert result.exit_code != 0
    assert "cannot connect to the atlas database postgresql://atlas:***@127.0.0.1:1/atlas" in result.output
    assert "secret" not in result.output
    assert CliRunner().invoke(main, ["data", "status"], env={**env, "BAMAKO_ATLAS_DATABASE": ""}).exit_code == 0
    with pytest.raises(InvalidParameter, match="BAMAKO_ATLAS_DATABASE: unknown database scheme 'mysql'"):
        create_app({"TESTING": True, "ATLAS_SETTINGS": {"HOME": str(home), "DATABASE": "mysql://h/db"}})


@effect("MIRROR")
def test_mirror_is_read_before_downloading(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "Vector").mkdir(parents=True)
    (mirror / "Vector" / "admin3_bamako_communes.gpkg").write_bytes(b"not the pinned file")
    settings = Settings.resolve({"MIRROR": str(mirror), "CACHE": str(tmp_path / "cache")}, environ={})
    with pytest.raises(ChecksumMismatch) as exc:  # refused from the mirror, never downloaded
        sources.fetch("communes", settings)
    assert str(mirror) in str(exc.value)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


@effect("CACHE")
def test_cache_serves_a_file_downloaded_before(mirror_dir, tmp_path):
    source = sources.registry()["communes"]
    cache = tmp_path / "cache"
    cache.mkdir()
    shutil.copy(mirror_dir / source.path, cache / source.path.replace("/", "__"))  # as pooch names it
    settings = Settings.resolve({"CACHE": str(cache)}, environ={})  # no mirror: the cache answers, no network
    assert sources.fetch("communes", settings) == cache / source.path.replace("/", "__")


# --------------------------------------------------------------------- web app
@effect("SECRET_KEY")
def test_secret_key_signs_the_sessions(tiny_store, tmp_path):
    app = create_app(app_config(tiny_store, settings={"SECRET_KEY": "s" * 40}))
    assert app.test_client().get("/login").status_code == 200  # the sign-in form signs a session
    assert app.secret_key == "s" * 40 and auth.secret_key(app) == "s" * 40
    assert not (tmp_path / "secret_key").exists()  # no key file generated when the setting gives one


@effect("TRUSTED_PROXIES")
def test_trusted_proxies_give_the_forwarded_client_address(tiny_store):
    def seen(**settings) -> str:
        app = create_app(app_config(tiny_store, settings=settings, TESTING=True))
        app.add_url_rule("/_who", "who", lambda: request.remote_addr)
        client = app.test_client()
        resp = client.get("/_who", headers={"X-Forwarded-For": "203.0.113.9"}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
        return resp.get_data(as_text=True)

    assert seen() == "10.0.0.2"  # default 0: forwarded headers are not believed
    assert seen(TRUSTED_PROXIES=1) == "203.0.113.9"


@effect("BASE_URL")
def test_base_url_starts_every_link_whatever_the_request_host(tiny_store):
    def landing(**settings) -> dict:
        app = create_app(app_config(tiny_store, settings=settings, TESTING=True))
        return app.test_client().get("/ogcapi", headers={"Host": "10.0.0.5:8000"}).get_json()

    assert landing()["links"][0]["href"].startswith("http://10.0.0.5:8000/ogcapi")
    links = [link["href"] for link in landing(BASE_URL="https://sig.example.org/bamako/")["links"]]
    assert all(href.startswith("https://sig.example.org/bamako/") for href in links), links
    app = create_app(app_config(tiny_store, settings={"BASE_URL": "https://sig.example.org/bamako"}, TESTING=True))
    html = app.test_client().get("/bamako/couverture").get_data(as_text=True)  # a proxy that keeps the prefix
    assert 'src="/bamako/vendor/atlas/coverage.js' in html and 'src="/vendor' not in html
    with pytest.raises(InvalidParameter, match="BAMAKO_ATLAS_BASE_URL"):
        landing(BASE_URL="sig.example.org")


@effect("MAX_PLANNER_ROWS")
def test_max_planner_rows_caps_the_planners_creations(blank_db):
    from geo.planning.edits import EditStore
    from tests.conftest import tiny_layers

    layers = tiny_layers()
    store = EditStore(
        blank_db,
        base=layers["facilities"],
        quartiers=layers["quartiers"],
        settings={"MAX_PLANNER_ROWS": 1},
    )
    point = layers["facilities"].geometry.iloc[0]
    store.create(user="ana", fields={"kind": "school", "name": "Une"}, lonlat=(point.x, point.y))
    with pytest.raises(InvalidParameter) as refused:
        store.create(user="ana", fields={"kind": "school", "name": "Deux"}, lonlat=(point.x, point.y))
    assert refused.value.code == "too_many_planner_rows"
    store.close()


def _upload(tiny_store: Path, tmp_path: Path, data: bytes, filename: str, **settings):
    from geo.planning import accounts

    folder = tmp_path / f"upload-{len(list(tmp_path.glob('upload-*')))}"  # a fresh store and planners' database
    folder.mkdir()
    store = Path(shutil.copy(tiny_store, folder / "atlas.gpkg"))
    db = planners_db(store)
    app = create_app(app_config(store, edits_db=db, settings=settings, TESTING=True))
    accounts.create_user(db, "awa", "editor", "a long enough password")
    headers = {"Authorization": f"Bearer {accounts.issue_token(db, 'awa')}", "Accept-Language": "en"}
    return app.test_client().post("/api/v1/imports", data={"file": (io.BytesIO(data), filename)}, headers=headers)


@effect("IMPORT_SECONDS")
def test_import_seconds_stops_a_slow_import(tiny_store, tmp_path):
    from tests.geo.imports.samples import csv_bytes, ll

    lon, lat = ll(500, 500)
    data = csv_bytes([[f"S{i}", "school", f"{lat:.6f}", f"{lon:.6f}"] for i in range(50_000)])
    assert _upload(tiny_store, tmp_path, data, "big.csv").status_code == 201  # default: 60 s
    resp = _upload(tiny_store, tmp_path, data, "big.csv", IMPORT_SECONDS=0.3)
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert (error["field"], error["code"]) == ("file", "import_too_slow")
    assert "took longer than allowed" in error["message"]


@effect("IMPORT_MEMORY_MB")
def test_import_memory_mb_refuses_an_import_needing_more(tiny_store, tmp_path):
    from tests.geo.imports.samples import ll, osm_xml

    lon, lat = ll(500, 500)
    data = osm_xml([(1, lon, lat, {"amenity": "school", "name": "École A"})])  # GDAL's OSM reader takes ~400 MB
    assert _upload(tiny_store, tmp_path, data, "one.osm").status_code == 201  # default: 1536 MB
    resp = _upload(tiny_store, tmp_path, data, "one.osm", IMPORT_MEMORY_MB=40)
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert (error["field"], error["code"]) == ("file", "import_too_large_in_memory")
    assert "more memory than allowed" in error["message"]


# ------------------------------------------------------------------ population
@effect("POP_YEAR", "POP_TOTAL", "POP_METHOD", "POP_COMMUNE_METHOD")
@pytest.mark.integration
def test_population_settings_drive_the_build(mirror_dir):
    settings = Settings.resolve(
        {"POP_YEAR": 2030, "POP_TOTAL": 5_000_000, "POP_METHOD": "areal", "POP_COMMUNE_METHOD": "uniform"},
        environ={},
    )
    layers, *_ = build_layers(sources.fetch_all({"MIRROR": str(mirror_dir)}), settings)
    communes, quartiers = layers["communes"], layers["quartiers"]
    assert communes["pop_estimate"].sum() == 5_000_000 and set(communes["pop_year"]) == {2030}
    assert (communes["pop_estimate"] == communes["pop_uniform"]).all()
    assert set(communes["pop_commune_method"]) == {"uniform"}
    assert set(quartiers["pop_method"]) == {"areal"}
    assert quartiers["pop_estimate"].sum() == 5_000_000


@effect("POP_YEAR", "POP_TOTAL")
def test_package_readme_states_the_population_settings_when_the_store_does_not(tiny_store):
    client = _client(tiny_store, POP_YEAR=2030, POP_TOTAL=5_000_000)  # the tiny store records no population
    archive = zipfile.ZipFile(io.BytesIO(client.get("/api/v1/package.zip?lang=en").data))
    readme = next(archive.read(n).decode() for n in archive.namelist() if n.endswith("README.md"))
    assert "2030" in readme and "5 000 000" in readme


# -------------------------------------------------------------------- coverage
@effect("COVERAGE_CELL_M")
def test_cell_size_sets_the_coverage_grid(tiny_store):
    assert _coverage(_client(tiny_store))["method"]["cell_m"] == 100
    doc = _coverage(_client(tiny_store, COVERAGE_CELL_M=250))
    assert doc["method"]["cell_m"] == 250
    assert doc["district"]["pop"] == 15000  # the people are the same, on coarser cells


@effect("COVERAGE_CELL_M")
def test_cell_size_reaches_the_map_coverage_indicators(tiny_store):
    def shares(client) -> list:
        return client.get("/api/v1/map-data.json").get_json(force=True)["ind"]["cover1km:cscom"]["v"]

    assert shares(_client(tiny_store)) == [100.0, 48.0, 0.0]  # on 100 m cells
    assert shares(_client(tiny_store, COVERAGE_CELL_M=700)) == [100.0, 0.0, 0.0]  # on 700 m cells


@effect("COVERAGE_WALK_SPEED_KMH", "COVERAGE_DETOUR")
def test_walking_assumptions_set_the_walking_times(tiny_store):
    default = _coverage(_client(tiny_store), "kind=cscom&threshold_m=1000")
    assert default["method"]["walk_min_at_threshold"] == pytest.approx(19.5)  # 1 km × 1.3 at 4 km/h
    client = _client(tiny_store, COVERAGE_WALK_SPEED_KMH=5.0, COVERAGE_DETOUR=1.0)
    doc = _coverage(client, "kind=cscom&threshold_m=1000")
    assert doc["method"]["walk_min_at_threshold"] == pytest.approx(12.0)
    unit = next(u for u in doc["units"] if u["median_distance_m"])
    assert unit["median_walk_min"] == pytest.approx(unit["median_distance_m"] / 5000 * 60, abs=0.1)
    page = client.get("/couverture").get_data(as_text=True)
    assert '"speed": 5.0' in page and '"detour": 1.0' in page


@effect("COVERAGE_THRESHOLDS_M")
def test_thresholds_set_the_default_of_the_web_view(tiny_store, monkeypatch):
    assert _coverage(_client(tiny_store))["threshold_m"] == 2000
    assert _coverage(_client(tiny_store, COVERAGE_THRESHOLDS_M="cscom=500"))["threshold_m"] == 500
    monkeypatch.setenv("BAMAKO_ATLAS_COVERAGE_THRESHOLDS_M", "cscom=500,750,3000")
    client = _client(tiny_store)
    assert _coverage(client)["threshold_m"] == 750
    assert '"default_m": 750.0' in client.get("/couverture").get_data(as_text=True)


@effect("TRAVEL_SEASON")
def test_travel_season_opens_the_causeway_in_the_dry_season():
    from geo.analysis.coverage import FacilityPoints
    from geo.analysis.travel import build_network, travel_time
    from tests.geo.travel.test_travel import BRIDGE, CAUSEWAY, X0, Y0, _at, _river

    grid = _river()  # a bridge 1.3 km east of the facility, the causeway 50 m west
    facility = FacilityPoints.from_xy([X0 + 250], [Y0 + 50])

    def minutes_across(season: str) -> float:
        network = build_network(
            grid, crossings=(BRIDGE, CAUSEWAY), settings=Settings.resolve({"TRAVEL_SEASON": season})
        )
        return float(travel_time(network, grid, facility).minutes[_at(grid, 3, 2)])

    assert minutes_across("wet") == pytest.approx(50.37, abs=0.01)  # round by the bridge
    assert minutes_across("dry") == pytest.approx(5.85, abs=0.01)  # straight over the causeway
    with pytest.raises(InvalidParameter, match="allowed: wet, dry"):
        minutes_across("monsoon")


@effect("TRAVEL_THRESHOLDS_MIN")
def test_travel_thresholds_set_the_rows_of_the_travel_time_table():
    from geo.analysis.coverage import population_grid
    from geo.analysis.travel import travel_coverage_table
    from tests.geo.coverage.synthetic import facilities, strips

    fac = facilities([("c1", "cscom", 250, 50, "exact", "ML090101001", "ML090101")])
    grid = population_grid(strips(), fac, cell_m=100)  # one bank: no river, no crossing needed

    def thresholds(value: str | None) -> list[float]:
        table = travel_coverage_table(
            grid, fac, ["cscom"], units=["district"], settings=Settings.resolve({"TRAVEL_THRESHOLDS_MIN": value})
        )
        return table["threshold_min"].tolist()

    assert thresholds(None) == [10.0, 15.0, 30.0, 60.0]
    assert thresholds("45,5") == [5.0, 45.0]


@effect("COVERAGE_NORMS_PER_10K")
def test_norms_flag_units_below_them_in_the_coverage_api(tiny_store):
    units = _coverage(_client(tiny_store), "kind=cscom&threshold_m=1000")["units"]
    assert {u["norm_per_10k"] for u in units} == {1.0}
    strict = _coverage(_client(tiny_store, COVERAGE_NORMS_PER_10K="cscom=1000"), "kind=cscom&threshold_m=1000")
    assert all(u["below_norm"] and u["facilities_missing"] > 0 for u in strict["units"] if u["pop"])
    other = _coverage(_client(tiny_store, COVERAGE_NORMS_PER_10K="claec=1"), "kind=cscom&threshold_m=1000")
    assert all("below_norm" not in u for u in other["units"])


# ------------------------------------------------------------------------ meta
@pytest.mark.parametrize("name", [s.name for s in SETTINGS])
def test_every_declared_setting_has_an_effect_test(name):
    assert EFFECTS.get(name), f"no test shows the effect of {ENV_PREFIX}{name}: add one marked @effect({name!r})"
