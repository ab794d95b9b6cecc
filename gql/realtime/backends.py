"""Telling the hubs of other processes that the log has more: the broadcast backends.

PostgreSQL's NOTIFY already reaches every hub on the database; a backend adds a second path
(positions heard from another process wake this hub at once, even while its own LISTEN
connection is being re-established). What travels is only a position, a hint: the change
log stays the source of truth, so a lost or repeated hint costs nothing.

- `memory://NAME`: hubs of one process (tests, several apps in one process) hear each other.
- `redis://...`: hubs of every process on the Redis server, through broadcaster.
- unset, or a postgres URL (the default): no backend, NOTIFY alone. broadcaster's
  PostgreSQL backend is not used: it shares one connection for LISTEN and publish, never
  reconnects and queues without bound; the hub's own listener replaces it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any, Protocol

from broadcaster import Broadcast
from broadcaster._backends.redis import RedisBackend

CHANNEL = "gql_changes"


class BroadcastBackend(Protocol):
    async def connect(self) -> None: ...

    async def disconnect(self) -> None: ...

    async def publish(self, position: int) -> None:
        """Tell the other hubs that the log reaches `position`."""

    def positions(self) -> AsyncIterator[int]:
        """Positions published by the other hubs (and this one), as they arrive."""


def open_backend(url: str | None) -> BroadcastBackend | None:
    if not url or url.startswith(("postgres://", "postgresql://")):
        return None
    if url.startswith("memory://"):
        return MemoryBackend(url.removeprefix("memory://"))
    if url.startswith(("redis://", "rediss://")):
        return RedisBroadcast(url)
    raise ValueError("BROADCAST_URL must be redis://..., rediss://..., memory://NAME or a postgres URL")


class _Hearing:
    """One hub's ear on a memory channel: the newest position heard, across threads."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.heard: list[int] = []
        self.arrived = asyncio.Event()

    def hear(self, position: int) -> None:
        self.heard.append(position)
        del self.heard[:-16]  # hints only: the newest few are enough
        self.arrived.set()


class MemoryBackend:
    _channels: dict[str, set[_Hearing]] = {}
    _lock = threading.Lock()  # apps of one process may run in threads of their own

    def __init__(self, name: str) -> None:
        self._name = name

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        return None

    async def publish(self, position: int) -> None:
        with self._lock:
            hearings = list(self._channels.get(self._name, ()))
        for hearing in hearings:
            hearing.loop.call_soon_threadsafe(hearing.hear, position)

    async def positions(self) -> AsyncIterator[int]:
        hearing = _Hearing()
        with self._lock:
            self._channels.setdefault(self._name, set()).add(hearing)
        try:
            while True:
                await hearing.arrived.wait()
                hearing.arrived.clear()
                heard, hearing.heard = hearing.heard, []
                for position in heard:
                    yield position
        finally:
            with self._lock:
                self._channels[self._name].discard(hearing)


class _SubscribeFirstRedisBackend(RedisBackend):
    """broadcaster 0.3's RedisBackend marks itself ready before the SUBSCRIBE has gone
    through; its listener then starts `pubsub.listen()` with no channel yet, which returns at
    once, and waits forever for a readiness that was already spent: nothing is ever received
    (seen with redis-py 8). Subscribing first, then waking the listener, fixes it."""

    async def subscribe(self, channel: str) -> None:
        await self._pubsub.subscribe(channel)
        self._ready.set()


class RedisBroadcast:
    def __init__(self, url: str) -> None:
        self._broadcast = Broadcast(backend=_SubscribeFirstRedisBackend(url))

    async def connect(self) -> None:
        await self._broadcast.connect()

    async def disconnect(self) -> None:
        await self._broadcast.disconnect()

    async def publish(self, position: int) -> None:
        await self._broadcast.publish(channel=CHANNEL, message=str(position))

    async def positions(self) -> AsyncIterator[int]:
        subscribed: Any = self._broadcast.subscribe(channel=CHANNEL)  # broadcaster is untyped
        async with subscribed as subscriber:
            async for event in subscriber:
                if event is not None:
                    yield int(event.message)
