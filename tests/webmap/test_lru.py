"""The one bounded LRU of the web layer (geo.cache)."""

import pytest

from geo.cache import LRUCache


def test_get_without_compute_returns_none_on_a_miss_and_put_replaces():
    cache = LRUCache(max_entries=3, max_bytes=10)
    assert cache.get("a") is None
    cache.put("a", b"1234")
    cache.put("a", b"12")
    assert cache.get("a") == b"12" and len(cache) == 1 and cache._bytes == 2


def test_a_failed_compute_leaves_nothing_behind():
    cache = LRUCache(max_entries=3, max_bytes=10, single_flight=False)

    def boom():
        raise ValueError("no")

    with pytest.raises(ValueError):
        cache.get("a", boom)
    assert "a" not in cache and len(cache) == 0
    assert cache.get("a", lambda: b"ok") == b"ok" and "a" in cache


def test_a_value_over_the_byte_bound_is_served_not_kept():
    cache = LRUCache(max_entries=3, max_bytes=4)
    cache.put("a", b"12")
    assert cache.get("big", lambda: b"123456") == b"123456"
    assert "big" not in cache and cache.get("a") == b"12"
