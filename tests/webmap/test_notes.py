"""Every page says, in French and English, what its figures can and cannot bear (« À savoir »)."""

from __future__ import annotations

import re

import pytest

from geo.store import write_store
from tests.backends import app_config
from tests.conftest import tiny_layers
from webmap import create_app

PAGES = ["/", "/embed", "/couverture", "/quartiers/ML090101001", "/communes/ML090102", "/facilities/sante-0001"]

#: One phrase per note and language: the note's key → (French, English).
PHRASES = {
    "population": ("estimation d'un modèle, avec sa fourchette", "a model estimate, with its range"),
    "positions": ("coordonnées saisies dans la fiche DNACPN", "coordinates typed in the DNACPN sheet"),
    "distances": ("qu'on ne le franchit qu'aux ponts", "it is crossed only at the bridges"),
    "boundaries": ("Limites OCHA COD-AB (2013)", "OCHA COD-AB boundaries (2013)"),
}


def notes_of(html: str) -> dict[str, str]:
    """Return the « À savoir » items of a page: note key → text (spaces normalised)."""
    html = html.replace("\u202f", " ").replace("\xa0", " ").replace("&#39;", "'")
    assert html.count('class="atlas-notes"') == 1, "one notes block per page"
    return dict(re.findall(r'<li data-note="(\w+)">([^<]*)</li>', html))


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("lang", [0, 1], ids=["fr", "en"])
def test_every_page_carries_the_notes(client, url, lang):
    notes = notes_of(client.get(f"{url}?lang={('fr', 'en')[lang]}").get_data(as_text=True))
    assert set(notes) == set(PHRASES)
    for key, phrases in PHRASES.items():
        assert phrases[lang] in notes[key]


def test_notes_name_the_commune_method_and_the_store_area(client, tmp_path):
    fr = notes_of(client.get("/?lang=fr").get_data(as_text=True))
    assert "Communes 2022 : projection par part uniforme du total 2009" in fr["population"]
    assert "(3,0 km² pour le District)" in fr["boundaries"]  # the tiny store's communes: 2 + 1 km²
    meta = {"build_id": "t", "built_at": "2026-12-04T00:00:00+00:00", "package_version": "test", "sources": {},
            "population": {"year": 2022, "commune_method": "growth"}}  # fmt: skip
    growth = create_app(app_config(write_store(tmp_path / "g.gpkg", tiny_layers(), meta), TESTING=True))
    en = notes_of(growth.test_client().get("/communes/ML090101?lang=en").get_data(as_text=True))
    assert "Communes 2022: projection from each commune's own 1998–2009 growth" in en["population"]
    assert "(3.0 km² for the District)" in en["boundaries"]


def test_no_completeness_claim(client):
    for lang in ("fr", "en"):
        html = client.get(f"/couverture?lang={lang}").get_data(as_text=True)
        assert "tout le District" not in html and "across the whole District" not in html
    config = client.get("/api/v1/coverage?kind=cscom").get_json()
    assert "whole District" not in str(config) and "tout le District" not in str(config)
