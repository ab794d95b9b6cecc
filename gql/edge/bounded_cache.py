"""A least-recently-used map bounded by the memory its entries hold, not by a count: a client
that sends many, or large, distinct values cannot grow the server's memory.

The size given with each entry is what keeping it costs in bytes, key and bookkeeping
included, as estimated by its owner from figures measured with tracemalloc (the estimates
and their figures are beside each cache: gql/edge/document_cache.py, gql/compiled/plans.py,
gql/edge/persisted_documents.py; tests/test_memory.py checks them against tracemalloc, and the
server's RSS under 100,000 distinct documents). Sizing by the text of what is kept was not
enough: a parsed document holds ~70-250 times its text (issue 27).

An entry over an eighth of the bound is not kept at all (it would push out most of the
others). Safe across threads (apps of one process may serve from several).
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from typing import Generic, TypeVar

V = TypeVar("V")

KEY_BYTES = 250
"""What an entry's place costs beyond its value: the OrderedDict's slot and link node, the
(value, size) tuple and the size: 180 bytes an entry over 100,000 (tracemalloc), more while
the table grows."""


def str_bytes(text: str) -> int:
    """The memory of a str (49 bytes and one per character, for ASCII)."""
    return sys.getsizeof(text)


class BoundedCache(Generic[V]):
    def __init__(self, max_total: int) -> None:
        self._items: OrderedDict[str, tuple[V, int]] = OrderedDict()
        self._total = 0
        self._max_total = max_total
        self._lock = threading.Lock()

    def get(self, key: str) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def keep(self, key: str, value: V, size: int) -> None:
        """Keep `value`, which holds `size` bytes with its key (KEY_BYTES and the key's own
        str included: the owner's estimate), pushing out the least recently used."""
        if size > self._max_total // 8:
            return
        with self._lock:
            previous = self._items.pop(key, None)
            if previous is not None:
                self._total -= previous[1]
            self._items[key] = (value, size)
            self._total += size
            self._shrink()

    def resize(self, max_total: int) -> None:
        """A new bound (gql/settings.py CacheLimits), pushing out what no longer fits."""
        with self._lock:
            self._max_total = max_total
            self._shrink()

    def _shrink(self) -> None:
        while self._total > self._max_total:
            _, (_, dropped) = self._items.popitem(last=False)
            self._total -= dropped

    @property
    def size(self) -> int:
        """The bytes its entries hold, as estimated."""
        return self._total
