"""Webhook subscriptions as their user manages them (db/functions/78_webhooks.sql)."""

from __future__ import annotations

import secrets
from uuid import UUID

import asyncpg

from gql.context import Context
from gql.edge.endpoints import url_problem
from gql.identity import sealing
from gql.resolvers.changes import decode_change_cursor
from gql.resolvers.inputs import invalid
from gql.resolvers.writes import call

MAX_DELIVERIES = 100


async def create(ctx: Context, url: str, topics: list[str], business_id: UUID | None,
                 selection: str | None) -> tuple[asyncpg.Record | None, str]:
    """`selection` was checked by the caller (gql/schema/webhook_selection.py)."""
    url = url.strip()
    problem = await url_problem(url, ctx.settings.webhooks.allow_private)
    if problem is not None:
        raise invalid("url", problem)
    if not topics:
        raise invalid("topics", "give at least one topic")
    secret = "whsec_" + secrets.token_urlsafe(32)
    sealed = ctx.settings.data_key.seal(secret, sealing.WEBHOOK_SECRET)
    row = await call(ctx, "select * from api.create_webhook($1, $2, $3, $4, $5)",
                     url, topics, business_id, sealed, selection)
    return row, secret


async def set_state(ctx: Context, webhook_id: UUID, *, active: bool, from_cursor: str | None = None,
                    remove: bool = False) -> asyncpg.Record | None:
    from_seq = decode_change_cursor(from_cursor, "fromCursor")
    return await call(ctx, "select * from api.set_webhook_state($1, $2, $3, $4)",
                      webhook_id, active, from_seq, remove)


async def mine(ctx: Context) -> list[asyncpg.Record]:
    if ctx.identity.is_anonymous:
        return []
    return list(await ctx.db.fetch("select * from api.my_webhooks()"))


async def deliveries(ctx: Context, webhook_id: UUID, first: int) -> list[asyncpg.Record]:
    return list(await ctx.db.fetch("select * from api.webhook_deliveries($1, $2)", webhook_id,
                                   max(1, min(first, MAX_DELIVERIES))))
