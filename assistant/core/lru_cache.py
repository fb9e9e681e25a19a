"""A small thread-safe LRU cache for question vectors and answers.

Officers ask the same questions again (a briefing round, a shared link, a retry after a
timeout); the second time should not pay for the model and the search again. Entries are
keyed by everything that shapes the result, including the index generation, so an ingest,
upload or delete makes earlier entries unreachable (they age out); nothing stale is served.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class LRUCache(Generic[Value]):
    """At most ``size`` entries, least recently used evicted first; ``size`` 0 disables it."""

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError("cache size must be 0 (off) or positive")
        self.size = size
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, Value] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def get(self, key: Hashable) -> Value | None:
        if not self.size:
            return None
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: Hashable, value: Value) -> None:
        if not self.size:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def stats(self) -> dict[str, int]:
        return {"size": self.size, "entries": len(self), "hits": self.hits, "misses": self.misses}
