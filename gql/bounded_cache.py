"""A least-recently-used map bounded by the total size of what it keeps, not by a count: a
client that sends large distinct values cannot grow the server's memory. A value over
`max_item` is not kept at all. Safe across threads (apps of one process may serve from
several)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

V = TypeVar("V")


class BoundedCache(Generic[V]):
    def __init__(self, max_total: int, max_item: int) -> None:
        self._items: OrderedDict[str, tuple[V, int]] = OrderedDict()
        self._total = 0
        self._max_total = max_total
        self._max_item = max_item
        self._lock = threading.Lock()

    def get(self, key: str) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def keep(self, key: str, value: V, size: int) -> None:
        if size > self._max_item:
            return
        with self._lock:
            previous = self._items.pop(key, None)
            if previous is not None:
                self._total -= previous[1]
            self._items[key] = (value, size)
            self._total += size
            while self._total > self._max_total:
                _, (_, dropped) = self._items.popitem(last=False)
                self._total -= dropped

    @property
    def size(self) -> int:
        return self._total
