"""The coverage view: page, API (JSON, CSV, GeoJSON), suggestions, catchments, distance image, print map.

The tiny atlas (tests/conftest.py): three 1 km × 1 km quartiers side by side,
Q1 [0, 1000], Q2 [1000, 2000], Q3 [2000, 3000] (metres east of X0, EPSG:32629),
one CSCOM at (500, 500) in Q1, one CLAEC placed at its commune's point
(2500, 500) in Q3, a stadium at (2200, 800).
"""

from __future__ import annotations

import gzip
import io
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from PIL import Image
from pyproj import Transformer

from geo.analysis.coverage import Scenario, compare, coverage, facility_points, population_grid
from geo.analysis.coverage.service import coverage_state
from geo.store import open_store
from geo.vocabulary import METRIC_CRS, STORE_CRS
from tests.backends import app_config
from tests.conftest import X0, Y0

GZIP = {"Accept-Encoding": "gzip"}
ROOT = Path(__file__).resolve().parents[2]
_TO_LONLAT = Transformer.from_crs(METRIC_CRS, STORE_CRS, always_xy=True)


def lonlat(dx: float, dy: float) -> str:
    """Return "lon,lat" of the point dx, dy metres from the tiny atlas's origin."""
    lon, lat = _TO_LONLAT.transform(X0 + dx, Y0 + dy)
    return f"{lon:.6f},{lat:.6f}"


@pytest.fixture
def layers(tiny_store):
    return open_store(tiny_store).layers


@pytest.fixture
def grid(layers):
    return population_grid(layers["quartiers"], layers["facilities"], cell_m=100)


def state_of(app):
    with app.app_context():
        from webmap.catalog import current_catalog

        return coverage_state(current_catalog())


# ------------------------------------------------------------------ the API
def test_json_matches_the_library(client, layers, grid):
    doc = client.get("/api/v1/coverage?kind=cscom&threshold_m=1000").get_json()
    expected = coverage(grid, facility_points(layers["facilities"], "cscom"), threshold_m=1000, unit="quartier")
    by_pcode = {u["pcode"]: u for u in doc["units"]}
    for row in expected.itertuples():
        got = by_pcode[row.pcode]
        assert got["pop"] == round(row.pop)
        assert got["pop_covered"] == round(row.pop_covered)
        assert got["share_covered"] == pytest.approx(row.share_covered, abs=1e-4)
        assert got["median_distance_m"] == round(row.median_distance_m)
    q1, q2, q3 = (by_pcode[p] for p in ("ML090101001", "ML090101002", "ML090102001"))
    assert q1["share_covered"] == 1.0  # every cell of Q1 is within 636 m of the CSCOM
    assert 0 < q2["share_covered"] < 1 and q3["share_covered"] == 0.0
    assert doc["district"]["pop"] == 15000 and doc["district"]["name"] == "District de Bamako"
    assert [u["pcode"] for u in doc["units"]] == ["ML090102001", "ML090101002", "ML090101001"]  # most uncovered first
    assert [u["rank"] for u in doc["units"]] == [1, 2, 3]
    assert doc["threshold_m"] == 1000 and doc["kind_data"] == "surveyed" and doc["scenario"]["add"] == []


def test_default_threshold_comes_from_the_kinds_defaults(client):
    assert client.get("/api/v1/coverage?kind=cscom").get_json()["threshold_m"] == 2000
    assert client.get("/api/v1/coverage?kind=claec").get_json()["threshold_m"] == 1000
    assert client.get("/api/v1/coverage?kind=health").get_json()["threshold_m"] == 2000


def test_scenario_before_and_after_match_the_library(client, layers, grid):
    add = lonlat(2500, 500)
    doc = client.get(f"/api/v1/coverage?kind=cscom&threshold_m=1000&add={add}").get_json()
    expected = compare(grid, layers["facilities"], "cscom", Scenario.parse(add), threshold_m=1000, unit="quartier")
    by_pcode = {u["pcode"]: u for u in doc["units"]}
    for row in expected.itertuples():
        got = by_pcode[row.pcode]
        assert got["share_covered"] == pytest.approx(row.share_covered_after, abs=1e-4)
        assert got["share_covered_before"] == pytest.approx(row.share_covered_before, abs=1e-4)
        assert got["pop_covered_change"] == round(row.pop_covered_change)
    assert by_pcode["ML090102001"]["share_covered"] == 1.0 and by_pcode["ML090102001"]["share_covered_before"] == 0.0
    assert doc["scenario"]["add"][0]["quartier_pcode"] == "ML090102001"
    assert doc["scenario"]["add"][0]["quartier_name"] == "Dar Salam"


def test_removing_the_only_facility_uncovers_everyone(client):
    doc = client.get("/api/v1/coverage?kind=cscom&threshold_m=1000&remove=dnacpn-01").get_json()
    assert doc["district"]["pop_covered"] == 0 and doc["district"]["pop_covered_before"] > 0
    assert doc["scenario"]["remove"] == [{"id": "dnacpn-01", "name": "ASACOFA"}]


def test_a_changed_threshold_never_lowers_coverage(client):
    shares = [
        client.get(f"/api/v1/coverage?kind=cscom&threshold_m={t}&unit=district").get_json()["district"]["share_covered"]
        for t in (250, 500, 1000, 2000, 5000)
    ]
    assert shares == sorted(shares) and shares[-1] == 1.0


def test_units_communes_and_district(client):
    communes = client.get("/api/v1/coverage?kind=cscom&threshold_m=1000&unit=commune").get_json()["units"]
    assert sorted(u["pcode"] for u in communes) == ["ML090101", "ML090102"]
    assert sum(u["pop"] for u in communes) == 15000
    district = client.get("/api/v1/coverage?kind=cscom&unit=district").get_json()["units"]
    assert len(district) == 1 and district[0]["pcode"] == "ML0901"


@pytest.mark.parametrize("unit", ["quartier", "commune", "district"])
def test_shares_come_with_their_range_across_population_methods(client, unit):
    doc = client.get(f"/api/v1/coverage?kind=cscom&threshold_m=1000&unit={unit}").get_json()
    methods = doc["method"]["population_methods"]
    assert methods[:2] == ["dasymetric", "uniform_in_quartier"] and len(methods) == len(set(methods))
    for row in [doc["district"], *doc["units"]]:
        shares = [row[f"share_covered_{m}"] for m in methods]
        assert row[f"share_covered_{methods[0]}"] == row["share_covered"]  # the atlas's own method first
        assert row["share_covered_low"] == min(shares) and row["share_covered_high"] == max(shares)
        assert 0 <= row["share_covered_low"] <= row["share_covered"] <= row["share_covered_high"] <= 1
        unsurveyed = row["share_depending_on_unsurveyed"]
        assert 0 <= unsurveyed <= 1 if row["pop_covered"] else unsurveyed is None  # a share of nobody is null
        assert type(row["pop_depending_on_unsurveyed"]) is int
    if unit == "district":
        assert doc["units"][0]["pop_low"] is None and doc["units"][0]["pop_high"] is None  # the total is fixed
    else:
        for row in doc["units"]:
            assert type(row["pop_low"]) is int and row["pop_low"] <= row["pop"] <= row["pop_high"]
    header = client.get(f"/api/v1/coverage.csv?kind=cscom&threshold_m=1000&unit={unit}").data.decode("utf-8-sig")
    columns = header.splitlines()[0].split(",")
    assert columns.index("share_covered") < columns.index("share_covered_low") < columns.index("share_covered_high")
    assert {"pop_low", "pop_high", "share_depending_on_unsurveyed"} <= set(columns)


def test_the_openapi_document_describes_the_coverage_fields(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    fields = doc["components"]["schemas"]["CoverageUnit"]["properties"]
    for name in ("share_covered_low", "share_covered_high", "share_covered_dasymetric",
                 "share_covered_uniform_in_quartier", "pop_low", "pop_high", "pop_depending_on_unsurveyed",
                 "share_depending_on_unsurveyed"):  # fmt: skip
        assert fields[name]["description"], name
    assert fields["share_covered_low"]["type"] == "number" and fields["pop_low"]["type"] == "integer"
    body = doc["paths"]["/coverage"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Coverage"}
    sample = client.get("/api/v1/coverage?kind=cscom").get_json()
    assert set(sample["district"]) - {"norm_per_10k", "below_norm", "facilities_missing"} <= set(fields)


def test_partial_kinds_flag_units_without_data(client):
    doc = client.get("/api/v1/coverage?kind=sports&threshold_m=500").get_json()
    assert doc["kind_data"] == "partial"
    flags = {u["pcode"]: u["has_facility_data"] for u in doc["units"]}
    assert flags == {"ML090101001": False, "ML090101002": False, "ML090102001": True}
    assert doc["units"][-1]["rank"] is None  # units without data come last, unranked


def test_csv_and_geojson(client):
    csv_resp = client.get("/api/v1/coverage.csv?kind=cscom&threshold_m=1000")
    assert csv_resp.status_code == 200 and csv_resp.mimetype == "text/csv"
    assert csv_resp.data.startswith("\ufeff".encode()) and b"\r\n" in csv_resp.data
    assert "attachment" in csv_resp.headers["Content-Disposition"]
    text = csv_resp.data.decode("utf-8-sig").splitlines()
    assert text[0].startswith("rank,unit,pcode,name,commune_pcode,commune_name") and len(text) == 4
    old = client.get("/api/v1/coverage?kind=cscom&threshold_m=1000&format=csv")  # the spelling README documented
    assert old.status_code == 308 and old.headers["Location"] == "/api/v1/coverage.csv?kind=cscom&threshold_m=1000"
    assert client.get(old.request.url, follow_redirects=True).data == csv_resp.data
    as_json = client.get("/api/v1/coverage?kind=cscom&threshold_m=1000&format=json")
    assert as_json.status_code == 308 and as_json.headers["Location"] == "/api/v1/coverage?kind=cscom&threshold_m=1000"
    geo = client.get("/api/v1/coverage.geojson?kind=cscom&threshold_m=1000&unit=commune")
    assert geo.mimetype == "application/geo+json"
    doc = json.loads(geo.data)
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 2
    assert doc["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert {"share_covered", "pop_uncovered", "name"} <= set(doc["features"][0]["properties"])
    assert doc["attribution"].startswith("Limites : OCHA COD-AB")


def test_gzip_etag_and_304(client):
    url = "/api/v1/coverage?kind=cscom&threshold_m=1000"
    first = client.get(url, headers=GZIP)
    assert first.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in first.headers["Vary"]
    assert json.loads(gzip.decompress(first.data))["kind"] == "cscom"
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    again = client.get(url, headers={**GZIP, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    plain = client.get(url)
    assert plain.headers["ETag"] != first.headers["ETag"] and "Content-Encoding" not in plain.headers


def test_suggestions(client):
    doc = client.get("/api/v1/coverage/suggest?kind=cscom&threshold_m=1000&k=2").get_json()
    assert 1 <= len(doc["sites"]) <= 2 and doc["k"] == 2
    first = doc["sites"][0]
    assert first["rank"] == 1 and first["gain"] > 0 and first["quartier_pcode"] in ("ML090101002", "ML090102001")
    assert first["quartier_name"] in ("Niaréla", "Dar Salam")
    assert sum(s["gain"] for s in doc["sites"]) <= doc["uncovered_before"]
    # with the first site added, the next suggestion gains no more than the second did
    after = client.get(f"/api/v1/coverage/suggest?kind=cscom&threshold_m=1000&k=1&add={first['lon']},{first['lat']}")
    assert after.status_code == 200
    csv_resp = client.get("/api/v1/coverage/suggest.csv?kind=cscom&threshold_m=1000&k=2")
    assert csv_resp.mimetype == "text/csv" and b"cumulative_gain" in csv_resp.data
    old = client.get("/api/v1/coverage/suggest?kind=cscom&threshold_m=1000&k=2&format=csv")
    assert old.status_code == 308 and old.headers["Location"].startswith("/api/v1/coverage/suggest.csv?")
    assert (
        client.get("/api/v1/coverage/suggest.json?kind=cscom&threshold_m=1000&k=2").get_json()
        == client.get("/api/v1/coverage/suggest?kind=cscom&threshold_m=1000&k=2").get_json()
    )


def test_catchments_serve_everyone_once(client):
    doc = client.get(f"/api/v1/coverage/catchments?kind=cscom&add={lonlat(2500, 500)}").get_json()
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 2
    props = [f["properties"] for f in doc["features"]]
    assert sum(p["pop_served"] for p in props) == pytest.approx(15000, abs=2)
    assert {p["id"] for p in props} == {"dnacpn-01", "new-1"} and props[0]["name"] == "ASACOFA"


def test_surface_image(client, app):
    resp = client.get("/api/v1/coverage/surface.png?kind=cscom&threshold_m=1000")
    assert resp.mimetype == "image/png" and resp.headers["ETag"]
    image = Image.open(io.BytesIO(resp.data))
    surface = state_of(app).surface
    assert image.size == (surface.cell.shape[1], surface.cell.shape[0])
    bands = np.asarray(image)
    assert bands.max() == 3 and bands.min() == 0  # Q3 lies beyond 2 × 1 km, Q1 within 1 km
    far = np.asarray(
        Image.open(io.BytesIO(client.get("/api/v1/coverage/surface.png?kind=cscom&threshold_m=5000").data))
    )
    assert far.max() == 0  # everything within 5 km: nothing to shade


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("kind=spaceport", "kind"),
        ("unit=ward", "unit"),
        ("threshold_m=0", "threshold_m"),
        ("threshold_m=-5", "threshold_m"),
        ("threshold_m=50001", "threshold_m"),
        ("threshold_m=abc", "threshold_m"),
        ("threshold_m=nan", "threshold_m"),
        ("add=-7.9", "add"),
        ("add=abc,def", "add"),
        ("add=nan,nan", "add"),
        ("add=200,12.6", "add"),
        ("add=2.35,48.85", "add"),  # Paris: outside the District
        ("remove=nope", "remove"),
        ("remove=lieu-claec-commune-ii", "remove"),  # a CLAEC is not a CSCOM
        ("format=xml", "format"),
    ],
)
def test_bad_input_is_400_naming_the_parameter(client, query, parameter):
    resp = client.get(f"/api/v1/coverage?{query}" + ("" if query.startswith("kind=") else "&kind=cscom"))
    assert resp.status_code == 400, resp.data
    assert resp.get_json()["error"]["message"].startswith(f"{parameter}:")


@pytest.mark.parametrize(("query", "parameter"), [("k=0", "k"), ("k=21", "k"), ("k=two", "k"), ("k=1.5", "k"),
                                                  ("add=2.35,48.85", "add"), ("format=kml", "format")])  # fmt: skip
def test_bad_suggestion_input_is_400(client, query, parameter):
    resp = client.get(f"/api/v1/coverage/suggest?kind=cscom&{query}")
    assert resp.status_code == 400 and resp.get_json()["error"]["message"].startswith(f"{parameter}:")


@pytest.mark.parametrize(
    "url",
    [
        "/couverture?kind=nope",
        "/couverture?remove=nope",
        "/embed/couverture?add=2.35,48.85",
        "/maps/coverage.png?threshold_m=0",
        "/maps/coverage.png?remove=nope",
        "/api/v1/coverage/catchments?add=1,2",
        "/api/v1/coverage/surface.png?threshold_m=60000",
    ],
)
def test_bad_input_on_every_url_is_400(client, url):
    assert client.get(url).status_code == 400


def test_a_bad_request_never_poisons_the_cache(client, app):
    good = "/api/v1/coverage?kind=cscom&threshold_m=1000"
    expected = client.get(good).get_json()
    for bad in ("&remove=nope", "&add=2.35,48.85", "&add=abc", "&unit=x", "&format=xml"):
        assert client.get(good + bad).status_code == 400
        assert client.get(good + bad).status_code == 400  # asked again: refused again, nothing was kept
    assert client.get(good).get_json() == expected
    # the same scenario, once valid, is computed and answered normally
    assert client.get(good + "&remove=dnacpn-01").get_json()["district"]["pop_covered"] == 0


def test_scenario_order_does_not_matter_and_shares_one_entry(client, app):
    a, b = lonlat(2500, 500), lonlat(1500, 500)
    one = client.get(f"/api/v1/coverage?kind=health&threshold_m=500&add={a};{b}")
    two = client.get(f"/api/v1/coverage?kind=health&threshold_m=500&add={a}&add={b}")
    assert one.get_json() == two.get_json()


def test_grid_and_distances_are_built_once_per_store_version(client, app, monkeypatch):
    from geo.analysis.coverage import service as coverage_cache
    from geo.analysis.coverage import shared as coverage_package

    calls, distances = [], []
    real, real_access = coverage_package.population_grid, coverage_cache.access
    monkeypatch.setattr(coverage_package, "population_grid", lambda *a, **k: calls.append(1) or real(*a, **k))
    monkeypatch.setattr(coverage_cache, "access", lambda *a, **k: distances.append(1) or real_access(*a, **k))
    for t in (500, 1000, 1500):
        assert client.get(f"/api/v1/coverage?kind=cscom&threshold_m={t}").status_code == 200
    assert client.get("/api/v1/coverage/surface.png?kind=cscom&threshold_m=700").status_code == 200
    # at most one grid: the same quartiers and facilities may already have been gridded (the grid is shared)
    assert len(calls) <= 1 and state_of(app).grid is not None
    assert len(distances) == 1  # one kind group: its distances computed once


def test_the_map_and_the_coverage_view_share_one_population_grid(app, client, tiny_store):
    from geo.analysis.coverage.shared import shared_grid

    assert client.get("/api/v1/map-data.json").status_code == 200  # the map's coverage indicators grid the quartiers
    grid = state_of(app).grid
    atlas = open_store(tiny_store)
    assert shared_grid(atlas["quartiers"], atlas["facilities"], cell_m=grid.cell_m) is grid


# ------------------------------------------------------------------ the page
def config_of(client, url: str) -> dict:
    html = client.get(url).get_data(as_text=True)
    return json.loads(html.split('id="coverage-config" type="application/json">')[1].split("</script>")[0])


def test_page_hands_the_scenario_to_its_script(client):
    add = lonlat(2500, 500)
    cfg = config_of(client, f"/couverture?kind=claec&threshold_m=1500&add={add}&remove=lieu-claec-commune-ii")
    state = cfg["coverage"]["state"]
    assert state["kind"] == "claec" and state["threshold_m"] == 1500 and state["remove"] == ["lieu-claec-commune-ii"]
    assert [f"{lon:.6f},{lat:.6f}" for lon, lat in state["add"]] == [add]
    assert 1500 in cfg["coverage"]["steps"] and cfg["coverage"]["steps"][cfg["coverage"]["stepIndex"]] == 1500
    assert {k["key"] for k in cfg["coverage"]["kinds"]} >= {"cscom", "claec", "sports", "health"}
    assert cfg["coverage"]["urls"]["api"] == "/api/v1/coverage" and cfg["dataUrl"].startswith("/api/v1/map-data.json")


def test_page_loads_nothing_from_other_sites(client):
    html = client.get("/couverture").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, url
        if url.startswith("/vendor/"):
            assert client.get(url).status_code == 200, url


def test_page_is_french_first_and_english_on_request(client):
    fr = client.get("/couverture").get_data(as_text=True)
    assert '<html lang="fr">' in fr and "Suggérer des sites" in fr
    en = client.get("/couverture?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in en and "Suggest sites" in en
    assert config_of(client, "/couverture?lang=en")["coverage"]["t"]["uncovered"] == "Not covered"


def test_the_map_page_links_to_the_coverage_view(client):
    assert 'href="/couverture"' in client.get("/").get_data(as_text=True)


def test_embed_may_be_framed_and_the_page_may_not(client):
    assert "frame-ancestors *" in client.get("/embed/couverture").headers["Content-Security-Policy"]
    assert client.get("/couverture").headers["X-Frame-Options"] == "SAMEORIGIN"
    assert config_of(client, "/embed/couverture")["embed"] is True


def test_the_coverage_script_never_parses_data_as_html():
    script = (ROOT / "webmap" / "static" / "coverage.js").read_text(encoding="utf-8")
    assert "insertAdjacentHTML" not in script and "outerHTML" not in script and "document.write" not in script
    assert not re.search(r"innerHTML\s*=[^=]", script)
    assert not re.search(r"bind(Popup|Tooltip)\(\s*(['\"]|F\.n|r\.name)", script)
    assert "http://" not in script.replace("http://www.w3.org/2000/svg", "") and "https://" not in script


# ---------------------------------------------------------- the print map
def test_coverage_map_png_and_pdf(client):
    add = lonlat(2500, 500)
    png = client.get(f"/maps/coverage.png?kind=cscom&threshold_m=1000&add={add}&size=640x480&dpi=72")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert Image.open(io.BytesIO(png.data)).size == (640, 480)
    assert "bamako-coverage-cscom-1000m-scenario" in png.headers["Content-Disposition"]
    again = client.get(f"/maps/coverage.png?kind=cscom&threshold_m=1000&add={add}&size=640x480&dpi=72",
                       headers={"If-None-Match": png.headers["ETag"]})  # fmt: skip
    assert again.status_code == 304
    pdf = client.get("/maps/coverage.pdf?kind=claec&lang=en")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_coverage_map_classes_follow_the_shares(app, client):
    from geo.analysis.coverage.service import parse_query
    from webmap.views.coverage import _coverage_layer

    with app.test_request_context("/maps/coverage.png"):
        from webmap.catalog import current_catalog

        state = coverage_state(current_catalog())
        layer = _coverage_layer(state, parse_query({"kind": "cscom", "threshold_m": "1000"}),
                                state.quartiers["pcode"])  # fmt: skip
    shares = {
        u["pcode"]: u["share_covered"]
        for u in client.get("/api/v1/coverage?kind=cscom&threshold_m=1000").get_json()["units"]
    }
    expected = [4 if shares[p] > 0.9 else 0 if shares[p] <= 0.25 else None for p in state.quartiers["pcode"]]
    assert [c if e is not None else None for c, e in zip(layer.classes, expected, strict=True)] == expected
    assert len(layer.facilities) == 1 and layer.facilities["approximate"].tolist() == [False]


# ------------------------------------------------- the main map's choropleth
def test_coverage_indicators_are_in_the_main_map(client, layers, grid):
    from geo.analysis import map_indicators as indicators

    values = indicators.compute("cover1km", layers["quartiers"], layers["facilities"], kinds=("cscom",))
    expected = coverage(grid, facility_points(layers["facilities"], "cscom"), threshold_m=1000, unit="quartier")
    assert values.round(6).tolist() == (expected["share_covered"] * 100).round(6).tolist()
    payload = client.get("/api/v1/map-data.json").get_json()
    assert {"cover1km:cscom", "cover2km:claec", "cover5km:sports"} <= set(payload["ind"])
    assert payload["ind"]["cover1km:cscom"]["v"][0] == 100.0
    assert client.get("/?indicator=cover2km&kind=cscom").status_code == 200
    assert client.get("/maps/view.png?indicator=cover1km&kind=cscom&size=400x300&dpi=50").status_code == 200


# ----------------------------------------------------------- the real store
@pytest.mark.integration
def test_real_store_coverage_view(real_store):
    """On the real store: the API agrees with the library, a scenario is answered, bad input is refused."""
    from webmap import create_app

    client = create_app(app_config(real_store, TESTING=True)).test_client()
    atlas = open_store(real_store)
    grid = population_grid(atlas.layers["quartiers"], atlas.layers["facilities"], cell_m=100)
    points = facility_points(atlas.layers["facilities"], "cscom")
    expected = coverage(grid, points, threshold_m=2000, unit="district")
    doc = client.get("/api/v1/coverage?kind=cscom&threshold_m=2000").get_json()
    assert doc["district"]["pop_covered"] == round(expected["pop_covered"].iloc[0])
    assert len(doc["units"]) == len(atlas.layers["quartiers"])
    district = doc["district"]
    assert district["share_covered_low"] <= district["share_covered"] <= district["share_covered_high"]
    assert district["share_covered_high"] - district["share_covered_low"] > 0.005  # the methods do differ
    assert 0 <= district["share_depending_on_unsurveyed"] <= 1  # 1 until positions are classed gps_survey
    assert all(u["pop_low"] <= u["pop"] <= u["pop_high"] for u in doc["units"])
    site = client.get("/api/v1/coverage/suggest?kind=cscom&threshold_m=1000&k=1").get_json()["sites"][0]
    after = client.get(f"/api/v1/coverage?kind=cscom&threshold_m=1000&add={site['lon']},{site['lat']}").get_json()
    assert after["district"]["pop_covered_change"] == pytest.approx(site["gain"], rel=0.01)
    assert client.get("/api/v1/coverage?kind=cscom&add=-7.0,12.6").status_code == 400
    assert client.get("/couverture?kind=claec&basemap=none").status_code == 200
