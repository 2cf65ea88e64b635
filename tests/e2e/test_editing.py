"""The planners' editor in the map and the import page, in headless Chromium (tiny atlas, no mirror needed).

One served atlas per module (``planner_server``): tests add, edit and retire
facilities of their own, so they do not depend on each other's order.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, screenshot
from tests.e2e.helpers import api_write, click_map_at, fetch_json, forgive, open_panel
from tests.geo.imports.samples import csv_bytes, ll

pytestmark = pytest.mark.browser

MAP = "/?basemap=none&layers=cscom,hospitals,claec,schools,sports,other_health"


def lat_lon(dx: float, dy: float) -> tuple[float, float]:
    """Return (lat, lon) of a point of the tiny District, ``dx``/``dy`` metres from its south-west corner."""
    lon, lat = ll(dx, dy)
    return lat, lon


def saved(page, text: str, title: str | None = None) -> None:
    """Wait until the editor closed and the map says ``text``; with ``title``, until that facility's popup is open.

    After a save the map data is fetched again and redrawn, then the saved facility's popup opens.
    """
    page.locator("#edit-panel").wait_for(state="hidden")
    page.locator("#atlas-status", has_text=text).wait_for(timeout=10_000)
    if title is not None:
        page.locator(".leaflet-popup-content h3", has_text=title).wait_for(timeout=10_000)
        # a popup closed by the redraw fades out for 200 ms before it leaves the page
        page.wait_for_function("() => document.querySelectorAll('.leaflet-popup').length === 1")
        assert page.locator(".leaflet-popup-content h3").inner_text() == title


def popup_facility_id(page) -> str:
    """Return the facility id of the open popup (its "Fiche détaillée" link)."""
    href = page.locator(".leaflet-popup-content a[href*='/facilities/']").last.get_attribute("href")
    return href.rsplit("/", 1)[1]


def open_editor_of(page, name: str) -> None:
    """Find ``name`` with the search box, open its popup and press "Modifier"."""
    page.locator("#q").fill(name)
    page.locator("#q-results [role=option] .r-label", has_text=name).first.wait_for()
    page.locator("#q").press("Enter")
    page.locator(".leaflet-popup-content .edit-open").click()
    page.locator("#edit-panel").wait_for(state="visible")
    page.wait_for_function("() => document.getElementById('ef-name').value !== ''")


# ----------------------------------------------------------------------------- who sees the editor
def test_visitors_and_viewers_get_no_editor(open_map, planner_server):
    page = open_map(planner_server, MAP)
    assert page.locator("#edit-panel, #edit-tools, .btn-add").count() == 0
    assert page.evaluate("() => [...document.scripts].some(s => s.src.includes('edit.js'))") is False
    viewer = open_map(planner_server, MAP, user="vera")
    assert viewer.locator("#edit-panel, #edit-tools, .btn-add").count() == 0
    assert viewer.locator(".account-name").inner_text() == "vera"


# ----------------------------------------------------------------------------------------- adding
def test_add_by_clicking_the_map(open_map, planner_server):
    page = open_map(planner_server, MAP, user="awa")
    assert page.locator("#edit-tools").is_visible()
    page.locator(".btn-add").click()
    panel = page.locator("#edit-panel")
    panel.wait_for(state="visible")
    assert page.locator("#edit-title").inner_text() == "Nouvel équipement"
    assert page.locator("#ef-name").evaluate("e => e === document.activeElement")
    lat, lon = lat_lon(700, 300)
    click_map_at(page, lat, lon)  # a click on a quartier places the point (no quartier popup)
    assert page.locator(".leaflet-popup").count() == 0
    assert page.locator(".edit-pin").count() == 1
    assert float(page.locator("#ef-lat").input_value()) == pytest.approx(lat, abs=2e-5)
    assert float(page.locator("#ef-lon").input_value()) == pytest.approx(lon, abs=2e-5)
    page.locator("#ef-name").fill("CSCOM de Faladjè-Est")
    page.locator("#ef-kind").select_option("cscom")
    page.locator("#edit-panel summary", has_text="Autres attributs").click()
    page.locator("#ef-beds").fill("12")
    page.locator("#ef-operator_type").select_option("community")
    screenshot(page, "edit-fr-desktop-add")
    page.locator("[data-edit-save]").click()
    saved(page, "Équipement ajouté.", "CSCOM de Faladjè-Est")
    assert panel.is_hidden()
    title = page.locator(".leaflet-popup-content h3")
    title.wait_for()
    assert title.inner_text() == "CSCOM de Faladjè-Est"  # the new facility's popup opens on the redrawn map
    doc = fetch_json(page, f"/facilities/{popup_facility_id(page)}.json")
    assert (doc["kind"], doc["beds"], doc["operator_type"], doc["location_precision"]) == (
        "cscom",
        12,
        "community",
        "exact",
    )
    assert doc["quartier_pcode"] == "ML090101001"
    assert page.locator("#map .fac-cscom[title='CSCOM de Faladjè-Est']").count() == 1


def test_add_by_typing_coordinates_and_by_choosing_a_quartier(open_map, planner_server):
    page = open_map(planner_server, MAP, user="awa")
    page.locator("#edit-tools [data-edit-add]").click()
    lat, lon = lat_lon(1700, 200)
    page.locator("#ef-name").fill("Plateau sportif de Niaréla")
    page.locator("#ef-kind").select_option("plateau_sportif")
    page.locator("#ef-lat").fill(f"{lat:.6f}".replace(".", ","))  # a decimal comma is read too
    page.locator("#ef-lon").fill(f"{lon:.6f}")
    page.locator("#ef-lon").dispatch_event("change")
    assert page.locator(".edit-pin").count() == 1
    page.locator("[data-edit-save]").click()
    saved(page, "Équipement ajouté.", "Plateau sportif de Niaréla")
    doc = fetch_json(page, f"/facilities/{popup_facility_id(page)}.json")
    assert (doc["lat"], doc["lon"]) == (pytest.approx(lat, abs=1e-6), pytest.approx(lon, abs=1e-6))
    assert doc["quartier_pcode"] == "ML090101002"

    page.locator("#edit-tools [data-edit-add]").click()
    page.locator("#ef-name").fill("CLAEC de Dar Salam")
    page.locator("#ef-kind").select_option("claec")
    page.get_by_label("Quartier : position approximative").check()
    assert page.locator(".edit-pin").count() == 0
    assert page.locator("#ef-precision").input_value() == "quartier"
    page.locator("#ef-quartier").select_option("ML090102001")
    page.locator("[data-edit-save]").click()
    saved(page, "Équipement ajouté.", "CLAEC de Dar Salam")
    doc = fetch_json(page, f"/facilities/{popup_facility_id(page)}.json")
    assert (doc["quartier_pcode"], doc["location_precision"]) == ("ML090102001", "quartier")
    assert page.locator("#map .fac-claec.fac-approx[title='CLAEC de Dar Salam']").count() == 1


def test_validation_messages_next_to_the_field_and_outside_confirmation(open_map, planner_server):
    page = open_map(planner_server, MAP, user="awa")
    page.locator("#edit-tools [data-edit-add]").click()
    page.locator("[data-edit-save]").click()  # nothing filled in: checked before sending
    assert page.locator("#ef-name-err").inner_text() == "Le nom est obligatoire."
    assert page.locator("#ef-kind-err").inner_text() == "Le type d'équipement est obligatoire."
    assert "position est obligatoire" in page.locator("#ef-pos-err").inner_text()
    assert page.locator("#ef-name").get_attribute("aria-invalid") == "true"
    assert page.locator("#ef-name").evaluate("e => e === document.activeElement")

    page.locator("#ef-name").fill("Terrain de Kati")
    page.locator("#ef-kind").select_option("sports_ground")
    page.locator("#ef-lat").fill("12.74")  # Kati: north-west of the District
    page.locator("#ef-lon").fill("-8.07")
    page.locator("[data-edit-save]").click()
    error = page.locator("#ef-pos-err")
    error.wait_for()
    forgive(page, 400, "/api/v1/facilities")
    assert "hors du District de Bamako" in error.inner_text()  # the server's message, in French
    assert page.locator("#ef-name-err").is_hidden()
    box = page.locator("#ef-outside-box")
    assert box.is_visible() and page.locator("#ef-outside").evaluate("e => e === document.activeElement")
    screenshot(page, "edit-fr-desktop-outside")
    page.locator("#ef-outside").check()
    page.locator("[data-edit-save]").click()
    saved(page, "Équipement ajouté.", "Terrain de Kati")
    doc = fetch_json(page, f"/facilities/{popup_facility_id(page)}.json")
    assert doc["join_status"] == "outside" and not doc["in_analysis"]
    assert page.locator(".leaflet-popup-content .badge-warn").inner_text() == "hors du District : exclu des analyses"


def test_messages_in_english(open_map, planner_server):
    page = open_map(planner_server, MAP + "&lang=en", user="awa", lang="en")
    page.locator(".btn-add").click()
    assert page.locator("#edit-title").inner_text() == "New facility"
    assert page.locator("label[for=ef-name]").inner_text().startswith("Name")
    page.locator("#ef-name").fill("x" * 5)
    page.locator("#ef-kind").select_option("school")
    page.locator("#ef-lat").fill("12.74")
    page.locator("#ef-lon").fill("-8.07")
    page.locator("[data-edit-save]").click()
    page.locator("#ef-pos-err").wait_for()
    forgive(page, 400, "/api/v1/facilities")
    assert "outside the District of Bamako" in page.locator("#ef-pos-err").inner_text()
    assert "outside the District" in page.locator("#ef-outside-box").inner_text()


# ---------------------------------------------------------------------------------------- editing
def test_edit_fields_and_move_by_dragging(open_map, planner_server):
    page = open_map(planner_server, MAP, user="awa")
    open_editor_of(page, "École Niaréla")
    assert page.locator("#edit-title").inner_text() == "Modifier l'équipement"
    assert page.locator("#ef-kind").input_value() == "school"
    before = fetch_json(page, "/api/v1/facilities/educ-0001")
    page.locator("#ef-name").fill("Groupe scolaire de Niaréla")
    page.locator("#ef-kind").select_option("college")
    page.locator("#edit-panel summary", has_text="Autres attributs").click()
    page.locator("#ef-pupils").fill("640")
    pin = page.locator(".edit-pin").bounding_box()
    x, y = pin["x"] + pin["width"] / 2, pin["y"] + pin["height"] - 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 30, y - 25, steps=8)
    page.mouse.up()
    assert float(page.locator("#ef-lat").input_value()) > before["lat"]  # dragged north-east
    assert float(page.locator("#ef-lon").input_value()) > before["lon"]
    page.locator("#ef-reason").fill("visite du 28 novembre")
    page.locator("[data-edit-save]").click()
    saved(page, "Modifications enregistrées.", "Groupe scolaire de Niaréla")
    after = fetch_json(page, "/api/v1/facilities/educ-0001")
    assert (after["name"], after["kind"], after["pupils"]) == ("Groupe scolaire de Niaréla", "college", 640)
    assert after["version"] == before["version"] + 1
    assert after["lat"] > before["lat"] and after["lon"] > before["lon"]
    assert page.locator(".leaflet-popup-content h3").inner_text() == "Groupe scolaire de Niaréla"
    change = fetch_json(page, "/api/v1/history?facility=educ-0001")["changes"][0]
    assert change["user"] == "awa" and change["reason"] == "visite du 28 novembre"

    open_editor_of(page, "Groupe scolaire")  # nothing changed: nothing sent
    page.locator("[data-edit-save]").click()
    assert page.locator("#edit-alert").inner_text() == "Aucune modification à enregistrer."


def test_a_stale_version_shows_the_current_values_and_reapplies(open_map, planner_server):
    page = open_map(planner_server, MAP, user="awa")
    open_editor_of(page, "Stade")
    current = fetch_json(page, "/api/v1/facilities/lieu-stade")
    # Someone else renames it while the form is open.
    status, _ = api_write(page, "PATCH", "/api/v1/facilities/lieu-stade",
                          {"version": current["version"], "name": "Stade du 26 Mars"})  # fmt: skip
    assert status == 200
    page.locator("#edit-panel summary", has_text="Autres attributs").click()
    page.locator("#ef-opening_hours").fill("Mo-Su 06:00-22:00")
    page.locator("[data-edit-save]").click()
    conflict = page.locator("#edit-conflict")
    conflict.wait_for()
    forgive(page, 409, "/api/v1/facilities/lieu-stade")
    assert "modifié cet équipement" in page.locator("#edit-conflict-text").inner_text()
    rows = page.locator("#edit-conflict-table tbody tr")
    texts = [rows.nth(i).inner_text() for i in range(rows.count())]
    assert any("Stade du 26 Mars" in t for t in texts)  # the current value is shown
    assert any("Mo-Su 06:00-22:00" in t for t in texts)  # next to what the planner typed
    reapply = page.locator("[data-edit-reapply]")
    assert page.locator("#edit-conflict-text").evaluate("e => e === document.activeElement")
    page.keyboard.press("Tab")
    assert reapply.evaluate("e => e === document.activeElement")
    screenshot(page, "edit-fr-desktop-conflict")
    reapply.click()
    saved(page, "Modifications enregistrées.", "Stade du 26 Mars")
    after = fetch_json(page, "/api/v1/facilities/lieu-stade")
    assert (after["name"], after["opening_hours"]) == ("Stade du 26 Mars", "Mo-Su 06:00-22:00")  # nothing lost
    assert after["version"] == current["version"] + 2


def test_retire_needs_a_reason_and_hides_the_facility(open_map, planner_server):
    page = open_map(planner_server, MAP, user="awa")
    page.locator("#edit-tools [data-edit-add]").click()
    lat, lon = lat_lon(2600, 200)
    page.locator("#ef-name").fill("Pharmacie fermée")
    page.locator("#ef-kind").select_option("pharmacy")
    click_map_at(page, lat, lon)
    page.locator("[data-edit-save]").click()
    saved(page, "Équipement ajouté.", "Pharmacie fermée")
    fid = popup_facility_id(page)
    page.locator(".leaflet-popup-content .edit-open").click()
    page.locator("#edit-panel").wait_for(state="visible")
    page.locator("#edit-retire summary").click()
    page.locator("#edit-retire-form button[type=submit]").click()
    assert page.locator("#er-reason-err").inner_text() == "Un motif est obligatoire."
    assert page.locator("#er-reason").evaluate("e => e === document.activeElement")
    page.locator("#er-reason").fill("fermée depuis 2024")
    page.locator("#edit-retire-form button[type=submit]").click()
    saved(page, "Équipement retiré.")
    page.locator("#map [title='Pharmacie fermée']").wait_for(state="detached")  # gone once the map is redrawn
    doc = fetch_json(page, f"/api/v1/facilities/{fid}")
    assert doc["status"] == "retired"
    page.locator("#q").fill("Pharmacie fermée")
    page.locator("#q-results li").first.wait_for()
    assert page.locator("#q-results .r-label", has_text="Pharmacie fermée").count() == 0


def test_merge_a_duplicate_pair_from_the_qa_finding(open_map, planner_server):
    lat, lon = lat_lon(520, 500)  # the pharmacy flagged as a duplicate of the CSCOM 20 m away
    page = open_map(planner_server, f"/?basemap=none&layers=cscom,other_health,qa&zoom=17&center={lon:.5f},{lat:.5f}",
                    user="awa")  # fmt: skip
    qa = page.locator("#map .leaflet-marker-pane .fac-qa")
    qa.first.click()
    merge = page.locator(".leaflet-popup-content .edit-merge-open")
    merge.click()
    form = page.locator("#edit-merge")
    form.wait_for(state="visible")
    names = page.locator("#em-choices .merge-name").all_inner_texts()
    assert sorted(names) == ["ASACOFA", "Pharmacie <b>Kanu</b>"]  # as text
    assert page.locator("#em-choices b").count() == 0
    assert page.locator("#em-choices input[value='dnacpn-01']").is_checked()  # the finding's original is kept
    screenshot(page, "edit-fr-desktop-merge")
    page.locator("#em-reason").fill("même centre")
    form.locator("button[type=submit]").click()
    saved(page, "Fiches fusionnées.", "ASACOFA")
    kept = fetch_json(page, "/api/v1/facilities/dnacpn-01")
    dropped = fetch_json(page, "/api/v1/facilities/sante-0001")
    assert (kept["status"], dropped["status"]) == ("active", "retired")
    change = fetch_json(page, "/api/v1/history?facility=dnacpn-01&action=merge")["changes"][0]
    assert (change["related_id"], change["reason"]) == ("sante-0001", "même centre")
    assert page.locator("#map [title='Pharmacie <b>Kanu</b>']").count() == 0


# ----------------------------------------------------------------------------- keyboard and phone
def test_keyboard_only(open_map, planner_server):
    page = open_map(planner_server, MAP, user="awa")
    add = page.locator("#edit-tools [data-edit-add]")
    add.focus()
    page.keyboard.press("Enter")
    assert page.locator("#ef-name").evaluate("e => e === document.activeElement")
    page.keyboard.type("Jardin d'enfants Soleil")
    page.keyboard.press("Tab")
    page.keyboard.type("Jardin")  # typing selects in a focused <select>
    assert page.locator("#ef-kind").input_value() == "kindergarten"
    page.locator("[data-edit-center]").focus()
    page.keyboard.press("Enter")  # the map centre: move the map with the arrow keys first
    assert page.locator("#ef-lat").input_value() != ""
    page.locator("#ef-reason").focus()
    page.keyboard.press("Enter")  # submits the form
    saved(page, "Équipement ajouté.", "Jardin d'enfants Soleil")
    assert page.locator(".leaflet-popup-content h3").inner_text() == "Jardin d'enfants Soleil"

    add.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    assert page.locator("#edit-panel").is_hidden()
    assert add.evaluate("e => e === document.activeElement")  # focus goes back


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_phone_360(open_map, planner_server, lang):
    page = open_map(planner_server, MAP + f"&lang={lang}", user="awa", viewport=PHONE, lang=lang)
    page.locator(".btn-add").click()
    panel = page.locator("#edit-panel")
    panel.wait_for(state="visible")
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5
    assert box["y"] + box["height"] <= PHONE["height"] + 0.5
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    lat, lon = lat_lon(1200 if lang == "fr" else 1500, 700)  # apart: 24 px touch targets (issue 10)
    click_map_at(page, lat, lon)  # the top of the map stays visible for placing the point
    assert page.locator("#ef-lat").input_value() != ""
    page.locator("#ef-name").fill("Plateau du marché")
    page.locator("#ef-kind").select_option("plateau_sportif")
    screenshot(page, f"edit-{lang}-phone-add")
    save = page.locator("[data-edit-save]")
    assert save.is_visible()
    save.click()
    saved(page, "Équipement ajouté." if lang == "fr" else "Facility added.", "Plateau du marché")
    open_panel(page)
    assert page.locator("#edit-tools").is_visible()


# ------------------------------------------------------------------------------------ import page
def upload(page, name: str, data: bytes, mime: str = "text/csv") -> None:
    page.locator("#import-file").set_input_files({"name": name, "mimeType": mime, "buffer": data})
    page.locator("#import-form button[type=submit]").click()


def test_import_preview_and_commit(open_map, planner_server):
    page = open_map(planner_server, "/imports", user="awa", wait=False)
    assert page.locator("h1").inner_text() == "Importer des équipements"
    rows = [
        ["École de la Cité", "school", *lat_lon(300, 900)],
        ["Terrain de la Cité", "sports_ground", *lat_lon(400, 900)],
        ["ASACOFA bis", "cscom", *lat_lon(505, 500)],  # 5 m from ASACOFA: a probable duplicate
        ["", "school", *lat_lon(600, 900)],  # no name
        ["Puits", "puits", *lat_lon(700, 900)],  # unknown kind
        ["Loin", "school", 12.74, -8.07],  # outside
    ]
    upload(page, "ecoles.csv", csv_bytes(rows))
    page.locator("#pv-errors").wait_for()
    counts = page.locator(".import-counts strong").all_inner_texts()
    assert counts == ["6", "2", "1", "3"]
    errors = page.locator("#import-preview section:has(#pv-errors) tbody tr")
    assert errors.count() == 3
    first = errors.nth(0).locator("td").all_inner_texts()
    assert first[0] == "ligne 5" and first[1] == "Nom" and first[2] == "Le nom est vide."
    assert "ligne 6" in errors.nth(1).inner_text() and "Type" in errors.nth(1).inner_text()
    assert "ligne 7" in errors.nth(2).inner_text()
    dup = page.locator("#import-preview section:has(#pv-dups) tbody tr")
    assert dup.count() == 1 and "ASACOFA" in dup.inner_text()
    screenshot(page, "import-fr-desktop-preview")
    page.set_viewport_size(PHONE)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]  # tables scroll inside
    screenshot(page, "import-fr-phone-preview")
    page.set_viewport_size(DESKTOP)
    page.locator("#import-commit").click()
    done = page.locator(".import-ok")
    done.wait_for()
    assert "2 équipement(s) ajouté(s)" in done.inner_text()
    history = fetch_json(page, "/api/v1/history?action=create&limit=50")["changes"]
    assert {"École de la Cité", "Terrain de la Cité"} <= {c["facility_name"] for c in history}

    page.wait_for_load_state("networkidle")
    page.goto(planner_server.base_url + MAP)
    page.wait_for_selector("#atlas.ready", state="attached")
    assert page.locator("#map [title='Terrain de la Cité']").count() == 1


def test_import_refuses_malformed_and_oversized_files(open_map, planner_server):
    page = open_map(planner_server, "/imports", user="awa", wait=False)
    alert = page.locator("#import-alert")
    page.locator("#import-form button[type=submit]").click()
    assert alert.inner_text() == "Choisissez un fichier."
    upload(page, "cassé.geojson", b'{"type": "FeatureCollection", "features": [', "application/geo+json")
    alert.wait_for()
    page.wait_for_function("() => !document.getElementById('import-alert').hidden && "
                           "document.getElementById('import-alert').textContent.includes('JSON')")  # fmt: skip
    forgive(page, 400, "/api/v1/imports")
    assert "JSON valide" in alert.inner_text()
    upload(page, "tronqué.gpkg", b"SQLite format 3\x00" + b"\x00" * 500, "application/geopackage+sqlite3")
    page.wait_for_function("() => document.getElementById('import-alert').textContent.includes('GeoPackage')")
    forgive(page, 400, "/api/v1/imports")
    big = b"name,kind,lat,lon\n" + b"x" * (20 * 1024 * 1024 + 10)
    upload(page, "énorme.csv", big)
    page.wait_for_function("() => document.getElementById('import-alert').textContent.includes('20 Mo')")
    assert page.locator("#import-preview").inner_text() == ""
    screenshot(page, "import-fr-desktop-error")
    assert json.loads(page.locator("#import-config").text_content())["maxBytes"] == 20 * 1024 * 1024


# ----------------------------------------------------------------------------------------- access
WRITES = [
    ("POST", "/api/v1/facilities", {"name": "Intrus", "kind": "cscom", "lat": 12.65, "lon": -8.0}),
    ("PATCH", "/api/v1/facilities/lieu-claec-commune-ii", {"version": 1, "name": "Intrus"}),
    ("DELETE", "/api/v1/facilities/lieu-claec-commune-ii", {"version": 1, "reason": "intrus"}),
    (
        "POST",
        "/api/v1/facilities/merge",
        {"keep_id": "lieu-claec-commune-ii", "keep_version": 1, "drop_id": "educ-0001", "drop_version": 1},
    ),
    ("POST", "/api/v1/imports/imp-0/commit", {}),
]


def test_writes_need_login_role_and_csrf_token(open_map, planner_server):
    """From a browser: anonymous → 401, a viewer → 403, an editor without (or with a wrong) CSRF token → 403."""
    anonymous = open_map(planner_server, MAP)
    viewer = open_map(planner_server, MAP, user="vera")
    editor = open_map(planner_server, MAP, user="awa")
    token = editor.locator('meta[name="csrf-token"]').get_attribute("content")
    viewer_token = viewer.locator('meta[name="csrf-token"]').get_attribute("content")
    for method, path, body in WRITES:
        url = planner_server.base_url + path
        assert anonymous.request.fetch(url, method=method, data=body).status == 401, path
        assert viewer.request.fetch(url, method=method, data=body, headers={"X-CSRF-Token": viewer_token}).status == 403
        assert editor.request.fetch(url, method=method, data=body).status == 403, path
        assert editor.request.fetch(url, method=method, data=body, headers={"X-CSRF-Token": token[::-1]}).status == 403
        assert editor.request.fetch(url, method=method, data=body, headers={"X-CSRF-Token": viewer_token}).status == 403
    upload = {"file": {"name": "a.csv", "mimeType": "text/csv", "buffer": b"name,kind,lat,lon\n"}}
    assert anonymous.request.post(planner_server.base_url + "/api/v1/imports", multipart=upload).status == 401
    assert editor.request.post(planner_server.base_url + "/api/v1/imports", multipart=upload).status == 403
    assert fetch_json(editor, "/api/v1/facilities/lieu-claec-commune-ii")["version"] == 1  # nothing was written


def test_import_a_road_layer_on_a_phone(open_map, planner_server):
    from tests.geo.imports.test_imports_roads import _osm

    page = open_map(planner_server, "/imports", viewport=PHONE, user="awa", wait=False)
    page.locator("#import-target").select_option("roads")
    upload(page, "bamako.osm", _osm(), "application/xml")
    page.locator("#pv-rows").wait_for()
    assert page.locator("#pv-rows").inner_text().startswith("Voies de la couche de routes (3)")
    cells = page.locator("#import-preview section:has(#pv-rows) tbody tr").nth(0).locator("td").all_inner_texts()
    assert cells[0] == "osm:way/10" and cells[2] == "primary" and cells[3] == "2"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "import-fr-phone-roads-preview")
    page.locator("#import-commit").click()
    page.locator(".import-ok").wait_for()
    assert "la couche de routes compte 3 voie(s)" in page.locator(".import-ok").inner_text()
    page.reload()
    page.locator("#import-roads-help summary").click()
    assert "Couche actuelle : bamako.osm, 3 voies" in page.locator("#import-roads-current").inner_text()
    screenshot(page, "import-fr-phone-roads-current")


def test_a_focused_field_is_never_hidden_behind_the_save_bar(open_map, planner_server):
    page = open_map(planner_server, MAP, user="awa", viewport=PHONE)
    open_panel(page)
    page.locator("#edit-tools [data-edit-add]").click()
    page.locator("#ef-name").focus()
    hidden = """() => {
      const f = document.activeElement, bar = document.querySelector('.edit-submit');
      if (!f || !f.closest('.edit-body') || bar.contains(f)) return null;
      const r = f.getBoundingClientRect(), b = bar.getBoundingClientRect();
      return r.bottom > b.top + 1 ? f.id || f.name || f.tagName : '';
    }"""
    covered = []
    for _ in range(30):
        page.keyboard.press("Tab")
        name = page.evaluate(hidden)
        if name is None:
            break
        if name:
            covered.append(name)
    assert covered == []
