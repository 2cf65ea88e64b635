"""The one bounded LRU of the web layer (geo.cache)."""

import pytest

from geo.cache import LRUCache


def test_get_without_compute_returns_none_on_a_miss_and_put_replaces():
    cache = LRUCache(max_entries=3, max_bytes=10)
    assert cache.get("a") is None
    cache.put("a", b"1234")
    cache.put("a", b"12")
    assert cache.get("a") == b"12" and len(cache) == 1 and cache.bytes_held == 2


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


def test_single_flight_per_key_computes_each_key_once_and_allows_nesting():
    import threading

    from geo.cache import LRUCache

    cache = LRUCache(8, None, single_flight="key")
    calls, gate = [], threading.Event()

    def slow():
        calls.append(1)
        gate.wait(5)
        return "a"

    threads = [threading.Thread(target=cache.get, args=("a", slow)) for _ in range(4)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert calls == [1] and cache.get("a") == "a"
    # a value may compute another key's value (no deadlock), and entries bound the cache without bytes
    assert cache.get("outer", lambda: cache.get("inner", lambda: 2) + 1) == 3
    for i in range(20):
        cache.put(i, object())
    assert len(cache) == 8
