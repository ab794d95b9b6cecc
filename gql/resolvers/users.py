"""Public user profiles."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from gql.context import Context


async def profile(ctx: Context, user_id: UUID | None) -> asyncpg.Record | None:
    if user_id is None:
        return None
    return await ctx.loaders.user_by_id.load(user_id)
