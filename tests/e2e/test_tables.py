"""Sortable, filterable tables in the browser: a commune page's facility list and its CSV link (tiny atlas)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.browser


def test_the_facility_list_sorts_filters_and_carries_the_selection_into_its_csv(open_map, markup_server):
    page = open_map(markup_server, "/communes/ML090101?basemap=none")
    page.locator("#facility-list").evaluate("t => t.closest('details').open = true")
    csv = page.locator('a[data-csv-for="facility-list"]').first
    assert csv.get_attribute("href") == "/api/v1/layers/facilities.csv?commune=ML090101"
    rows = page.locator("#facility-list tbody tr")
    assert rows.count() == 3
    page.locator("select[data-param=kind]").select_option("school")
    assert page.locator("#facility-list tbody tr:not([hidden])").count() == 1
    assert csv.get_attribute("href") == "/api/v1/layers/facilities.csv?commune=ML090101&kind=school"
    page.locator("select[data-param=kind]").select_option("")
    name = page.locator("#facility-list thead th").first
    name.locator("button").click()
    assert name.get_attribute("aria-sort") == "ascending"
    first = rows.first.locator("td").first.inner_text()
    name.locator("button").click()
    assert name.get_attribute("aria-sort") == "descending" and rows.last.locator("td").first.inner_text() == first
    screenshot(page, "tables-commune")
