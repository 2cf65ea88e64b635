"""The coverage API in minutes: ``mode``, ``minutes``, ``season`` on the tiny atlas, and a river with one bridge.

The tiny atlas (tests/conftest.py) has no right-bank commune, so travel time is the
straight-line walking time on the raster; the river store (tests/geo/travel/river.py)
has a river and one bridge.
"""

from __future__ import annotations

import io

import pytest

from geo.analysis.coverage import walk_minutes
from geo.analysis.travel.service import MinutesCoverageState, parse_travel
from geo.errors import InvalidParameter
from geo.settings import resolve
from geo.store import open_store
from tests.backends import app_config
from tests.geo.travel.river import lonlat, write_river_store
from webmap import create_app


# -------------------------------------------------------------- parameters
def test_no_travel_parameter_keeps_straight_lines():
    assert parse_travel({"kind": "cscom", "threshold_m": "1000"}, resolve()) is None


def test_minutes_alone_mean_walking_and_default_minutes_come_from_the_setting():
    travel = parse_travel({"minutes": "20"}, resolve())
    assert (travel.mode, travel.season, travel.minutes) == ("walk", "wet", 20.0)
    assert parse_travel({"mode": "walk"}, resolve()).minutes == 15.0
    assert parse_travel({"mode": "walk"}, resolve({"TRAVEL_THRESHOLDS_MIN": "5,45"})).minutes == 5.0


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("mode=rocket", "mode"),
        ("mode=moto", "mode"),  # no road layer in the store
        ("mode=walk&minutes=0", "minutes"),
        ("mode=walk&minutes=601", "minutes"),
        ("mode=walk&minutes=abc", "minutes"),
        ("mode=walk&season=monsoon", "season"),
        ("mode=walk&threshold_m=1000", "threshold_m"),
    ],
)
def test_bad_travel_parameters_are_400s_naming_the_parameter(client, query, parameter):
    for path in ("/api/v1/coverage.json", "/api/v1/coverage/suggest.json", "/api/v1/coverage/catchments"):
        response = client.get(f"{path}?kind=cscom&{query}")
        assert response.status_code == 400, (path, query)
        assert parameter in response.get_data(as_text=True)


# --------------------------------------------------------------------- API
def test_json_in_minutes_states_its_method_and_ranges(client):
    doc = client.get("/api/v1/coverage.json?kind=cscom&mode=walk&minutes=15&unit=commune").get_json()
    assert doc["method"]["name"] == "travel_time"
    assert (doc["method"]["mode"], doc["method"]["season"]) == ("walk", "wet")
    assert doc["method"]["speeds"] == {"walk_kmh": 4.0, "offroad_detour": 1.3}
    assert (doc["mode"], doc["minutes"], doc["threshold_m"]) == ("walk", 15, None)
    assert sorted(u["pcode"] for u in doc["units"]) == ["ML090101", "ML090102"]
    commune_i = next(u for u in doc["units"] if u["pcode"] == "ML090101")
    assert commune_i["method"] == "travel_time" and commune_i["threshold_min"] == 15
    assert commune_i["share_covered_low"] <= commune_i["share_covered"] <= commune_i["share_covered_high"]
    assert "share_covered_uniform_in_quartier" in commune_i
    # 15 min walking is 769 m: less than the straight-line 1 km, so no more people than within 1 km
    straight = client.get("/api/v1/coverage.json?kind=cscom&threshold_m=1000&unit=commune").get_json()
    assert straight["method"]["name"] == "straight_line" and straight["threshold_m"] == 1000
    straight_i = next(u for u in straight["units"] if u["pcode"] == "ML090101")
    assert 0 < commune_i["pop_covered"] < straight_i["pop_covered"]
    assert doc["links"]["csv"].startswith("/api/v1/coverage.csv?kind=cscom&mode=walk&season=wet&minutes=15")


def test_walking_minutes_match_the_straight_line_without_a_river(client):
    minutes = float(walk_minutes(1000.0))
    travel = client.get(f"/api/v1/coverage.json?kind=cscom&mode=walk&minutes={minutes}&unit=district").get_json()
    straight = client.get("/api/v1/coverage.json?kind=cscom&threshold_m=1000&unit=district").get_json()
    # the 16-neighbour raster metric is within 2.7 % of the straight line
    assert travel["district"]["share_covered"] == pytest.approx(straight["district"]["share_covered"], abs=0.05)


def test_csv_in_minutes_carries_the_method_on_every_row(client):
    response = client.get("/api/v1/coverage.csv?kind=cscom&mode=walk&minutes=10")
    assert response.status_code == 200
    assert (
        "attachment" in response.headers["Content-Disposition"] and "10min" in response.headers["Content-Disposition"]
    )
    header, *rows = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    columns = header.split(",")
    assert {"method", "mode", "season", "threshold_min", "share_covered_low"} <= set(columns)
    assert len(rows) == 3 and all(r.split(",")[columns.index("method")] == "travel_time" for r in rows)


def test_a_scenario_in_minutes_compares_before_and_after(client):
    add = lonlat(2500, 500)
    doc = client.get(f"/api/v1/coverage.json?kind=cscom&mode=walk&minutes=15&add={add}").get_json()
    dar_salam = next(u for u in doc["units"] if u["pcode"] == "ML090102001")
    assert dar_salam["pop_covered_before"] == 0
    assert dar_salam["pop_covered_change"] == dar_salam["pop_covered"] > 0
    assert dar_salam["facilities"] == 1 and dar_salam["facilities_before"] == 0
    assert doc["scenario"]["add"][0]["quartier_pcode"] == "ML090102001"


def test_suggest_in_minutes_picks_the_uncovered_quartier(client):
    doc = client.get("/api/v1/coverage/suggest.json?kind=cscom&mode=walk&minutes=15&k=2").get_json()
    assert doc["method"]["name"] == "travel_time" and doc["minutes"] == 15
    first = doc["sites"][0]
    assert first["gain"] > 0 and first["quartier_pcode"] in ("ML090101002", "ML090102001")
    assert doc["uncovered_before"] > first["gain"]
    csv = client.get("/api/v1/coverage/suggest.csv?kind=cscom&mode=walk&minutes=15&k=2")
    assert csv.status_code == 200 and "gain" in csv.get_data(as_text=True)


def test_catchments_in_minutes_add_up_to_everyone(client):
    add = lonlat(2500, 500)
    doc = client.get(f"/api/v1/coverage/catchments?kind=cscom&mode=walk&add={add}").get_json()
    assert doc["method"]["name"] == "travel_time"
    pops = {f["properties"]["id"]: f["properties"]["pop_served"] for f in doc["features"]}
    assert sum(pops.values()) == pytest.approx(15000, abs=2)
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in doc["features"])
    assert all(f["properties"]["max_min"] > 0 for f in doc["features"])


def test_surface_image_in_minutes(client):
    response = client.get("/api/v1/coverage/surface.png?kind=cscom&mode=walk&minutes=10")
    assert response.status_code == 200 and response.data.startswith(b"\x89PNG")
    other = client.get("/api/v1/coverage/surface.png?kind=cscom&threshold_m=1000")
    assert other.data != response.data


def test_difference_endpoint_without_a_river_changes_little(client):
    doc = client.get("/api/v1/coverage/difference.json?kind=cscom").get_json()
    assert doc["compared"] == ["straight_line", "travel_time"]
    # the kind's default threshold (2 km for CSCOM) read as its walking time
    assert doc["threshold_m"] == 2000 and doc["threshold_min"] == pytest.approx(float(walk_minutes(2000.0)), abs=0.1)
    assert sorted(u["pcode"] for u in doc["units"]) == ["ML090101", "ML090102"]
    for unit in doc["units"]:
        assert unit["pop_nearest_changes"] == 0  # one CSCOM: it is everyone's nearest and fastest
        assert unit["pop_loses"] + unit["pop_gains"] <= 0.1 * unit["pop"]
    assert client.get("/api/v1/coverage/difference.csv?kind=cscom").status_code == 200
    bad = client.get("/api/v1/coverage/difference.json?kind=cscom&minutes=10")
    assert bad.status_code == 400 and "minutes" in bad.get_data(as_text=True)


def test_the_api_on_the_river_store(tmp_path, monkeypatch):
    river_store = write_river_store(tmp_path, monkeypatch)
    client = create_app(app_config(river_store, TESTING=True)).test_client()
    add = lonlat(2300, 500)
    doc = client.get(f"/api/v1/coverage.json?kind=cscom&mode=walk&minutes=15&unit=quartier&add={add}").get_json()
    niarela = next(u for u in doc["units"] if u["pcode"] == "ML090101002")
    straight_m = 1000 * 769 / 1000  # 15 min of walking in a straight line: 769 m
    straight = client.get(f"/api/v1/coverage.json?kind=cscom&threshold_m={straight_m}&add={add}").get_json()
    niarela_straight = next(u for u in straight["units"] if u["pcode"] == "ML090101002")
    assert niarela["pop_covered"] < niarela_straight["pop_covered"]  # the river keeps Niaréla from the new site
    with pytest.raises(InvalidParameter):
        MinutesCoverageState(open_store(river_store)).parse({"mode": "walk", "minutes": "-1"})


def test_openapi_documents_the_travel_parameters_and_the_difference(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    coverage = doc["paths"]["/coverage"]["get"]
    names = {p["name"]: p["schema"] for p in coverage["parameters"]}
    assert names["mode"]["enum"][0] == "walk"
    assert names["minutes"]["maximum"] == 600 and names["season"]["enum"] == ["wet", "dry"]
    assert {"/coverage/difference", "/coverage/difference.{fmt}"} <= set(doc["paths"])
    unit = doc["components"]["schemas"]["CoverageUnit"]["properties"]
    assert {"method", "threshold_min", "median_min"} <= set(unit)
    method = doc["components"]["schemas"]["Coverage"]["properties"]["method"]["properties"]
    assert method["name"]["enum"] == ["straight_line", "travel_time"]


def test_the_printed_map_in_minutes_names_its_method(client):
    from PIL import Image

    response = client.get("/maps/coverage.png?kind=cscom&mode=walk&minutes=15&size=1200x900")
    assert response.status_code == 200 and response.data.startswith(b"\x89PNG")
    assert "15min" in response.headers["Content-Disposition"]
    info = Image.open(io.BytesIO(response.data)).text
    assert "15 min à pied" in info["Title"]
    assert "Méthode : temps de marche, le Niger franchi par ses ponts." in info["Description"]
    english = client.get("/maps/coverage.png?kind=cscom&mode=walk&minutes=15&size=1200x900&lang=en")
    info = Image.open(io.BytesIO(english.data)).text
    assert "15 min on foot" in info["Title"] and "Method: walking time" in info["Description"]
    straight = client.get("/maps/coverage.png?kind=cscom&threshold_m=1000&size=1200x900")
    assert "vol d'oiseau" in Image.open(io.BytesIO(straight.data)).text["Description"]
    assert client.get("/maps/coverage.pdf?kind=cscom&mode=walk&minutes=10").status_code == 200
    assert client.get("/maps/coverage.png?kind=cscom&mode=moto").status_code == 400  # no road layer
    assert client.get("/couverture?kind=cscom&mode=walk&minutes=15").status_code == 200


def test_geojson_in_minutes_states_its_method(client):
    doc = client.get("/api/v1/coverage.geojson?kind=cscom&mode=walk&minutes=20&unit=commune").get_json()
    assert doc["method"]["name"] == "travel_time" and doc["minutes"] == 20
    assert {f["properties"]["method"] for f in doc["features"]} == {"travel_time"}
    assert len(doc["features"]) == 2


def test_minutes_are_rounded_to_a_tenth(client):
    doc = client.get("/api/v1/coverage.json?kind=cscom&mode=walk&minutes=12.25&unit=district").get_json()
    district = doc["district"]
    assert district["median_min"] == round(district["median_min"], 1) and district["threshold_min"] == 12.2
