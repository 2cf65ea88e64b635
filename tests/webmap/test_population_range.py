"""Quartier and commune pages show population estimates rounded, with their interval."""

from __future__ import annotations

from geo.store import write_store
from tests.backends import app_config
from tests.conftest import tiny_layers
from webmap import create_app
from webmap.templating import people, population


def plain_spaces(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


def test_people_rounds_to_two_significant_digits(app):
    with app.test_request_context("/?lang=fr"):
        assert people(25_347).replace("\u202f", " ").replace("\xa0", " ") == "25 000"
        assert people(594) == "590"
        assert people(None) == "—"


def test_population_shows_an_estimate_with_its_interval_in_french_and_english(app):
    with app.test_request_context("/?lang=fr"):
        assert plain_spaces(population(25_347, 15_120, 40_480)) == "~25 000 hab. (15 000–40 000)"
        assert plain_spaces(population(594, 210, 1_234, unit=False)) == "~590 (210–1 200)"
        assert plain_spaces(population(12_345)) == "12 345 hab."  # no interval: the whole figure
        assert plain_spaces(population(12_345, None, 20_000)) == "12 345 hab."
        # Bounds that round alike (Commune V) are rounded outwards, as on the printed map: no « (970 000–970 000) ».
        assert plain_spaces(population(973_689, 965_059, 973_689)) == "~970 000 hab. (960 000–980 000)"
        assert plain_spaces(population(970_000, 970_000, 970_000, unit=False)) == "~970 000"
        assert population(None) == "—"
    with app.test_request_context("/?lang=en"):
        assert population(25_347, 15_120, 40_480) == "~25,000 inhabitants (15,000–40,000)"
        assert population(1_305_778, 1_096_755, 1_305_778, unit=False) == "~1,300,000 (1,100,000–1,300,000)"


def test_pages_show_estimate_with_interval(tmp_path):
    layers = tiny_layers()
    q = layers["quartiers"]
    q["pop_low"], q["pop_high"], q["pop_evidence"] = (
        [3512, 2400, 3000],
        [9876, 6500, 8000],
        ["schools", "none", "schools"],
    )
    c = layers["communes"]
    c["pop_low"], c["pop_high"] = [9000, 4400], [11_200, 5000]
    meta = {
        "build_id": "t",
        "built_at": "2026-11-29T00:00:00+00:00",
        "package_version": "test",
        "sources": {},
        "population": {"year": 2022, "commune_method": "growth"},
    }
    path = write_store(tmp_path / "atlas.gpkg", layers, meta)
    client = create_app(app_config(path, TESTING=True)).test_client()
    html = (
        client.get("/quartiers/ML090101001?lang=fr").get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")
    )
    assert "~6 000 hab." in html and "(3 500–9 900)" in html
    assert "aucune école relevée" not in html
    html = client.get("/quartiers/ML090101002?lang=en").get_data(as_text=True)
    assert "no surveyed school: share of the commune's area" in html
    html = client.get("/communes/ML090101?lang=fr").get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")
    assert "~10 000 hab." in html and "(9 000–11 000)" in html
    assert "(2 400–6 500)" in html  # the quartier table of the commune
    assert "projection 2022 selon la croissance 1998–2009 de chaque commune" in html
    html = client.get("/communes/ML090101?lang=en").get_data(as_text=True)
    assert "2022 projection at each commune&#39;s own 1998–2009 growth" in html
    quartiers = client.get("/api/v1/map-data.json").get_json()["quartiers"]
    assert dict(zip(quartiers["p"], zip(quartiers["lo"], quartiers["hi"], strict=True), strict=True)) == {
        "ML090101001": (3500, 9900),  # as shown: two significant digits
        "ML090101002": (2400, 6500),
        "ML090102001": (3000, 8000),
    }


def test_map_data_carries_the_interval(client):
    quartiers = client.get("/api/v1/map-data.json").get_json()["quartiers"]
    assert list(zip(quartiers["lo"], quartiers["hi"], strict=True)) == [(3000, 11000), (2000, 7000), (2500, 9000)]


def test_map_data_bounds_are_null_for_a_store_without_intervals(tmp_path):
    layers = tiny_layers()
    layers["quartiers"] = layers["quartiers"].drop(columns=["pop_low", "pop_high"])
    meta = {"build_id": "t", "built_at": "2026-11-29T00:00:00+00:00", "package_version": "test", "sources": {}}
    client = create_app(app_config(write_store(tmp_path / "a.gpkg", layers, meta), TESTING=True)).test_client()
    quartiers = client.get("/api/v1/map-data.json").get_json()["quartiers"]
    # an older store: every bound is null, the popup shows the plain figure
    assert quartiers["lo"] == quartiers["hi"] == [None] * len(quartiers["p"])
