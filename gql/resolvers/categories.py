"""The category tree."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from gql.context import Context

Record = asyncpg.Record


async def roots(ctx: Context) -> list[Record]:
    rows = await ctx.db.fetch("select * from api.category_roots()")
    for row in rows:
        ctx.loaders.category_by_id.prime(row["id"], row)
    return rows


async def category(ctx: Context, slug: str) -> Record | None:
    return await ctx.loaders.category_by_slug.load(slug)


async def children(ctx: Context, category_id: UUID) -> list[Record]:
    return await ctx.loaders.category_children.load(category_id)


async def ancestors(ctx: Context, path: list[UUID]) -> list[Record]:
    """Root first, parent last; `path` ends with the category itself."""
    found = await ctx.loaders.category_by_id.load_many(path[:-1])
    return [row for row in found if row is not None]


async def by_id(ctx: Context, category_id: UUID | None) -> Record | None:
    if category_id is None:
        return None
    return await ctx.loaders.category_by_id.load(category_id)


async def by_ids(ctx: Context, category_ids: list[UUID]) -> list[Record]:
    found = await ctx.loaders.category_by_id.load_many(category_ids)
    return [row for row in found if row is not None]
