"""A thread-safe least-recently-used cache bounded by entry count and total bytes.

One class serves every in-memory cache of the web layer: API exports, rendered
pages, static map images and coverage responses. Values are ``bytes`` (measured
with ``len``) or objects with a ``size`` attribute in bytes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, Protocol, TypeVar, overload


class Sized(Protocol):
    """A cached value that reports the memory it holds."""

    @property
    def size(self) -> int:
        """Return the memory held, in bytes."""
        ...


V = TypeVar("V", bound="bytes | Sized")


def nbytes(value: bytes | Sized) -> int:
    """Return the memory held by a cached value, in bytes."""
    return len(value) if isinstance(value, bytes | bytearray) else value.size


class LRUCache(Generic[V]):
    """A thread-safe LRU bounded by entry count and total bytes.

    Parameters
    ----------
    max_entries
        Most values kept.
    max_bytes
        Most bytes kept in total; a larger value is served but not kept.
    single_flight
        Compute one missing value at a time (no stampede when many requests miss at once);
        ``False`` lets different keys compute concurrently.
    """

    def __init__(self, max_entries: int, max_bytes: int, *, single_flight: bool = True):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._compute_lock = threading.Lock() if single_flight else None

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    @overload
    def get(self, key: Hashable) -> V | None: ...

    @overload
    def get(self, key: Hashable, compute: Callable[[], V]) -> V: ...

    def get(self, key: Hashable, compute: Callable[[], V] | None = None) -> V | None:
        """Return the value under ``key``, marking it recently used.

        On a miss, return None, or with ``compute`` call it, store its result and
        return it; an exception from ``compute`` leaves nothing behind.
        """
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        if compute is None:
            return None
        if self._compute_lock is None:
            value = compute()
        else:
            with self._compute_lock:
                with self._lock:
                    found = self._items.get(key)
                if found is not None:
                    return found
                value = compute()
        self.put(key, value)
        return value

    def put(self, key: Hashable, value: V) -> None:
        """Store ``value`` (unless larger than ``max_bytes``), evicting the least recently used beyond the bounds."""
        size = nbytes(value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= nbytes(old)
            if size <= self.max_bytes:
                self._items[key] = value
                self._bytes += size
            while self._items and (len(self._items) > self.max_entries or self._bytes > self.max_bytes):
                _, evicted = self._items.popitem(last=False)
                self._bytes -= nbytes(evicted)
