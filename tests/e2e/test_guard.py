"""The browser guard itself: it must see what it is there to catch (tiny atlas; no mirror needed)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

MISBEHAVE_JS = """() => {
  console.error('boom');
  new Image().src = 'https://tile.openstreetmap.org/0/0/0.png';  // allowed by the CSP, so only the guard stops it
  fetch('/no-such-page');
  setTimeout(() => alert('hi'), 0);
  setTimeout(() => { throw new Error('kaput'); }, 0);
}"""


def test_the_guard_records_every_kind_of_misbehaviour(open_map, markup_server):
    page = open_map(markup_server, "/?basemap=none")
    assert page.guard.problems == []
    page.evaluate(MISBEHAVE_JS)
    page.wait_for_timeout(500)
    problems = "\n".join(page.guard.problems)
    assert "console error: boom" in problems
    assert "request to another host: https://tile.openstreetmap.org/0/0/0.png" in problems
    assert "HTTP 404: " + markup_server.base_url + "/no-such-page" in problems
    assert "a dialog fired: alert 'hi'" in problems
    assert "page error: kaput" in problems
    page.guard.problems.clear()  # seen: do not fail the test at teardown
