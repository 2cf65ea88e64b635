"""Figures with their uncertainty in headless Chromium: the shared formatters, and the French coverage view
showing shares with a range and populations with an interval, never a 4-decimal share."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_shared_module import shared_module_url

pytestmark = pytest.mark.browser

FORMAT_JS = """async ([lib, locale]) => {
  const m = await import(lib);
  const fmt = m.numberFormatter(locale);
  return {
    people: m.peopleRange(fmt, 25347, 15120, 40480, "hab."),
    bare: m.peopleRange(fmt, 594, 210, 1234, ""),
    whole: m.peopleRange(fmt, 12345, null, null, "hab."),
    none: m.peopleRange(fmt, null, 1, 2, "hab."),
    narrow: m.peopleRange(fmt, 973689, 965059, 973689, "hab."),
    single: m.peopleRange(fmt, 970000, 970000, 970000, ""),
    share: m.shareRange(locale, 0.7735, 0.7086, 0.7833),
    flat: m.shareRange(locale, 0.7735, 0.7731, 0.7738),
    alone: m.shareRange(locale, 0.5, null, null),
    edge: m.shareRange(locale, 0.996, 0.9912, 1),
  };
}"""
#: A share written with more than one decimal (« 0,7735 », « 77,35 % »): what the view must never show.
FINE_SHARE = re.compile(r"\d[.,]\d{2,}\s?%|0[.,]\d{3,}")


def spaces(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ").replace("\u2060", "")


def test_shared_formatters_in_french_and_english(open_map, markup_server):
    page = open_map(markup_server, "/?basemap=none")
    lib = shared_module_url(page)
    fr = {k: spaces(v) for k, v in page.evaluate(FORMAT_JS, [lib, "fr-FR"]).items()}
    assert fr["people"] == "~25 000 hab. (15 000–40 000)"
    assert fr["bare"] == "~590 (210–1 200)"
    assert fr["whole"] == "12 345 hab." and fr["none"] == "—"
    assert fr["narrow"] == "~970 000 hab. (960 000–980 000)"  # bounds that round alike: outwards, as in print
    assert fr["single"] == "~970 000"
    assert fr["share"] == "77 % (71–78 %)"
    assert fr["flat"] == "77 %" and fr["alone"] == "50 %"  # a range that rounds to the value is left out
    assert fr["edge"] == "99,6 % (99,1–100 %)"
    en = page.evaluate(FORMAT_JS, [lib, "en-GB"])
    assert spaces(en["people"]) == "~25,000 hab. (15,000–40,000)" and spaces(en["share"]) == "77% (71–78%)"


@pytest.mark.integration
def test_french_coverage_view_shows_ranges_not_fine_shares(open_map, real_server):
    page = open_map(real_server, "/couverture?kind=cscom&threshold_m=1000&basemap=none",
                    viewport={"width": 390, "height": 844}, wait=False)  # fmt: skip
    page.locator("#cov-table-body tr").first.wait_for()
    summary = spaces(page.locator("#cov-summary .cov-big strong").inner_text())
    assert re.fullmatch(r"\d+ % \(\d+–\d+ %\)", summary), summary
    side = spaces(page.locator("#cov-side").inner_text())
    assert "la fourchette selon la répartition de la population" in side
    assert "n'a pas été relevée au GPS" in side  # no facility is gps_survey yet: every covered person counts
    table = spaces(page.locator("#cov-table").inner_text())
    assert re.search(r"\d+ % \(\d+–\d+ %\)", table)
    assert not FINE_SHARE.search(side + table), FINE_SHARE.search(side + table)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "coverage-ranges-phone-fr.png"), full_page=True)
    # the population column (hidden on a phone): each quartier estimate with its interval
    wide = open_map(real_server, "/couverture?kind=cscom&threshold_m=1000&basemap=none", wait=False)
    wide.locator("#cov-table-body tr").first.wait_for()
    cells = [spaces(t) for t in wide.locator("#cov-table-body td:nth-child(3)").all_inner_texts()]
    assert cells and all(re.fullmatch(r"~\d[\d ]* \(\d[\d ]*–\d[\d ]*\)", c) for c in cells), cells
    english = open_map(real_server, "/couverture?kind=cscom&threshold_m=1000&basemap=none&lang=en", lang="en",
                       wait=False)  # fmt: skip
    english.locator("#cov-table-body tr").first.wait_for()
    summary = spaces(english.locator("#cov-summary .cov-big strong").inner_text())
    assert re.fullmatch(r"\d+% \(\d+–\d+%\)", summary), summary
    assert "In brackets: the range" in english.locator("#cov-summary").inner_text()
