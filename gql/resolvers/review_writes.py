"""Writing reviews, owner responses, votes, flags and moderation decisions."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from gql.context import Context
from gql.resolvers.writes import call

Record = asyncpg.Record


async def create(ctx: Context, business_id: UUID, rating: int, title: str | None, content: str,
                 visit_date: date | None, idempotency_key: str | None) -> Record | None:
    return await call(ctx, "select * from api.create_review($1, $2, $3, $4, $5, $6)",
                      business_id, rating, title, content, visit_date, idempotency_key)


async def update(ctx: Context, review_id: UUID, expected_version: int,
                 patch: dict[str, Any]) -> Record | None:
    return await call(ctx, "select * from api.update_review($1, $2, $3)", review_id, expected_version, patch)


async def delete(ctx: Context, review_id: UUID) -> UUID:
    await call(ctx, "select api.delete_review($1) as deleted", review_id)
    return review_id


async def respond(ctx: Context, review_id: UUID, content: str,
                  idempotency_key: str | None) -> Record | None:
    await call(ctx, "select * from api.respond_to_review($1, $2, $3)", review_id, content,
               idempotency_key)
    return await ctx.loaders.review_by_id.load(review_id)


async def vote(ctx: Context, review_id: UUID, helpful: bool | None) -> Record | None:
    return await call(ctx, "select * from api.vote_review($1, $2)", review_id, helpful)


async def flag(ctx: Context, review_id: UUID, reason: str) -> Record | None:
    return await call(ctx, "select * from api.flag_review($1, $2)", review_id, reason)


async def moderate(ctx: Context, review_id: UUID, decision: str, note: str | None) -> Record | None:
    return await call(ctx, "select * from api.moderate_review($1, $2, $3)", review_id, decision, note)
