"""API keys (db/functions/77_api_keys.sql): made by a signed-in user, shown once, kept as a
hash; a request with `Authorization: Bearer gk_...` acts as the key's user within its scopes
(gql/identity/token_holders.py looks it up; the database enforces the scopes)."""

from __future__ import annotations

import secrets
from datetime import datetime
from uuid import UUID

import asyncpg

from gql.context import Context
from gql.identity.auth import API_KEY_PREFIX, api_key_hash
from gql.resolvers.writes import call

PREFIX_SHOWN = 10


def new_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


async def create(ctx: Context, name: str, scopes: list[str], business_ids: list[UUID] | None,
                 expires_at: datetime | None) -> tuple[asyncpg.Record | None, str]:
    key = new_key()
    row = await call(ctx, "select * from api.create_api_key($1, $2, $3, $4, $5, $6)", name, scopes,
                     business_ids, expires_at, api_key_hash(key), key[:PREFIX_SHOWN])
    return row, key


async def mine(ctx: Context) -> list[asyncpg.Record]:
    if ctx.identity.is_anonymous:
        return []
    return list(await ctx.db.fetch("select * from api.my_api_keys()"))


async def revoke(ctx: Context, key_id: UUID) -> asyncpg.Record | None:
    row = await call(ctx, "select * from api.revoke_api_key($1)", key_id)
    if ctx.holders is not None and row is not None:
        ctx.holders.forget(row["user_id"])  # refused at once in this process
    return row
