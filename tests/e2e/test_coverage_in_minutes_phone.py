"""The « Couverture » view in minutes on a phone, in French: the method select and the minutes slider."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def test_switching_to_walking_time_on_a_phone(open_map, markup_server):
    page = open_map(markup_server, "/couverture?kind=cscom&basemap=none", viewport=PHONE, wait=False)
    summary = page.locator("#cov-summary")
    summary.locator(".cov-method").wait_for()
    assert "distance à vol d'oiseau" in summary.inner_text()
    straight = summary.locator(".cov-big strong").inner_text()

    page.select_option("#cov-method", "walk")
    page.locator("#cov-minutes").wait_for(state="visible")
    steps = page.evaluate(
        "() => JSON.parse(document.getElementById('coverage-config').textContent).coverage.minuteSteps"
    )
    page.locator("#cov-minutes").fill(str(steps.index(15)))
    page.wait_for_function(
        "() => document.querySelector('#cov-summary .cov-method').textContent.includes('temps de marche')"
    )
    text = summary.inner_text()
    assert "Méthode : temps de marche, le Niger franchi par ses ponts." in text
    assert "15 min à pied" in text and "15 min à pied" in page.locator("#cov-minutes-out").inner_text()
    page.wait_for_function(f"() => document.querySelector('#cov-summary .cov-big strong').textContent !== {straight!r}")
    assert re.search(r"\d", summary.locator(".cov-big strong").inner_text())
    assert page.locator("#cov-threshold-field").is_hidden()

    query = parse_qs(urlsplit(page.url).query)
    assert query["mode"] == ["walk"] and query["minutes"] == ["15"] and "threshold_m" not in query
    png = page.locator("[data-print-fmt=png]").first
    png.dispatch_event("focus")
    image = parse_qs(urlsplit(png.get_attribute("href")).query)
    assert image["mode"] == ["walk"] and image["minutes"] == ["15"]
    caption = page.locator("#cov-table-caption").inner_text()
    assert "temps de marche" in caption
    page.locator("#cov-difference").wait_for(state="visible")
    assert "vol d'oiseau" in page.locator("#cov-difference").inner_text()
    screenshot(page, "coverage-minutes-phone")

    page.wait_for_load_state("networkidle")
    page.reload()  # the URL alone reproduces the view
    page.locator("#cov-summary .cov-method").wait_for()
    assert page.locator("#cov-method").input_value() == "walk"
    assert "temps de marche" in page.locator("#cov-summary").inner_text()
    page.wait_for_load_state("networkidle")
