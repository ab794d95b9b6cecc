"""Search, nearby and autocomplete: argument checks, then one SQL function each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from gql.context import Context
from gql.errors import BadArgument
from gql.loaders import BUSINESS_COLUMNS
from gql.resolvers.businesses import check_facets
from gql.resolvers.orderings import SEARCH_RESULTS
from gql.resolvers.paging import Page, check_first

Record = asyncpg.Record

MAX_QUERY_LENGTH = 200
MAX_RADIUS_METERS = 100_000.0
DEFAULT_RADIUS_METERS = 25_000.0
MAX_SUGGESTIONS = 20
MAX_CATEGORIES = 20
OPEN_AT_RANGE = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
"""openAt lies within these years: a fixed range, so that a check made once holds for good."""

RESULT_SELECT = (
    "select " + BUSINESS_COLUMNS + ", s.rank,"
    " s.distance as distance_meters,"
    " case when $2::float8 is not null"
    "      then api.bearing_degrees($2, $3, b.latitude, b.longitude) end as bearing_degrees"
    " from {fn} s, lateral unnest(array[s.business]) b"
)


def checked_radius(radius: float) -> float:
    """A radius in metres, to the millimetre (a subnormal one is 0 and refused)."""
    radius = round(radius, 3)
    if not 0 < radius <= MAX_RADIUS_METERS:
        raise BadArgument("radiusMeters", f"must be above 0 and at most {MAX_RADIUS_METERS:g}")
    return radius


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        # To 0.1 mm: a subnormal coordinate (5e-324) would underflow PostgreSQL's float math.
        object.__setattr__(self, "latitude", round(self.latitude, 9))
        object.__setattr__(self, "longitude", round(self.longitude, 9))

    def check(self, argument: str = "") -> Point:
        """Raise naming `argument.latitude` (or plain `latitude`) when out of range."""
        prefix = f"{argument}." if argument else ""
        if not -90 <= self.latitude <= 90:
            raise BadArgument(f"{prefix}latitude", f"must be between -90 and 90, got {self.latitude}")
        if not -180 <= self.longitude <= 180:
            raise BadArgument(f"{prefix}longitude", f"must be between -180 and 180, got {self.longitude}")
        return self


@dataclass(frozen=True)
class SearchRequest:
    query: str | None = None
    near: Point | None = None
    radius_meters: float | None = None
    category_slug: str | None = None
    open_now: bool = False
    min_rating: float | None = None
    serves: Point | None = None
    sort: str = "BEST_MATCH"
    category_slugs: list[str] | None = None
    """Any of these categories (with their sub-categories); checked() folds categorySlug in."""
    open_at: datetime | None = None
    price_levels: list[int] | None = None
    attributes: list[str] | None = None

    def checked(self) -> SearchRequest:
        query = self.query.strip() if self.query is not None else None
        if query is not None and len(query) > MAX_QUERY_LENGTH:
            raise BadArgument("query", f"must be at most {MAX_QUERY_LENGTH} characters")
        slugs = self.category_slugs
        if slugs is not None:
            if self.category_slug is not None:
                raise BadArgument("categorySlugs", "cannot be given with `categorySlug`: give one of them")
            if not 1 <= len(slugs) <= MAX_CATEGORIES:
                raise BadArgument("categorySlugs",
                                  f"must list 1 to {MAX_CATEGORIES} categories, got {len(slugs)}")
        elif self.category_slug is not None:
            slugs = [self.category_slug]
        if self.open_at is not None:
            if self.open_now:
                raise BadArgument("openAt", "cannot be given with `openNow: true`: give one of them")
            if self.open_at.tzinfo is None:
                raise BadArgument("openAt", "needs a UTC offset, as in 2026-12-24T18:00:00Z")
            if not OPEN_AT_RANGE[0] <= self.open_at < OPEN_AT_RANGE[1]:
                first, last = OPEN_AT_RANGE[0].year, OPEN_AT_RANGE[1].year - 1
                raise BadArgument("openAt", f"must be in the years {first} to {last}")
        near = self.near.check("near") if self.near else None
        serves = self.serves.check("servesLocation") if self.serves else None
        radius = self.radius_meters
        if radius is not None:
            if near is None:
                raise BadArgument("radiusMeters", "needs `near`")
            radius = checked_radius(radius)
        if self.sort == "DISTANCE" and near is None:
            raise BadArgument("sort", "DISTANCE needs `near`")
        if self.min_rating is not None and not 1 <= self.min_rating <= 5:
            raise BadArgument("minRating", f"must be between 1 and 5, got {self.min_rating}")
        check_facets(self.price_levels, self.attributes)
        return SearchRequest(query or None, near,
                             radius if radius is not None else (DEFAULT_RADIUS_METERS if near else None),
                             None, self.open_now, self.min_rating, serves, self.sort,
                             None if slugs is None else list(dict.fromkeys(slugs)), self.open_at,
                             self.price_levels, self.attributes)

    def filter_args(self) -> tuple[Any, ...]:
        """The filter arguments of api.search_businesses and api.search_count, in order."""
        return (self.query, self.near.latitude if self.near else None,
                self.near.longitude if self.near else None, self.radius_meters, self.category_slugs,
                self.open_now, self.open_at,
                None if self.min_rating is None else Decimal(str(self.min_rating)),
                self.price_levels, self.attributes,
                self.serves.latitude if self.serves else None,
                self.serves.longitude if self.serves else None)


async def search(ctx: Context, request: SearchRequest, first: int, after: str | None) -> Page[Record]:
    check_first(first)
    key = SEARCH_RESULTS.after(after, request.sort)
    rows = await ctx.db.fetch(
        RESULT_SELECT.format(fn="api.search_businesses("
                                + ", ".join(f"${n}" for n in range(1, 16)) + ")"),
        *request.filter_args(), request.sort, key,
        first + 1)
    return SEARCH_RESULTS.page(rows, first, request.sort, after is not None)


async def count(ctx: Context, request: SearchRequest) -> int:
    total: int = await ctx.db.fetchval(
        "select api.search_count($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)", *request.filter_args())
    return total


async def suggestion(ctx: Context, query: str | None) -> str | None:
    if not query:
        return None
    suggested: str | None = await ctx.db.fetchval("select api.spelling_suggestion($1)", query)
    return suggested


async def nearby(ctx: Context, near: Point, radius: float, first: int, after: str | None) -> Page[Record]:
    check_first(first)
    near.check("near")
    radius = checked_radius(radius)
    key = SEARCH_RESULTS.after(after, "DISTANCE")
    rows = await ctx.db.fetch(RESULT_SELECT.format(fn="api.nearby_businesses($2, $3, $1, $4, $5)"),
                              radius, near.latitude, near.longitude, key, first + 1)
    return SEARCH_RESULTS.page(rows, first, "DISTANCE", after is not None)


async def nearby_count(ctx: Context, near: Point, radius: float) -> int:
    total: int = await ctx.db.fetchval("select api.nearby_count($1, $2, $3)",
                                       near.latitude, near.longitude, radius)
    return total


def checked_autocomplete(prefix: str, near: Point | None, limit: int) -> list[Any]:
    """The arguments of api.autocomplete (prefix, latitude, longitude, limit), checked."""
    prefix = prefix.strip()
    if not 1 <= len(prefix) <= 100:
        raise BadArgument("prefix", "must be 1 to 100 characters")
    if not 1 <= limit <= MAX_SUGGESTIONS:
        raise BadArgument("limit", f"must be between 1 and {MAX_SUGGESTIONS}, got {limit}")
    if near is not None:
        near.check("near")
    return [prefix, near.latitude if near else None, near.longitude if near else None, limit]


async def autocomplete(ctx: Context, prefix: str, near: Point | None, limit: int) -> list[Record]:
    return await ctx.db.fetch("select * from api.autocomplete($1, $2, $3, $4)",
                              *checked_autocomplete(prefix, near, limit))
