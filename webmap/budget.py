"""Concurrency budgets for heavy requests (print renders, the partner package).

A render of a 6000×6000 px map holds a core for seconds, and matplotlib
renders one at a time per process anyway (``geo.render.figure``), so a waiting
render would only hold a server thread that cheap requests need. A budget
admits at most ``slots`` heavy computations per process and ``per_client`` per
client address, and refuses the rest at once with 429 and ``Retry-After``
(issue 13, finding 10). Answers already cached never count.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from flask import request

from geo.errors import RateLimited


class Budget:
    """At most ``slots`` holders at once in this process, at most ``per_client`` per client address."""

    def __init__(self, name: str, *, slots: int = 1, per_client: int = 1, retry_after_s: int = 5):
        self.name, self.slots, self.per_client, self.retry_after_s = name, slots, per_client, retry_after_s
        self._lock = threading.Lock()
        self._busy: Counter[str] = Counter()

    @contextmanager
    def hold(self, client: str | None = None) -> Iterator[None]:
        """Run the block within the budget; raise ``RateLimited`` (HTTP 429) when it is spent."""
        if client is None:
            client = request.remote_addr or "unknown"
        with self._lock:
            if self._busy.total() >= self.slots or self._busy[client] >= self.per_client:
                raise RateLimited(
                    f"{self.name}: the server is busy with other heavy requests; retry in {self.retry_after_s} s",
                    retry_after_s=self.retry_after_s,
                )
            self._busy[client] += 1
        try:
            yield
        finally:
            with self._lock:
                self._busy[client] -= 1
                if self._busy[client] <= 0:
                    del self._busy[client]

    def in_use(self) -> int:
        """Return how many holders are inside the budget now."""
        with self._lock:
            return self._busy.total()


#: Print renders (``/maps/<view>.png|pdf``): one at a time per process, matplotlib's own limit.
RENDERS = Budget("render", slots=1, per_client=1, retry_after_s=5)
#: Exports built on a cache miss (``/api/v1/package.zip``).
EXPORTS = Budget("export", slots=1, per_client=1, retry_after_s=3)
