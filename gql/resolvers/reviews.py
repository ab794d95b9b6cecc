"""Reviews: one by id, a business's published reviews page by page, and their responses."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from gql.context import Context
from gql.resolvers.ids import parse_id
from gql.resolvers.paging import Page, check_first, decode_cursor, make_page

Record = asyncpg.Record

# Sort key of each order: the ORDER BY columns of api.review_pages, id last.
SORT_KEYS: dict[str, tuple[str, ...]] = {
    "NEWEST": ("created_at", "id"),
    "OLDEST": ("created_at", "id"),
    "HIGHEST_RATING": ("rating", "created_at", "id"),
    "LOWEST_RATING": ("rating", "created_at", "id"),
    "MOST_HELPFUL": ("helpful_count", "created_at", "id"),
}
KEY_TYPES: dict[str, Callable[[Any], Any]] = {
    "created_at": datetime.fromisoformat, "id": UUID, "rating": int, "helpful_count": int,
}


def sort_key(row: Record, order: str) -> Sequence[Any]:
    return [row[column] for column in SORT_KEYS[order]]


async def review(ctx: Context, id: str) -> Record | None:
    return await ctx.loaders.review_by_id.load(parse_id(id))


async def business_reviews(
    ctx: Context, business_id: UUID, order: str, first: int, after: str | None
) -> Page[Record]:
    check_first(first)
    key = decode_cursor(after, order, [KEY_TYPES[c] for c in SORT_KEYS[order]])
    rows = await ctx.loaders.review_page.load(
        (business_id, order, None if key is None else json.dumps(key), first + 1)
    )
    return make_page(rows, first, order, after is not None, lambda r: sort_key(r, order))


async def response(ctx: Context, review_id: UUID) -> Record | None:
    return await ctx.loaders.response_by_review.load(review_id)
