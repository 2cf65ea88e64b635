"""The « Données » page, its selection form, the unit pages' downloads, tables and quartier access."""

from __future__ import annotations

import re

from geo.publication import exports


def test_the_data_page_lists_every_layer_and_format_with_working_links(client):
    page = client.get("/donnees?lang=fr").get_data(as_text=True)
    layers = client.get("/api/v1/layers").get_json()["layers"]
    for layer in layers:
        for url in layer["links"].values():
            assert f'href="{url}"' in page
    assert "CSV Excel (fr)" in page and "-oo PAGE_SIZE=1000" in page and "OAPIF:http://localhost/ogcapi" in page
    assert "/api/v1/package.zip?lang=fr" in page and "CC BY-IGO" in page
    for link in ("/api/v1/layers/cscom.fr.csv", "/api/v1/layers/facilities.shp.zip", "/api/v1/package.zip?lang=en"):
        assert client.get(link).status_code == 200, link
    assert "Layers" in client.get("/donnees?lang=en").get_data(as_text=True)
    # the build date in words, not « 2026-11-29 » (the tiny store's build time)
    assert "Construction du 29 novembre 2026." in page and "Built on November 29, 2026." in client.get(
        "/donnees?lang=en"
    ).get_data(as_text=True)
    assert 'href="/donnees"' in client.get("/").get_data(as_text=True)  # linked from the header


def test_the_selection_form_redirects_to_the_api_and_names_bad_fields(client):
    resp = client.get("/donnees/export?layer=facilities&kind=cscom&commune=ML090101&quartier=&scope=&format=fr.csv")
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/api/v1/layers/facilities.fr.csv?kind=cscom&commune=ML090101"
    text = client.get(resp.headers["Location"]).get_data().decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Identifiant;Type;Nom;") and len(text.splitlines()) == 2
    bad = client.get("/donnees/export?layer=communes&kind=cscom&format=csv")
    assert bad.status_code == 400 and "kind" in bad.get_data(as_text=True)
    assert client.get("/donnees/export?format=csv&colour=red").status_code == 400


def test_unit_pages_offer_their_downloads_and_sortable_tables(client):
    page = client.get("/communes/ML090101").get_data(as_text=True)
    assert 'href="/donnees"' in page
    assert 'href="/api/v1/layers/facilities.fr.csv?commune=ML090101"' in page
    assert 'data-csv-for="facility-list"' in page and '<table id="facility-list" data-sortable data-filters>' in page
    assert re.search(r'<tr data-kind="cscom" data-quartier="ML090101001">', page)
    assert "/vendor/atlas/tables.js?v=" in page
    quartier = client.get("/quartiers/ML090101001").get_data(as_text=True)
    assert 'href="/api/v1/layers/facilities.csv?quartier=ML090101001"' in quartier
    for fmt in exports.EXPORT_FORMATS:
        if fmt != "shp.zip":
            assert client.get(f"/api/v1/layers/facilities.{fmt}?quartier=ML090101001").status_code == 200


def test_quartier_pages_show_coverage_nearest_facilities_and_a_what_if_link(client):
    page = client.get("/quartiers/ML090101001?lang=fr").get_data(as_text=True)
    assert "Accès aux équipements" in page
    for distance in ("1 km", "2 km", "5 km"):
        assert f">{distance}</th>" in page
    assert "ASACOFA</a>" in page and re.search(r"ASACOFA</a>\s*\(\d+ m\)", page)
    link = re.search(r'href="(/couverture\?kind=cscom&amp;add=[^"]+)"', page).group(1).replace("&amp;", "&")
    assert client.get(link).status_code == 200  # the scenario point is inside the District


def test_coverage_table_has_a_french_excel_twin(client):
    resp = client.get("/api/v1/coverage.fr.csv?kind=cscom&threshold_m=2000")
    assert resp.status_code == 200 and resp.headers["Content-Disposition"].endswith('.fr.csv"')
    lines = resp.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Rang;Niveau;Code P;Nom;Code P commune;Commune;Équipement;Distance (m);Population;")
    assert "True" not in resp.get_data(as_text=True) and all(len(line.split(";")) > 5 for line in lines)
    assert ";0." not in resp.get_data(as_text=True)  # decimal comma
    assert client.get("/api/v1/coverage?kind=cscom&format=fr.csv").status_code == 308


def test_the_coverage_table_filter_reaches_the_csv(client):
    whole = client.get("/api/v1/coverage.csv?kind=cscom").get_data().decode("utf-8-sig").splitlines()
    one = client.get("/api/v1/coverage.csv?kind=cscom&commune=ML090102").get_data().decode("utf-8-sig").splitlines()
    assert len(whole) == 4 and len(one) == 2 and "ML090102" in one[1]
    assert client.get("/api/v1/coverage.fr.csv?kind=cscom&commune=ML090102").status_code == 200
    bad = client.get("/api/v1/coverage.csv?kind=cscom&commune=ML099999")
    assert bad.status_code == 400 and bad.get_json()["error"]["message"].startswith("commune:")
    page = client.get("/couverture").get_data(as_text=True)
    assert 'id="cov-table-commune"' in page and 'id="cov-table-csvfr"' in page
