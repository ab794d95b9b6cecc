"""Reads of the change log, through the pool, in position order.

Each read rides out a lost database: it is retried with backoff for up to
`outage_seconds`, then fails with DatabaseUnavailable (retryable). Nothing is skipped.
"""

from __future__ import annotations

import asyncpg

from gql.postgres.outage import retrying
from gql.realtime.change import Change

PAGE_SIZE = 500
PRUNE_LOCK_KEY = 7_291_046_115


class ChangeLog:
    def __init__(self, pool: asyncpg.Pool, outage_seconds: float) -> None:
        self._pool = pool
        self._outage_seconds = outage_seconds

    async def position(self) -> int:
        async def read() -> int:
            async with self._pool.acquire() as conn:
                position: int = await conn.fetchval("select api_private.change_log_position()")
                return position
        return await retrying(read, what="reading the change-log position", within=self._outage_seconds)

    async def after(self, after: int, limit: int = PAGE_SIZE, through: int | None = None,
                    within: float | None = None) -> list[Change]:
        """Changes in (after, through], in order, at most `limit`. `within`: how long to
        wait out an outage (default the hub's; 0 for a request that should fail fast)."""
        async def read() -> list[Change]:
            async with self._pool.acquire() as conn:
                rows = await conn.fetch("select * from api_private.changes_after($1, $2, $3)",
                                        after, limit, through)
            return [Change.from_row(r) for r in rows]
        return await retrying(read, what=f"reading the change log after {after}",
                              within=self._outage_seconds if within is None else within)

    async def retained(self, after: int, within: float | None = None) -> bool:
        """Is everything after `after` still in the log (not pruned)? Ask after reading: the
        horizon only moves forward, so a page read before a True answer has no gap."""
        async def read() -> bool:
            async with self._pool.acquire() as conn:
                retained: bool = await conn.fetchval("select api_private.change_cursor_retained($1)", after)
                return retained
        return await retrying(read, what="checking a change cursor",
                              within=self._outage_seconds if within is None else within)

    async def prune(self, retention_hours: float) -> int:
        """Drop changes older than the retention; one process at a time does it."""
        async with self._pool.acquire() as conn:
            if not await conn.fetchval("select pg_try_advisory_lock($1)", PRUNE_LOCK_KEY):
                return 0
            try:
                async with conn.transaction():  # a large prune may take longer than a request may
                    await conn.execute("set local statement_timeout = 0")
                    removed: int = await conn.fetchval(
                        "select api_private.prune_change_log(make_interval(secs => $1))",
                        retention_hours * 3600)
                return removed
            finally:
                await conn.execute("select pg_advisory_unlock($1)", PRUNE_LOCK_KEY)
