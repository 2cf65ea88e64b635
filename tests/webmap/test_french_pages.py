"""No English word or raw code on a French page: a crawl over every page template, in French.

The store is the tiny atlas with the values the real build writes (operator types,
confidence, counts, English build notes, row references, a sheet-only CSCOM, a waste
site); planners' edits put a retired facility in the history. Visible text only
(scripts, styles and markup dropped; elements marked ``lang="en"`` are English on purpose).
"""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from geo.planning import accounts
from geo.store import write_store
from tests.backends import planners_db
from tests.conftest import tiny_layers
from tests.webmap.edit_helpers import bearer, inside, login, make_app

#: Known English words and raw codes that must not reach a French reader (matched as whole words, case-sensitive).
FORBIDDEN = (
    "community", "private", "public", "medium", "high", "low", "active", "retired", "survey point", "surveyed",
    "survey name", "row", "Status", "Retired_reason", "planner", "exact", "inside", "snapped", "outside",
    "True", "False", "None", "nan", "NaN", "null", "Not Found", "Bad Request", "Method Not Allowed",
    # English of the project's own place notes (data/places.csv ``note``; French pages show ``note_fr``)
    "survey", "matched by name", "unknown", "Position:", "Location within", "Exact site",
)  # fmt: skip
#: A place note as data/places.csv writes it, with the segment the survey merge appends (in English in both).
PLACE_NOTE = (
    'Position: the 2021 education survey kindergarten "Claec" (matched by name). Exact site unknown.; '
    'same facility as survey row educ-1479 ("Claec", 0 m)'
)
PLACE_NOTE_FR = (
    "Position : le jardin d'enfants « Claec » de l'enquête éducation de 2021 (rapproché par le nom). Emplacement "
    'précis inconnu.; same facility as survey row educ-1479 ("Claec", 0 m)'
)
#: A count written as a real (« Lits 12.0 », « 12,0 »); a version (« OpenAPI 3.0 », « …/1.0/… ») is not.
REAL_COUNT = re.compile(r"(?<!OpenAPI )(?<![/=])\b\d+[.,]0\b(?!\d)(?! ?(?:km|m\b|%|hab))")
_DROP = re.compile(r"<(script|style|noscript)\b.*?</\1>|<[^>]*\blang=\"en\"[^>]*>.*?</[a-z]+>", re.S | re.I)


def visible_text(page: str) -> str:
    """Return the text a reader sees: no scripts, styles, tags or English-marked elements."""
    text = _DROP.sub(" ", page)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", html.unescape(text))


def problems(text: str) -> list[str]:
    """Return the forbidden words and real-number counts found in ``text``."""
    found = [w for w in FORBIDDEN if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]
    return found + REAL_COUNT.findall(text)


def _store(tmp_path):
    layers = tiny_layers()
    fac = layers["facilities"].copy()
    values = {
        "dnacpn-01": {"operator_type": "community", "beds": 12, "doctors": 2, "nurses": 6, "sources": "dnacpn_cscom;survey_health",
                      "source_refs": "row 55;row 0201",
                      "note": "survey name: Asaco; survey point 39 m away; surveyed 2 times",
                      "opening_hours": "Mo-Fri 07:30-13:30; other"},
        "sante-0001": {"operator_type": "private", "note": "labelled CSCOM in the survey, re-kinded clinic"},
        "educ-0001": {"operator_type": "public", "pupils": 420,
                      "note": "name: accented letters lost in the source were restored"},
        "lieu-claec-commune-ii": {"confidence": "medium", "sources": "places", "note": PLACE_NOTE,
                                  "note_fr": PLACE_NOTE_FR},
        "lieu-stade": {"confidence": "medium-high", "kind": "waste_site", "sources": "survey_waste",
                       "note": "a collector's remark after the name was dropped", "source_refs": "row 0007"},
    }  # fmt: skip
    for fid, row in values.items():
        for column, value in row.items():
            fac.loc[fac["id"] == fid, column] = value
    sheet_only = fac[fac["id"] == "dnacpn-01"].copy()
    sheet_only["id"], sheet_only["name"], sheet_only["location_precision"] = "dnacpn-02", "ASACOSO", "quartier"
    sheet_only["sources"], sheet_only["source_refs"], sheet_only["note"] = "dnacpn_cscom", "row 02", None
    layers["facilities"] = pd.concat([fac, sheet_only], ignore_index=True)
    meta = {"build_id": "fr-1", "built_at": "2026-11-29T00:00:00+00:00", "package_version": "t", "sources": {}}
    return write_store(tmp_path / "atlas.gpkg", layers, meta)


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setattr(accounts, "SCRYPT_N", 2**10)
    store = _store(tmp_path)
    db = planners_db(store)
    app = make_app(store, db)
    client, token = app.test_client(), bearer(db)
    lon, lat = inside()
    made = client.post("/api/v1/facilities", json={"kind": "cscom", "name": "Nouveau", "lon": lon, "lat": lat,
                                                    "operator_type": "community", "beds": 4}, headers=token)  # fmt: skip
    assert made.status_code == 201, made.get_data(as_text=True)
    made = made.get_json()
    client.patch(f"/api/v1/facilities/{made['id']}", json={"version": 1, "beds": 7, "reason": "relevé"}, headers=token)
    retired = client.delete(f"/api/v1/facilities/{made['id']}", json={"version": 2, "reason": "fermé"}, headers=token)
    assert retired.status_code == 200
    app.config["MADE"] = made["id"]
    return app


PUBLIC = (
    "/", "/embed", "/couverture", "/embed/couverture", "/donnees", "/communes/ML090101", "/communes/ML090102",
    "/quartiers/ML090101001", "/quartiers/ML090102001", "/facilities/dnacpn-01", "/facilities/dnacpn-02",
    "/facilities/sante-0001", "/facilities/educ-0001", "/facilities/lieu-claec-commune-ii",
    "/facilities/lieu-stade", "/login", "/ogcapi?f=html", "/ogcapi/collections?f=html",
    "/ogcapi/collections/facilities?f=html", "/ogcapi/conformance?f=html", "/ogcapi/openapi?f=html",
)  # fmt: skip
#: OGC API item and schema pages show the published data as it is (codes and column names): not crawled.
ERRORS = {"/no-such-page": 404, "/communes/ML099999": 404, "/?focus=nowhere": 400, "/donnees/export?format=xls": 404,
          "/donnees/export?layer=communes&kind=cscom": 400}  # fmt: skip


def test_public_pages_and_error_pages_hold_no_english_or_raw_values(app):
    client = app.test_client()
    for path in PUBLIC:
        resp = client.get(path + ("&" if "?" in path else "?") + "lang=fr")
        assert resp.status_code == 200, path
        assert problems(visible_text(resp.get_data(as_text=True))) == [], path
    for path, status in ERRORS.items():
        resp = client.get(path + ("&" if "?" in path else "?") + "lang=fr")
        assert resp.status_code == status, path
        page = resp.get_data(as_text=True)
        assert 'class="site-header"' in page and "Erreur" in page, path  # styled like the site, in French
        assert problems(visible_text(page)) == [], path
    page = visible_text(client.get("/facilities/dnacpn-01?lang=fr").get_data(as_text=True))
    for shown in ("Gestionnaire Communautaire", "Lits 12", "point de l'enquête à 39 m", "relevé 2 fois",
                  "ligne 55 ; ligne 0201", "Horaires lun.–ven. 07:30–13:30 ; autres horaires"):  # fmt: skip
        assert shown in page, shown
    place = visible_text(client.get("/facilities/lieu-claec-commune-ii?lang=fr").get_data(as_text=True))
    assert "Emplacement précis inconnu. ; même équipement que la ligne educ-1479 de l'enquête (« Claec », 0 m)" in place
    english = visible_text(client.get("/facilities/lieu-claec-commune-ii?lang=en").get_data(as_text=True))
    assert 'Exact site unknown.; same facility as survey row educ-1479 ("Claec", 0 m)' in english
    retired = client.get(f"/facilities/{app.config['MADE']}?lang=fr")  # retired by a planner (fixture)
    assert retired.status_code == 410 and problems(visible_text(retired.get_data(as_text=True))) == []
    resp = client.post("/donnees?lang=fr")
    assert resp.status_code == 405 and problems(visible_text(resp.get_data(as_text=True))) == []


def test_planner_pages_hold_no_english_or_raw_values(app):
    client = app.test_client()
    login(client, "admin1")
    made = app.config["MADE"]
    for path in ("/", "/history", f"/history?facility={made}", "/facilities/dnacpn-01",
                 "/imports"):  # fmt: skip
        resp = client.get(path + ("&" if "?" in path else "?") + "lang=fr")
        assert resp.status_code == 200, path
        text = visible_text(resp.get_data(as_text=True))
        assert problems(text) == [], path
    history = visible_text(client.get(f"/history?facility={made}&lang=fr").get_data(as_text=True))
    assert "État : en service → retiré" in history and "Lits : 4 → 7" in history


def test_the_crawl_catches_what_it_looks_for():
    assert problems("Gestionnaire : community ; Lits 12.0 ; survey point 39 m away") == [
        "community", "survey point", "survey", "12.0"]  # fmt: skip
    assert problems("Définition OpenAPI 3.0 ; 12,0 lits") == ["12,0"]
    assert {"survey", "matched by name", "unknown", "Position:", "Exact site"} <= set(problems(PLACE_NOTE))
    assert problems(visible_text("<dd>" + PLACE_NOTE_FR.split(";")[0] + "</dd>")) == []
    assert problems(visible_text('<p lang="en">community</p><script>var x = "None";</script><p>Lits 12</p>')) == []


def test_a_retired_facility_has_a_page_saying_so_with_its_history(app):
    client, made = app.test_client(), app.config["MADE"]
    resp = client.get(f"/facilities/{made}?lang=fr")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 410 and "Équipement retiré" in page and "Nouveau" in page
    assert f'href="/history?facility={made}"' in page
    assert "fermé" not in visible_text(page)  # the planners' reason stays among planners
    assert client.get(f"/facilities/{made}.json").status_code == 404  # the JSON twin: no such facility
    assert client.get("/facilities/never-existed?lang=fr").status_code == 404
    login(client, "admin1")
    assert "Motif : fermé" in visible_text(client.get(f"/facilities/{made}?lang=fr").get_data(as_text=True))
    english = visible_text(client.get(f"/facilities/{made}?lang=en").get_data(as_text=True))
    assert "Retired facility" in english and "History of this facility" in english
