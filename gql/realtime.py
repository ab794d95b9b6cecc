"""The realtime hub: one per process. It follows the change log and fans changes out to the
process's subscriptions.

- One dedicated connection (not from the pool: a pooled LISTEN dies on release) LISTENs for
  change positions. A termination callback and a periodic probe notice when it is lost; it
  reconnects with backoff, LISTENs again and reads from the change log what it missed.
- NOTIFY only says "there is more": the hub reads the log itself, in position order, so a
  lost or duplicated notification costs nothing. A periodic read is the safety net.
- Each subscription has a bounded queue. One that falls too far behind is told to resync
  (RESYNC_REQUIRED) and dropped, so a slow consumer cannot grow the server's memory.
- Across processes, PostgreSQL's NOTIFY already reaches every hub. With
  BROADCAST_URL=redis://..., each position a hub reads is also published through
  broadcaster's Redis backend, and positions heard from other processes wake this hub at
  once (even while its own LISTEN connection is being re-established). broadcaster's
  PostgreSQL backend is not used: it shares one connection for LISTEN and publish, never
  reconnects and queues without bound; the hub's own listener replaces it. The change log
  stays the source of truth either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from gql.database import connect
from gql.realtime_settings import HubSettings

log = logging.getLogger(__name__)

CHANNEL = "gql_changes"
PAGE_SIZE = 500
PRUNE_LOCK_KEY = 7_291_046_115
LISTENER_APPLICATION_NAME = "directory-gql-listener"


@dataclass(frozen=True)
class Change:
    seq: int
    topic: str
    entity: str
    entity_id: UUID
    business_id: UUID | None
    op: str
    actor_id: UUID | None
    client_id: str | None
    was_public: bool
    stakeholders: tuple[UUID, ...]
    at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Change:
        return cls(seq=row["seq"], topic=row["topic"], entity=row["entity"],
                   entity_id=row["entity_id"], business_id=row["business_id"], op=row["op"],
                   actor_id=row["actor_id"], client_id=row["client_id"],
                   was_public=row["was_public"], stakeholders=tuple(row["stakeholders"]),
                   at=row["at"])


class ResyncRequired(Exception):
    """The subscriber cannot be brought up to date incrementally: it must reload."""


class Subscription:
    """A subscriber's view of the hub: changes passing `accepts`, in order, at most
    `maxsize` waiting; overflow ends it with ResyncRequired."""

    def __init__(self, accepts: Callable[[Change], bool], maxsize: int) -> None:
        self.accepts = accepts
        self._queue: asyncio.Queue[Change] = asyncio.Queue(maxsize)
        self._overflowed = asyncio.Event()

    def offer(self, change: Change) -> None:
        if self._overflowed.is_set() or not self.accepts(change):
            return
        try:
            self._queue.put_nowait(change)
        except asyncio.QueueFull:
            self._overflowed.set()
            while not self._queue.empty():  # free the memory now, not when the reader returns
                self._queue.get_nowait()

    async def next(self) -> Change:
        if self._overflowed.is_set():
            raise ResyncRequired("the subscriber fell too far behind")
        getter = asyncio.ensure_future(self._queue.get())
        overflow = asyncio.ensure_future(self._overflowed.wait())
        try:
            await asyncio.wait((getter, overflow), return_when=asyncio.FIRST_COMPLETED)
        finally:
            overflow.cancel()
            if not getter.done():
                getter.cancel()
        if self._overflowed.is_set():
            raise ResyncRequired("the subscriber fell too far behind")
        return getter.result()

    @property
    def pending(self) -> int:
        return self._queue.qsize()


class ChangeHub:
    def __init__(self, database_url: str, pool: asyncpg.Pool, settings: HubSettings | None = None,
                 broadcast_url: str | None = None) -> None:
        self._url = database_url
        self._pool = pool
        self.settings = settings or HubSettings()
        self._broadcast_url = broadcast_url
        self._broadcast: Any = None
        self.position = 0
        """The last position read from the log and offered to subscriptions."""
        self._subscriptions: set[Subscription] = set()
        self._wake = asyncio.Event()
        self._listener: asyncpg.Connection | None = None
        self._listener_lost = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._read_lock = asyncio.Lock()
        self.reconnects = 0
        self.broadcasts_heard = 0
        self.connected = asyncio.Event()

    # -- life cycle -------------------------------------------------------------------

    async def start(self) -> None:
        async with self._pool.acquire() as conn:
            self.position = await conn.fetchval("select api.change_log_position()")
        self._tasks = [asyncio.create_task(self._keep_listening(), name="hub-listener"),
                       asyncio.create_task(self._read_on_wake(), name="hub-reader"),
                       asyncio.create_task(self._prune_periodically(), name="hub-pruner")]
        if self._broadcast_url and self._broadcast_url.startswith(("redis://", "rediss://")):
            await self._start_broadcast()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._listener is not None and not self._listener.is_closed():
            await self._listener.close()
        if self._broadcast is not None:
            with contextlib.suppress(Exception):
                await self._broadcast.disconnect()

    # -- subscriptions ----------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def subscribe(self, accepts: Callable[[Change], bool]) -> AsyncIterator[tuple[Subscription, int]]:
        """A subscription and the position from which it receives every accepted change."""
        subscription = Subscription(accepts, self.settings.queue_size)
        self._subscriptions.add(subscription)  # no await between this and reading position
        try:
            yield subscription, self.position
        finally:
            self._subscriptions.discard(subscription)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    async def changes_after(self, after: int, limit: int) -> list[Change]:
        async with self._pool.acquire() as conn:
            rows = await conn.fetch("select * from api.changes_after($1, $2)", after, limit)
        return [Change.from_row(r) for r in rows]

    async def changes_between(self, after: int, through: int) -> list[Change]:
        """Changes in (after, through], from the log (for replay)."""
        changes: list[Change] = []
        async with self._pool.acquire() as conn:
            while after < through:
                rows = await conn.fetch("select * from api.changes_after($1, $2, $3)",
                                        after, PAGE_SIZE, through)
                if not rows:
                    break
                changes += [Change.from_row(r) for r in rows]
                after = rows[-1]["seq"]
        return changes

    async def cursor_retained(self, after: int) -> bool:
        async with self._pool.acquire() as conn:
            retained: bool = await conn.fetchval("select api.change_cursor_retained($1)", after)
            return retained

    def wake(self) -> None:
        self._wake.set()

    # -- reading the log --------------------------------------------------------------

    async def _read_on_wake(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.poll_interval):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.read_new_changes()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("reading the change log failed (%r); retrying", exc)
                await asyncio.sleep(0.2)
                self._wake.set()

    async def read_new_changes(self) -> int:
        """Offer every change after `position` to the subscriptions; returns how many."""
        count = 0
        async with self._read_lock:
            while True:
                async with self._pool.acquire() as conn:
                    rows = await conn.fetch("select * from api.changes_after($1, $2)",
                                            self.position, PAGE_SIZE)
                for row in rows:
                    change = Change.from_row(row)
                    self.position = change.seq
                    for subscription in list(self._subscriptions):
                        subscription.offer(change)
                count += len(rows)
                if len(rows) < PAGE_SIZE:
                    break
        if count and self._broadcast is not None:
            await self._publish_position()
        return count

    # -- the LISTEN connection ----------------------------------------------------------

    async def _keep_listening(self) -> None:
        backoff = 0.05
        while True:
            try:
                await self._connect_listener()
                backoff = 0.05
                await self._watch_listener()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("change listener unavailable (%r); reconnecting in %.2fs", exc, backoff)
            self.connected.clear()
            if self._listener is not None:
                with contextlib.suppress(Exception):
                    self._listener.terminate()
                self._listener = None
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.settings.max_backoff)
            self.reconnects += 1

    async def _connect_listener(self) -> None:
        self._listener_lost.clear()
        conn = await connect(self._url, application_name=LISTENER_APPLICATION_NAME)
        conn.add_termination_listener(lambda _conn: self._listener_lost.set())
        await conn.add_listener(CHANNEL, lambda *_args: self._wake.set())
        self._listener = conn
        self.connected.set()
        self._wake.set()  # read whatever arrived while we were not listening
        log.info("change listener connected (backend pid %s)", conn.get_server_pid())

    async def _watch_listener(self) -> None:
        """Return when the listener is lost: terminated, or failing the periodic probe."""
        assert self._listener is not None
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.probe_interval):
                    await self._listener_lost.wait()
            if self._listener_lost.is_set() or self._listener.is_closed():
                raise ConnectionError("the listener connection was terminated")
            async with asyncio.timeout(self.settings.probe_interval):
                await self._listener.fetchval("select 1")

    # -- retention ---------------------------------------------------------------------

    async def _prune_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.settings.prune_interval)
            try:
                await self.prune()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("pruning the change log failed: %r", exc)

    async def prune(self) -> int:
        """Drop changes older than the retention; one process at a time does it."""
        async with self._pool.acquire() as conn:
            if not await conn.fetchval("select pg_try_advisory_lock($1)", PRUNE_LOCK_KEY):
                return 0
            try:
                removed: int = await conn.fetchval(
                    "select api.prune_change_log(make_interval(secs => $1))",
                    self.settings.retention_hours * 3600)
                return removed
            finally:
                await conn.execute("select pg_advisory_unlock($1)", PRUNE_LOCK_KEY)

    # -- cross-process fan-out through broadcaster ---------------------------------------

    async def _start_broadcast(self) -> None:
        from gql.broadcast import open_broadcast

        assert self._broadcast_url is not None
        self._broadcast = open_broadcast(self._broadcast_url)
        await self._broadcast.connect()
        self._tasks.append(asyncio.create_task(self._hear_broadcast(), name="hub-broadcast"))

    async def _publish_position(self) -> None:
        try:
            await self._broadcast.publish(channel=CHANNEL, message=str(self.position))
        except Exception as exc:  # the log stays authoritative; a lost hint costs a poll
            log.warning("broadcast publish failed: %r", exc)

    async def _hear_broadcast(self) -> None:
        while True:
            try:
                async with self._broadcast.subscribe(channel=CHANNEL) as subscriber:
                    async for event in subscriber:
                        self.broadcasts_heard += 1
                        if int(event.message) > self.position:
                            self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep hearing; the listener and the poll cover the gap
                log.warning("broadcast subscription failed (%r); resubscribing", exc)
                await asyncio.sleep(1.0)
