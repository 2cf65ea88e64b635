"""A thread-safe least-recently-used cache bounded by entry count and total bytes.

One class serves every in-memory cache: the web layer's per-version memo, API
exports, rendered pages, static map images, coverage responses and scenario
distances. Values are ``bytes`` (measured with ``len``), objects with a
``size`` attribute in bytes, or anything measured by the ``weigh`` callable.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, Literal, Protocol, TypeVar, overload, runtime_checkable


@runtime_checkable
class Sized(Protocol):
    """A cached value that reports the memory it holds."""

    @property
    def size(self) -> int:
        """Return the memory held, in bytes."""
        ...


V = TypeVar("V")


def nbytes(value: bytes | Sized) -> int:
    """Return the memory held by a cached value, in bytes."""
    return len(value) if isinstance(value, bytes | bytearray) else value.size


def declared_size(value: object) -> int:
    """Return the bytes of ``value`` when it reports them (bytes, ``size`` in bytes), else 0."""
    if isinstance(value, bytes | bytearray):
        return len(value)
    size = getattr(value, "size", None) if isinstance(value, Sized) else None
    return size if isinstance(size, int) else 0


def _nothing(value: object) -> int:
    return 0


class LRUCache(Generic[V]):
    """A thread-safe LRU bounded by entry count and total bytes.

    Parameters
    ----------
    max_entries
        Most values kept.
    max_bytes
        Most bytes kept in total; a larger value is served but not kept. ``None``: bounded by
        entries only (values that hold arrays of a known shape, such as distance tables).
    single_flight
        ``True``: compute one missing value at a time (no stampede when many requests miss at
        once); ``"key"``: compute each key once, different keys concurrently (a value may
        compute another key's); ``False``: no lock around ``compute``.
    weigh
        Bytes held by a value (default: ``len`` of bytes, else its ``size``).
    """

    def __init__(
        self,
        max_entries: int,
        max_bytes: int | None,
        *,
        single_flight: bool | Literal["key"] = True,
        weigh: Callable[[V], int] = nbytes,
    ):
        self.max_entries, self.max_bytes = max_entries, max_bytes if max_bytes is not None else float("inf")
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._weigh = weigh if max_bytes is not None else _nothing
        self._per_key = single_flight == "key"
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._compute_lock = threading.Lock() if single_flight is True else None

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    @property
    def bytes_held(self) -> int:
        """Return the bytes of the values kept (0 for a cache bounded by entries only)."""
        return self._bytes

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
        lock = self._compute_lock
        if self._per_key:
            with self._lock:
                lock = self._key_locks.setdefault(key, threading.Lock())
        if lock is None:
            value = compute()
        else:
            try:
                with lock:
                    with self._lock:
                        found = self._items.get(key)
                    if found is not None:
                        return found
                    value = compute()
                    self.put(key, value)  # inside the lock, so a waiting thread finds it
            finally:
                if self._per_key:
                    with self._lock:
                        self._key_locks.pop(key, None)
            return value
        self.put(key, value)
        return value

    def clear(self) -> None:
        """Drop every value."""
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def put(self, key: Hashable, value: V) -> None:
        """Store ``value`` (unless larger than ``max_bytes``), evicting the least recently used beyond the bounds."""
        size = self._weigh(value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= self._weigh(old)
            if size <= self.max_bytes:
                self._items[key] = value
                self._bytes += size
            while self._items and (len(self._items) > self.max_entries or self._bytes > self.max_bytes):
                _, evicted = self._items.popitem(last=False)
                self._bytes -= self._weigh(evicted)
