"""The realtime hub: one per process. It follows the change log and fans changes out to the
process's subscriptions.

The listener's notifications (and, across processes, positions heard through the broadcast
backend; and a periodic poll as the safety net) wake one reader task, which reads the log
after the last position it read, in order, and publishes what it read to the fan-out. Any
failure of a read (a restart, a connection killed mid-query) is logged and the read tried
again with backoff: the reader never stops, and since it resumes from its own position,
nothing written during or after an outage is lost or read twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

import asyncpg

from gql.realtime.backends import BroadcastBackend, open_backend
from gql.realtime.change import Change
from gql.realtime.change_log import PAGE_SIZE, ChangeLog
from gql.realtime.fanout import FanOut, Subscription
from gql.realtime.listener import ChangeListener
from gql.realtime.settings import HubSettings

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT_SECONDS = 1.0
STOP_TIMEOUT_SECONDS = 5.0


class ChangeHub:
    def __init__(self, database_url: str, pool: asyncpg.Pool, settings: HubSettings | None = None,
                 broadcast_url: str | None = None) -> None:
        self.settings = settings or HubSettings()
        self.log = ChangeLog(pool, self.settings.outage_seconds)
        self._wake = asyncio.Event()
        self.listener = ChangeListener(database_url, self._wake.set, self.settings)
        self._backend: BroadcastBackend | None = open_backend(broadcast_url)
        self._fanout: FanOut | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.broadcasts_heard = 0

    # -- life cycle -------------------------------------------------------------------

    async def start(self) -> None:
        self._fanout = FanOut(self.log, await self.log.position(), self.settings.window)
        self._tasks = [asyncio.create_task(self.listener.run(), name="hub-listener"),
                       asyncio.create_task(self._read_on_wake(), name="hub-reader"),
                       asyncio.create_task(self._prune_periodically(), name="hub-pruner")]
        if self._backend is not None:
            await self._backend.connect()
            self._tasks.append(asyncio.create_task(self._hear_broadcast(), name="hub-broadcast"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:  # a task stuck on a dead Redis must not hold up shutdown
            _, stuck = await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT_SECONDS)
            for task in stuck:
                log.warning("hub task %s did not stop within %s s; left behind", task.get_name(),
                            STOP_TIMEOUT_SECONDS)
        if self._backend is not None:
            # A Redis that is gone must not hold up shutdown (its disconnect waited forever).
            with contextlib.suppress(Exception):
                async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):
                    await self._backend.disconnect()

    @property
    def fanout(self) -> FanOut:
        assert self._fanout is not None, "the hub has not started"
        return self._fanout

    # -- what subscriptions and /metrics see ----------------------------------------------

    @property
    def position(self) -> int:
        """The last position read from the log and published to subscriptions."""
        return self.fanout.position

    @property
    def subscriber_count(self) -> int:
        return self.fanout.subscriber_count

    @property
    def reconnects(self) -> int:
        return self.listener.reconnects

    @contextlib.contextmanager
    def subscribe(self) -> Iterator[tuple[Subscription, int]]:
        with self.fanout.subscribe() as subscribed:
            yield subscribed

    async def next_after(self, subscription: Subscription, after: int) -> list[Change]:
        return await self.fanout.next_after(subscription, after)

    # -- reading the log --------------------------------------------------------------

    async def _read_on_wake(self) -> None:
        backoff = 0.05
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.poll_interval):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.read_new_changes()
                backoff = 0.05
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # whatever it was, the next read resumes from position
                log.warning("reading the change log failed (%r); retrying in %.2fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.settings.max_backoff)
                self._wake.set()

    async def read_new_changes(self) -> int:
        """Publish every change after `position`; returns how many."""
        count = 0
        while True:
            changes = await self.log.after(self.position, PAGE_SIZE)
            self.fanout.publish(changes)
            count += len(changes)
            if len(changes) < PAGE_SIZE:
                break
        if count and self._backend is not None:
            await self._publish_position()
        return count

    # -- retention ---------------------------------------------------------------------

    async def _prune_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.settings.prune_interval)
            try:
                await self.log.prune(self.settings.retention_hours)
            except Exception as exc:
                log.warning("pruning the change log failed: %r", exc)

    # -- other processes -----------------------------------------------------------------

    async def _publish_position(self) -> None:
        assert self._backend is not None
        try:
            async with asyncio.timeout(PUBLISH_TIMEOUT_SECONDS):  # a stuck Redis must not stall the feed
                await self._backend.publish(self.position)
        except Exception as exc:  # the log stays authoritative; a lost hint costs a poll
            log.warning("broadcast publish failed: %r", exc)

    async def _hear_broadcast(self) -> None:
        assert self._backend is not None
        while True:
            try:
                async for position in self._backend.positions():
                    self.broadcasts_heard += 1
                    if position > self.position:
                        self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep hearing; the listener and the poll cover the gap
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    # broadcaster's unsubscribe from a Redis that is gone raised over our
                    # cancellation (KeyError): stop as asked.
                    raise asyncio.CancelledError() from exc
                log.warning("broadcast subscription failed (%r); resubscribing", exc)
            await asyncio.sleep(1.0)
