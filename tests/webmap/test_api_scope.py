"""Layer exports mean "in the District" unless ``scope=all``; unknown parameters are refused; P-code lists."""

from __future__ import annotations

import pandas as pd
import pytest
from shapely.geometry import Point

from geo.publication import exports
from geo.store import write_store
from tests.backends import app_config
from tests.conftest import tiny_layers
from webmap import create_app

API = "/api/v1"


@pytest.fixture
def client(tmp_path):
    """Return a client over the tiny atlas plus one CSCOM ~30 km outside the District."""
    layers = tiny_layers()
    fac = layers["facilities"]
    outside = fac.iloc[[0]].copy()
    outside["id"], outside["name"], outside["quartier_pcode"], outside["commune_pcode"] = (
        "dnacpn-99",
        "ASACOKATI",
        None,
        None,
    )
    outside["join_status"], outside["in_analysis"] = "outside", False
    outside = outside.set_geometry([Point(-8.3, 12.9)], crs=fac.crs)
    layers["facilities"] = pd.concat([fac, outside], ignore_index=True)
    meta = {"build_id": "scope-1", "built_at": "2026-11-29T00:00:00+00:00", "sources": {}, "counts": {}}
    path = write_store(tmp_path / "atlas.gpkg", layers, meta)
    return create_app(app_config(path, TESTING=True)).test_client()


def ids(client, url: str) -> list[str]:
    resp = client.get(API + url)
    assert resp.status_code == 200, resp.get_json()
    return sorted(f["properties"]["id"] for f in resp.get_json()["features"])


def test_kind_layers_and_exports_default_to_the_district(client):
    assert ids(client, "/layers/cscom.geojson") == ["dnacpn-01"]
    assert "dnacpn-99" not in ids(client, "/layers/facilities.geojson")
    assert ids(client, "/layers/facilities.geojson?kind=cscom&scope=district") == ["dnacpn-01"]


def test_scope_all_adds_the_outside_points_flagged(client):
    resp = client.get(f"{API}/layers/cscom.geojson?scope=all")
    props = {f["properties"]["id"]: f["properties"] for f in resp.get_json()["features"]}
    assert set(props) == {"dnacpn-01", "dnacpn-99"}
    assert props["dnacpn-99"]["in_analysis"] is False and props["dnacpn-99"]["join_status"] == "outside"
    assert props["dnacpn-99"]["quartier_pcode"] is None
    assert resp.headers["Content-Disposition"].endswith('all-2026-11-29.geojson"')


def test_layer_list_counts_follow_the_default_scope(client):
    entries = {e["name"]: e for e in client.get(f"{API}/layers").get_json()["layers"]}
    assert (entries["cscom"]["count"], entries["cscom"]["count_all"]) == (1, 2)
    assert (entries["facilities"]["count"], entries["facilities"]["count_all"]) == (5, 6)
    assert "scope" in entries["cscom"]["filters"] and "scope" not in entries["communes"]["filters"]


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/layers/cscom.geojson?in_analysis=true", "in_analysis"),
        ("/layers/communes.csv?limit=2", "limit"),
        ("/layers/facilities.geojson?kind=cscom&comune=ML090101", "comune"),
        ("/layers/cscom.geojson?scope=world", "scope"),
        ("/layers/communes.geojson?scope=all", "scope"),
    ],
)
def test_unknown_or_bad_parameters_are_a_400_naming_them(client, url, parameter):
    resp = client.get(API + url)
    assert resp.status_code == 400 and resp.mimetype == "application/json"
    message = resp.get_json()["error"]["message"]
    assert parameter in message and "Traceback" not in message


def test_commune_and_quartier_accept_comma_lists(client):
    assert ids(client, "/layers/facilities.geojson?commune=ML090101,ml090102") == [
        "dnacpn-01", "educ-0001", "lieu-claec-commune-ii", "lieu-stade", "sante-0001",
    ]  # fmt: skip
    assert ids(client, "/layers/facilities.geojson?quartier=ML090101002,ML090102001") == ["educ-0001", "lieu-stade"]
    assert ids(client, "/layers/facilities.geojson?commune=ML090102&commune=ML090101") == ids(
        client, "/layers/facilities.geojson?commune=ML090101,ML090102"
    )
    resp = client.get(f"{API}/layers/quartiers.csv?commune=ML090101,ML090199")
    assert resp.status_code == 404 and "ML090199" in resp.get_json()["error"]["message"]


def test_openapi_lists_exactly_the_accepted_parameters(client):
    operation = client.get(f"{API}/openapi.json").get_json()["paths"]["/layers/{name}"]["get"]
    query = [p for p in operation["parameters"] if p["in"] == "query"]
    assert [p["name"] for p in query] == list(exports.PARAMETERS)
    scope = next(p for p in query if p["name"] == "scope")
    assert scope["schema"]["enum"] == list(exports.SCOPES) and scope["schema"]["default"] == "district"


def test_facility_page_and_json_show_counts_as_integers(tmp_path):
    layers = tiny_layers()
    fac = layers["facilities"].astype({"beds": "float64", "pupils": "object"})
    fac.loc[0, "beds"], fac.loc[0, "pupils"], fac.loc[0, "note"] = 12.0, "<NA>", ""
    layers["facilities"] = fac
    meta = {"build_id": "pages-1", "built_at": "2026-11-29T00:00:00+00:00", "sources": {}, "counts": {}}
    path = write_store(tmp_path / "atlas.gpkg", layers, meta)
    client = create_app(app_config(path, TESTING=True)).test_client()
    profile = client.get("/facilities/dnacpn-01.json").get_json()
    assert profile["beds"] == 12 and type(profile["beds"]) is int
    assert profile["pupils"] is None and profile["note"] is None
    html = client.get("/facilities/dnacpn-01").get_data(as_text=True)
    assert "<dd>12</dd>" in html and "12.0" not in html and "&lt;NA&gt;" not in html
