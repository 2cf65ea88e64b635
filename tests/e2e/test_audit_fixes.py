"""Breaks found walking issue 10 on the real store in French on a 390×844 phone, each pinned by a test."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import DESKTOP, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PHONE_390 = {"width": 390, "height": 844}
#: Commune V, Quartier Sema (a quartier all within 2 km of a CSCOM) and a quartier of Commune VI that is not.
COMMUNE_V, COVERED, UNCOVERED = "ML090105", "ML090105595", "ML090106001"
WIDTH_JS = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"


@pytest.mark.parametrize("path", [f"/communes/{COMMUNE_V}", "/communes/ML090101", f"/quartiers/{COVERED}"])
def test_a_unit_page_is_never_wider_than_a_phone(open_map, real_server, path):
    """A table filter holding a long option (« Centre de santé communautaire… ») shrinks instead of widening the page."""
    page = open_map(real_server, path + "?basemap=none", viewport=PHONE_390)
    scroll, client = page.evaluate(WIDTH_JS)
    screenshot(page, "unit-phone-width")
    assert scroll <= client, f"{path}: the page scrolls sideways ({scroll} px for {client})"
    for label in page.locator(".table-filters label").all():
        box = label.bounding_box()
        assert box["x"] + box["width"] <= client + 0.5


def test_the_data_page_tables_fit_a_phone(open_map, real_server):
    """« Données »: the layers table's three columns (« Téléchargements » last) fit 390 px without a sideways scroll."""
    page = open_map(real_server, "/donnees", viewport=PHONE_390, wait=False)
    for table in page.locator(".table-wrap").all():
        inner, outer = table.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert inner <= outer, f"a table of /donnees is {inner} px in its {outer} px frame"


def _test_a_cscom_here(page) -> None:
    button = page.get_by_role("link", name="Tester un CSCOM ici")
    button.scroll_into_view_if_needed()
    with page.expect_navigation():
        button.click()
    page.wait_for_function("() => document.getElementById('cov-status').textContent.includes('Scénario')")


def test_a_cscom_tested_from_a_quartier_page_announces_its_effect_on_the_map(open_map, real_server):
    """On a phone the scenario's summary lies below the map: its effect shows on the map's status line too."""
    page = open_map(real_server, f"/quartiers/{UNCOVERED}?basemap=none", viewport=PHONE_390)
    _test_a_cscom_here(page)
    status = page.locator("#cov-status")
    assert status.is_visible() and "habitants couverts" in status.inner_text()
    box, height = status.bounding_box(), PHONE_390["height"]
    assert 0 <= box["y"] and box["y"] + box["height"] <= height  # on screen where the user landed
    screenshot(page, "cscom-here-phone")


def test_a_scenario_that_changes_nothing_says_so_in_words(open_map, real_server):
    """Not « Scénario : 0 habitants couverts (0 points). »"""
    page = open_map(real_server, f"/quartiers/{COVERED}?basemap=none", viewport=DESKTOP)
    _test_a_cscom_here(page)
    effect = page.locator("#cov-effect").inner_text()
    assert effect == "Scénario : pas un habitant couvert de plus ni de moins."
    assert "0 habitants" not in page.locator("#cov-status").inner_text()


def test_a_commune_page_gives_its_population_range_as_its_printed_map_does(open_map, real_server):
    """Commune V's bounds round alike (965 059–973 689): outwards, as in the image, never « (970 000–970 000) »."""
    page = open_map(real_server, f"/communes/{COMMUNE_V}?basemap=none")
    figures = page.locator("dl").first.inner_text().replace("\u202f", " ").replace("\xa0", " ")
    assert "~970 000 hab. (960 000–980 000)" in figures
    assert "970 000–970 000" not in figures


@pytest.mark.parametrize(
    ("typed", "found"), [("cscom faladie", "ASCOFA"), ("pharmacie hamdallaye", "Pharmacie la vie")]
)
def test_the_search_finds_a_facility_by_its_kind_and_its_quartier(open_map, real_server, typed, found):
    """« cscom faladie »: no CSCOM is named so, but ASCOFA is the CSCOM of Faladjè (other spelling Faladie)."""
    page = open_map(real_server, "/?basemap=none", viewport=PHONE_390)
    page.locator("#q").press_sequentially(typed)
    options = page.locator("#q-results [role=option] .r-label")
    options.first.wait_for()
    assert found in options.all_inner_texts()
    alone = page.locator("#q")
    alone.fill("")
    alone.press_sequentially("faladie")  # one word: the quartier first, facilities by name only
    page.locator("#q-results [role=option] .r-label").first.wait_for()
    assert page.locator("#q-results [role=option] .r-label").first.inner_text() == "Faladjè"
    assert "ASCOFA" not in page.locator("#q-results").inner_text()
