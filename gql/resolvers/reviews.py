"""Reviews: one by id, a business's published reviews page by page, and their responses."""

from __future__ import annotations

import json
from uuid import UUID

import asyncpg

from gql.context import Context
from gql.resolvers.ids import parse_id
from gql.resolvers.orderings import REVIEWS
from gql.resolvers.paging import Page, check_first

Record = asyncpg.Record

async def review(ctx: Context, id: str) -> Record | None:
    return await ctx.loaders.review_by_id.load(parse_id(id))


async def business_reviews(
    ctx: Context, business_id: UUID, order: str, first: int, after: str | None
) -> Page[Record]:
    check_first(first)
    key = REVIEWS.after(after, order)
    rows = await ctx.loaders.review_page.load(
        (business_id, order, None if key is None else json.dumps(key), first + 1)
    )
    return REVIEWS.page(rows, first, order, after is not None)


async def response(ctx: Context, review_id: UUID) -> Record | None:
    return await ctx.loaders.response_by_review.load(review_id)
