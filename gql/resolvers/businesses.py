"""Businesses: one by id or slug, and the filtered, keyset-paginated listing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from gql.context import Context
from gql.errors import BadArgument
from gql.loaders import BUSINESS_SELECT
from gql.resolvers.ids import parse_id
from gql.resolvers.orderings import BUSINESSES
from gql.resolvers.paging import Page, check_first

Record = asyncpg.Record

MAX_FILTER_TEXT = 200
MAX_ATTRIBUTES = 10


def check_facets(price_levels: list[int] | None, attributes: list[str] | None, prefix: str = "") -> None:
    """Price levels (any of them, 1 to 4) and attributes (all of them) to filter listings by."""
    if price_levels is not None and (not 1 <= len(price_levels) <= 4
                                     or not all(1 <= level <= 4 for level in price_levels)):
        raise BadArgument(f"{prefix}priceLevels", "must list 1 to 4 price levels, each 1 to 4")
    if attributes is not None and not 1 <= len(attributes) <= MAX_ATTRIBUTES:
        raise BadArgument(f"{prefix}attributes", f"must list 1 to {MAX_ATTRIBUTES} attributes")


@dataclass(frozen=True)
class BusinessFilter:
    category_slug: str | None = None
    city: str | None = None
    state: str | None = None
    min_rating: float | None = None
    price_levels: list[int] | None = None
    attributes: list[str] | None = None

    def check(self) -> None:
        for argument, text in (("filter.categorySlug", self.category_slug), ("filter.city", self.city),
                               ("filter.state", self.state)):
            if text is not None and len(text) > MAX_FILTER_TEXT:
                raise BadArgument(argument, f"must be at most {MAX_FILTER_TEXT} characters")
        if self.min_rating is not None and not 1 <= self.min_rating <= 5:
            raise BadArgument("filter.minRating", f"must be between 1 and 5, got {self.min_rating}")
        check_facets(self.price_levels, self.attributes, "filter.")

    def sql_args(self) -> tuple[Any, ...]:
        rating = None if self.min_rating is None else Decimal(str(self.min_rating))
        return (self.category_slug, self.city, self.state, rating, self.price_levels, self.attributes)


async def business(ctx: Context, id: str | None, slug: str | None) -> Record | None:
    if (id is None) == (slug is None):
        raise BadArgument("id", 'or "slug": give exactly one of them')
    if slug is not None:
        return await ctx.loaders.business_by_slug.load(slug)
    assert id is not None
    return await ctx.loaders.business_by_id.load(parse_id(id))


async def business_page(
    ctx: Context, flt: BusinessFilter, order: str, first: int, after: str | None
) -> Page[Record]:
    check_first(first)
    flt.check()
    key = BUSINESSES.after(after, order)
    rows = await ctx.db.fetch(
        BUSINESS_SELECT.format(fn="api.business_page($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
        *flt.sql_args(), order, key, first + 1,
    )
    for row in rows:  # prime the loader: a later business(id) in this request costs nothing
        ctx.loaders.business_by_id.prime(row["id"], row)
    return BUSINESSES.page(rows, first, order, after is not None)


async def business_count(ctx: Context, flt: BusinessFilter) -> int:
    count: int = await ctx.db.fetchval(
        "select api.business_count($1, $2, $3, $4, $5, $6)", *flt.sql_args()
    )
    return count


async def by_id(ctx: Context, business_id: UUID) -> Record | None:
    return await ctx.loaders.business_by_id.load(business_id)
