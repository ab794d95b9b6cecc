"""broadcaster, with its Redis backend mended.

broadcaster 0.3's RedisBackend marks itself ready before the SUBSCRIBE has gone through;
its listener then starts `pubsub.listen()` with no channel yet, which returns at once, and
waits forever for a readiness that was already spent: nothing is ever received (seen with
redis-py 8). Subscribing first, then waking the listener, fixes it.
"""

from __future__ import annotations

from broadcaster import Broadcast
from broadcaster._backends.redis import RedisBackend


class SubscribeFirstRedisBackend(RedisBackend):
    async def subscribe(self, channel: str) -> None:
        await self._pubsub.subscribe(channel)
        self._ready.set()


def open_broadcast(url: str) -> Broadcast:
    if url.startswith(("redis://", "rediss://")):
        return Broadcast(backend=SubscribeFirstRedisBackend(url))
    return Broadcast(url)
