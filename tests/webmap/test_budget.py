"""Heavy renders and exports behind a concurrency budget: 429 + Retry-After when spent (issue 13, finding 10)."""

from __future__ import annotations

import threading

import pytest

from geo.errors import RateLimited
from webmap import budget


def test_budget_admits_slots_then_refuses_with_retry_after():
    b = budget.Budget("t", slots=2, per_client=1, retry_after_s=7)
    with b.hold("a"), b.hold("b"):
        assert b.in_use() == 2
        with pytest.raises(RateLimited) as info, b.hold("c"):
            pass
        assert info.value.retry_after_s == 7
    assert b.in_use() == 0
    with b.hold("c"):  # released on exit, errors included
        assert b.in_use() == 1


def test_one_client_cannot_take_every_slot():
    b = budget.Budget("t", slots=3, per_client=1)
    with b.hold("a"):
        with pytest.raises(RateLimited), b.hold("a"):
            pass
        with b.hold("b"):
            assert b.in_use() == 2


def test_a_failing_holder_releases_its_slot():
    b = budget.Budget("t", slots=1)
    with pytest.raises(ValueError), b.hold("a"):
        raise ValueError
    assert b.in_use() == 0


@pytest.mark.parametrize(("url", "spent"), [("/maps/view.png?size=800x600&dpi=50", budget.RENDERS),
                                            ("/api/v1/package.zip", budget.EXPORTS)])  # fmt: skip
def test_heavy_request_over_budget_is_429_with_retry_after(client, url, spent):
    with spent.hold("203.0.113.1"):  # another client's render or export is running
        resp = client.get(url)
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) == spent.retry_after_s
    assert client.get(url).status_code == 200  # the slot is free again
    with spent.hold("203.0.113.1"):
        assert client.get(url).status_code == 200  # cached answers never count


def test_cheap_requests_are_served_while_a_render_runs(app):
    started, release = threading.Event(), threading.Event()

    def hold_render():
        with budget.RENDERS.hold("198.51.100.7"):
            started.set()
            release.wait(10)

    worker = threading.Thread(target=hold_render)
    worker.start()
    try:
        assert started.wait(5)
        client = app.test_client()
        assert client.get("/api/v1/layers").status_code == 200
        assert client.get("/maps/district.png?size=900x700").status_code == 429
    finally:
        release.set()
        worker.join()
