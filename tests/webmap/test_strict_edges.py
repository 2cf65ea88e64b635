"""Finding 11: malformed input at the edge is a 4xx naming the problem, never a 500."""

from __future__ import annotations

import json
import re

import openapi_spec_validator
import pytest

from geo.planning import accounts
from tests.webmap.edit_helpers import bearer, inside, login, make_app


@pytest.fixture
def client(tiny_store, db, monkeypatch):
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    return make_app(tiny_store, db).test_client()


def code_of(resp) -> str:
    return resp.get_json()["error"]["code"]


@pytest.mark.parametrize("offset", ["²", "٣", "+1", " 1", "1_0", "-1", "1e3", str(10**30), "9" * 19])
def test_history_offsets_are_parsed_strictly(client, db, offset):
    api = client.get("/api/v1/history", query_string={"offset": offset}, headers=bearer(db, "admin1"))
    assert api.status_code == 400 and api.get_json()["error"]["field"] == "offset"
    login(client, "admin1")
    assert client.get("/history", query_string={"offset": offset}).status_code == 400


def test_history_offset_and_limit_still_work(client, db):
    resp = client.get("/api/v1/history?offset=0&limit=5", headers=bearer(db))
    assert resp.status_code == 200 and resp.get_json()["limit"] == 5


@pytest.mark.parametrize("change_id", [2**63, 2**64, 10**40])
def test_revert_of_a_huge_change_id_is_404(client, db, change_id):
    api = client.post(f"/api/v1/history/{change_id}/revert", headers=bearer(db, "admin1"))
    assert api.status_code == 404 and code_of(api) == "not_found"
    csrf = login(client, "admin1")
    assert client.post(f"/history/{change_id}/revert", data={"csrf_token": csrf}).status_code == 404


def facility_body() -> dict:
    lon, lat = inside()
    return {"kind": "cscom", "name": "CSCOM strict", "lon": lon, "lat": lat}


def test_deeply_nested_json_is_400(client, db):
    deep = '{"name": ' + "[" * 100_000 + "]" * 100_000 + "}"
    resp = client.post("/api/v1/facilities", data=deep, headers={**bearer(db), "Content-Type": "application/json"})
    assert resp.status_code == 400 and code_of(resp) == "bad_json"
    nested = {**facility_body(), "note": [[[[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]]]}
    assert code_of(client.post("/api/v1/facilities", json=nested, headers=bearer(db))) == "bad_json"


def test_too_large_json_is_413(client, db):
    body = {**facility_body(), "note": "x" * 300_000}
    resp = client.post("/api/v1/facilities", json=body, headers=bearer(db))
    assert resp.status_code == 413 and code_of(resp) == "body_too_large"


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_write_bodies_must_be_json(client, db, content_type):
    headers = {**bearer(db), **({"Content-Type": content_type} if content_type else {})}
    resp = client.post("/api/v1/facilities", data=json.dumps(facility_body()), headers=headers)
    assert resp.status_code == 415 and code_of(resp) == "unsupported_media_type"
    ok = client.post("/api/v1/facilities", json=facility_body(), headers=bearer(db))
    assert ok.status_code == 201


@pytest.mark.parametrize("version", ["1", 1.0, True, 10**30, -1])
def test_versions_are_whole_numbers(client, db, version):
    resp = client.patch("/api/v1/facilities/dnacpn-01", json={"version": version, "beds": 3}, headers=bearer(db))
    assert resp.status_code in (400, 409) and resp.status_code != 500
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        assert code_of(resp) == "bad_version"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("get", "/api/v1/facilities", {"POST"}),
        ("put", "/api/v1/facilities/dnacpn-01", {"GET", "PATCH", "DELETE"}),
        ("post", "/", {"GET"}),
        ("delete", "/api/v1/layers", {"GET"}),
    ],
)
def test_405_lists_the_allowed_methods(client, method, path, allowed):
    resp = getattr(client, method)(path)
    assert resp.status_code == 405
    assert allowed <= {m.strip() for m in resp.headers["Allow"].split(",")}


@pytest.mark.parametrize(
    ("path", "framable"),
    [("/embed", True), ("/embed/couverture", True), ("/embedX", False), ("/embed-evil", False), ("/", False)],
)
def test_only_the_embed_routes_may_be_framed(client, path, framable):
    resp = client.get(path)
    csp = resp.headers["Content-Security-Policy"]
    assert ("frame-ancestors *" in csp) is framable
    assert ("X-Frame-Options" in resp.headers) is not framable


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.removeprefix("/api/v1"))


def test_openapi_documents_every_api_route_and_method(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    openapi_spec_validator.validate(doc)
    documented = {(path, method.upper()) for path, item in doc["paths"].items() for method in item}
    routes = {
        (_openapi_path(rule.rule), method)
        for rule in client.application.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - documented == set()
    for path in ("/coverage", "/coverage/suggest", "/coverage/catchments", "/coverage/surface.png"):
        assert path in doc["paths"]


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("/api/v1/layers/cscom.csv", "/layers/{name}"),
        ("/api/v1/layers/cscom.gpkg", "/layers/{name}"),
        ("/api/v1/layers/cscom.shp.zip", "/layers/{name}"),
        ("/api/v1/layers/cscom.kml", "/layers/{name}"),
        ("/api/v1/package.zip", "/package.zip"),
        ("/api/v1/coverage.csv", "/coverage.{fmt}"),
        ("/api/v1/coverage", "/coverage"),
        ("/api/v1/coverage.geojson", "/coverage.{fmt}"),
        ("/api/v1/coverage/suggest.csv?k=1", "/coverage/suggest.{fmt}"),
        ("/api/v1/coverage/catchments", "/coverage/catchments"),
        ("/api/v1/coverage/surface.png", "/coverage/surface.png"),
    ],
)
def test_openapi_media_types_are_those_sent(client, url, path):
    doc = client.get("/api/v1/openapi.json").get_json()
    resp = client.get(url)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.mimetype in doc["paths"][path]["get"]["responses"]["200"]["content"]


def test_openapi_history_csv_is_typed_csv(client, db):
    doc = client.get("/api/v1/openapi.json").get_json()
    resp = client.get("/api/v1/history.csv", headers=bearer(db))
    assert list(doc["paths"]["/history.csv"]["get"]["responses"]["200"]["content"]) == [resp.mimetype]
    assert "415" in doc["paths"]["/facilities"]["post"]["responses"]


@pytest.mark.parametrize("beds", ["٣", "1_0", "1e3", "inf", "nan", " 4 x", "0x10"])
def test_counts_as_text_are_parsed_strictly(client, db, beds):
    resp = client.patch("/api/v1/facilities/dnacpn-01", json={"version": 1, "beds": beds}, headers=bearer(db))
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "beds"


@pytest.mark.parametrize(("beds", "stored"), [("12", 12), (" 12,0 ", 12), ("12.0", 12), (7, 7)])
def test_counts_as_typed_by_people_still_work(client, db, beds, stored):
    resp = client.patch("/api/v1/facilities/dnacpn-01", json={"version": 1, "beds": beds}, headers=bearer(db))
    assert resp.status_code == 200 and resp.get_json()["beds"] == stored
