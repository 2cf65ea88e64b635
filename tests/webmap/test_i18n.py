"""Languages: every string has an English translation, the compiled catalog is current, pages switch language."""

from __future__ import annotations

import io
import json
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "webmap" / "translations" / "en" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None}
HOW = "see babel.cfg for the pybabel extract / update / compile steps"


def english_po():
    with open(CATALOG / "messages.po", "rb") as f:
        return read_po(f, locale="en")


def extracted_ids() -> set[str]:
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    ids = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_every_marked_string_has_an_english_translation():
    po = english_po()
    translated = {m.id for m in po if m.id and m.string and not m.fuzzy}
    missing = sorted(extracted_ids() - translated)
    assert missing == [], f"strings without an English translation ({HOW}): {missing}"


def test_translations_keep_their_placeholders():
    errors = [(m.id, [str(e) for e in errs]) for m, errs in english_po().check() if errs]
    assert errors == []


def test_compiled_catalog_matches_the_po_file():
    po = english_po()
    buffer = io.BytesIO()
    write_mo(buffer, po)
    buffer.seek(0)
    expected = {m.id: m.string for m in read_mo(buffer) if m.id}
    with open(CATALOG / "messages.mo", "rb") as f:
        committed = {m.id: m.string for m in read_mo(f) if m.id}
    assert committed == expected, f"webmap/translations/en/LC_MESSAGES/messages.mo is stale ({HOW})"


def test_french_is_the_default(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in html and "Couches et légende" in html


def test_english_by_parameter_header_and_cookie(client, app):
    assert "Layers and legend" in client.get("/?lang=en").get_data(as_text=True)
    fresh = app.test_client()
    assert "Layers and legend" in fresh.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(as_text=True)
    fresh.set_cookie("lang", "en")
    assert '<html lang="en">' in fresh.get("/embed").get_data(as_text=True)


def test_english_reaches_the_script_labels_and_unit_pages(client):
    html = client.get("/?lang=en").get_data(as_text=True)
    config = json.loads(html.split('id="atlas-config" type="application/json">')[1].split("</script>")[0])
    assert config["t"]["outside"] == "outside the District: left out of analyses"
    assert config["precisions"]["quartier"] == "approximate position (quartier)"
    assert config["kinds"]["cscom"] == "Community health centre (CSCOM)"
    assert config["popNote"] == "Population: 2022 estimate, each commune's 2009 share"
    page = client.get("/quartiers/ML090101001?lang=en").get_data(as_text=True)
    assert "Key figures" in page and "Probable duplicate" in page and "Neighbouring quartiers" in page


def test_error_pages_are_translated(client):
    assert "Page or resource not found." in client.get("/no-such-page?lang=en").get_data(as_text=True)
    assert "Page ou ressource introuvable." in client.get("/no-such-page?lang=fr").get_data(as_text=True)


def test_language_switch_keeps_the_view(client):
    html = client.get("/?layers=cscom&basemap=none").get_data(as_text=True)
    assert 'href="/?layers=cscom&amp;basemap=none&amp;lang=en"' in html
