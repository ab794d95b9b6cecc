"""Periodic upkeep in each server process; where only one process should act, an advisory
lock picks it (the others skip that round)."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

log = logging.getLogger(__name__)

STATS_LOCK_KEY = 7_291_046_116


async def refresh_business_stats(pool: asyncpg.Pool) -> bool:
    """Refresh business_stats concurrently if no other process is doing it; True if done."""
    async with pool.acquire() as conn:
        if not await conn.fetchval("select pg_try_advisory_lock($1)", STATS_LOCK_KEY):
            return False
        try:
            async with conn.transaction():  # upkeep may take longer than a request may
                await conn.execute("set local statement_timeout = 0; set local lock_timeout = 0")
                await conn.execute("select api_private.refresh_business_stats()")
                await conn.execute("select api_private.ensure_audit_partitions(3)")
            return True
        finally:
            await conn.execute("select pg_advisory_unlock($1)", STATS_LOCK_KEY)


async def run_periodically(pool: asyncpg.Pool, every_seconds: float) -> None:
    while True:
        await asyncio.sleep(every_seconds)
        try:
            await refresh_business_stats(pool)
        except Exception as exc:  # an outage included: the next round tries again
            log.warning("refreshing business_stats failed: %r", exc)
