"""Periodic upkeep in each server process; where only one process should act, an advisory
lock picks it (the others skip that round)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg

log = logging.getLogger(__name__)

STATS_LOCK_KEY = 7_291_046_116


@dataclass(frozen=True)
class Retention:
    """How long raw records are kept (db/functions/88_retention.sql says what goes)."""

    view_event_days: int = 400
    """Raw view and click events; the daily rollups behind every report stay."""
    audit_months: int = 24
    security_event_days: int = 90
    idempotency_key_days: int = 7
    """A creating mutation retried with its key later than this creates again."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Retention:
        given = cls()
        return cls(
            view_event_days=int(env.get("GQL_RETAIN_EVENTS_DAYS") or given.view_event_days),
            audit_months=int(env.get("GQL_RETAIN_AUDIT_MONTHS") or given.audit_months),
            security_event_days=int(env.get("GQL_RETAIN_SECURITY_EVENTS_DAYS") or given.security_event_days),
            idempotency_key_days=int(env.get("GQL_RETAIN_IDEMPOTENCY_KEYS_DAYS")
                                     or given.idempotency_key_days),
        )


async def run_upkeep(pool: asyncpg.Pool, retention: Retention) -> bool:
    """Refresh business_stats, make audit partitions ahead and apply retention, if no other
    process is doing it; True if done."""
    async with pool.acquire() as conn:
        if not await conn.fetchval("select pg_try_advisory_lock($1)", STATS_LOCK_KEY):
            return False
        try:
            async with conn.transaction():  # upkeep may take longer than a request may
                await conn.execute("set local statement_timeout = 0; set local lock_timeout = 0")
                await conn.execute("select api_private.refresh_business_stats()")
                await conn.execute("select api_private.ensure_audit_partitions(3)")
                removed = json.loads(await conn.fetchval(
                    "select api_private.apply_retention($1, $2, $3, $4)::text", retention.view_event_days,
                    retention.audit_months, retention.security_event_days, retention.idempotency_key_days))
            if any(removed.values()):
                log.info("retention removed %s", removed)
            return True
        finally:
            await conn.execute("select pg_advisory_unlock($1)", STATS_LOCK_KEY)


async def run_periodically(pool: asyncpg.Pool, every_seconds: float, retention: Retention) -> None:
    while True:
        await asyncio.sleep(every_seconds)
        try:
            await run_upkeep(pool, retention)
        except Exception as exc:  # an outage included: the next round tries again
            log.warning("the periodic upkeep failed: %r", exc)
