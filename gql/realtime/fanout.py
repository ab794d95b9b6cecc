"""Fan-out within one process: the recent changes, shared, and each subscription's place.

No subscription has a queue of its own. The hub appends what it reads from the log to one
window of recent changes and wakes every subscription; each reads on from its own position.
A subscription that fell behind the window (a slow consumer, or a commit of more changes
than the window holds) reads the pages it missed from the change log, shared with every
other subscription at the same position, and carries on. So memory does not grow with the
subscribers' lag, and nobody is dropped for being slow: only a position older than the
retained log must resync.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
from collections import OrderedDict
from collections.abc import Iterator

from gql.realtime.change import Change
from gql.realtime.change_log import PAGE_SIZE, ChangeLog

SHARED_LOG_PAGES = 32


class ResyncRequired(Exception):
    """The subscriber cannot be brought up to date incrementally: it must reload."""


class Subscription:
    """One subscriber's wake-up call: set whenever the hub has read more of the log."""

    def __init__(self) -> None:
        self.woken = asyncio.Event()


class RecentChanges:
    """The changes in (start, position], in order, at most about `capacity` of them."""

    def __init__(self, position: int, capacity: int) -> None:
        self.start = position
        self.position = position
        self._capacity = capacity
        self._changes: list[Change] = []

    def extend(self, changes: list[Change]) -> None:
        if not changes:
            return
        self._changes += changes
        self.position = changes[-1].seq
        if len(self._changes) > self._capacity + self._capacity // 4:  # trim now and then
            dropped = len(self._changes) - self._capacity
            self.start = self._changes[dropped - 1].seq
            del self._changes[:dropped]

    def after(self, position: int, limit: int) -> list[Change] | None:
        """Up to `limit` changes after `position`; None when the window no longer reaches back
        that far."""
        if position < self.start:
            return None
        first = bisect.bisect_right(self._changes, position, key=lambda change: change.seq)
        return self._changes[first:first + limit]


class FanOut:
    def __init__(self, log: ChangeLog, position: int, capacity: int) -> None:
        self._log = log
        self.recent = RecentChanges(position, capacity)
        self._subscriptions: set[Subscription] = set()
        self._pages: OrderedDict[int, asyncio.Future[list[Change]]] = OrderedDict()

    @property
    def position(self) -> int:
        return self.recent.position

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    def publish(self, changes: list[Change]) -> None:
        if not changes:
            return
        self.recent.extend(changes)
        for subscription in self._subscriptions:
            subscription.woken.set()

    @contextlib.contextmanager
    def subscribe(self) -> Iterator[tuple[Subscription, int]]:
        """A subscription and the position from which it reads."""
        subscription = Subscription()
        self._subscriptions.add(subscription)
        try:
            yield subscription, self.position
        finally:
            self._subscriptions.discard(subscription)

    async def next_after(self, subscription: Subscription, after: int) -> list[Change]:
        """The next changes after `after` (a page at most), waiting while there are none."""
        while self.position <= after:
            subscription.woken.clear()
            await subscription.woken.wait()
        held = self.recent.after(after, PAGE_SIZE)
        if held is not None:
            return held
        return await self._log_page(after)

    async def _log_page(self, after: int) -> list[Change]:
        """A page of the log after `after`, read once for every subscription that needs it."""
        page = self._pages.get(after)
        if page is None or (page.done() and (page.cancelled() or page.exception() is not None)):
            page = asyncio.ensure_future(self._read_page(after, through=self.recent.start))
            self._pages[after] = page
            while len(self._pages) > SHARED_LOG_PAGES:
                self._pages.popitem(last=False)
        return await asyncio.shield(page)

    async def _read_page(self, after: int, through: int) -> list[Change]:
        page = await self._log.after(after, PAGE_SIZE, through)
        if not page or not await self._log.retained(after):  # (the window's oldest is in the log)
            raise ResyncRequired("the subscriber fell behind the retained change log")
        return page
