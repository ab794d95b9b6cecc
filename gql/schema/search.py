"""Finding businesses: search, nearby, autocomplete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

import asyncpg
import strawberry

from gql.context import Context
from gql.resolvers import search as resolvers
from gql.schema.business import Business
from gql.schema.connection import Connection

Info = strawberry.Info[Context, None]


@strawberry.input
class GeoPointInput:
    latitude: float
    longitude: float

    def to_point(self) -> resolvers.Point:
        return resolvers.Point(self.latitude, self.longitude)


@strawberry.enum
class SearchSort(Enum):
    BEST_MATCH = strawberry.enum_value(
        "BEST_MATCH", description="Text relevance (a small boost for rating and review count); "
                                  "without a query, everything ties and ids decide.")
    DISTANCE = strawberry.enum_value("DISTANCE", description="Nearest first; needs `near`.")
    RATING = "RATING"
    REVIEW_COUNT = "REVIEW_COUNT"


@strawberry.type
class BusinessSearchConnection(Connection[Business]):
    did_you_mean: str | None = strawberry.field(
        default=None, description="When nothing was found: the query spelled with words the "
                                  "directory contains.")


@strawberry.enum
class SuggestionKind(Enum):
    BUSINESS = "BUSINESS"
    CATEGORY = "CATEGORY"
    CITY = "CITY"


@strawberry.type
class Suggestion:
    kind: SuggestionKind
    label: str
    slug: str | None = strawberry.field(description="The business's or category's slug.")
    business_id: strawberry.ID | None
    distance_meters: float | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Suggestion:
        return cls(kind=SuggestionKind(row["kind"]), label=row["label"], slug=row["slug"],
                   business_id=strawberry.ID(str(row["business_id"])) if row["business_id"] else None,
                   distance_meters=row["distance"])


@dataclass(frozen=True)
class SearchArguments:
    query: str | None
    near: GeoPointInput | None
    radius_meters: float | None
    category_slug: str | None
    open_now: bool
    min_rating: float | None
    serves_location: GeoPointInput | None
    sort: SearchSort
    category_slugs: list[str] | None
    open_at: datetime | None
    price_levels: list[int] | None
    attributes: list[str] | None


async def search_businesses(info: Info, a: SearchArguments, first: int,
                            after: str | None) -> BusinessSearchConnection:
    ctx = info.context
    request = resolvers.SearchRequest(
        query=a.query, near=a.near.to_point() if a.near else None, radius_meters=a.radius_meters,
        category_slug=a.category_slug, open_now=a.open_now, min_rating=a.min_rating,
        serves=a.serves_location.to_point() if a.serves_location else None, sort=a.sort.value,
        category_slugs=a.category_slugs, open_at=a.open_at, price_levels=a.price_levels,
        attributes=a.attributes).checked()
    page = await resolvers.search(ctx, request, first, after)
    plain = Connection.from_page(page, Business.from_row, lambda: resolvers.count(ctx, request))
    suggested = await resolvers.suggestion(ctx, request.query) if not page.rows and after is None else None
    return BusinessSearchConnection(edges=plain.edges, page_info=plain.page_info, _count=plain._count,
                                    did_you_mean=suggested)


async def nearby_businesses(info: Info, near: GeoPointInput, radius_meters: float, first: int,
                            after: str | None) -> Connection[Business]:
    ctx = info.context
    point = near.to_point()
    page = await resolvers.nearby(ctx, point, radius_meters, first, after)
    return Connection.from_page(page, Business.from_row,
                                lambda: resolvers.nearby_count(ctx, point, radius_meters))


async def autocomplete(info: Info, prefix: str, near: GeoPointInput | None, limit: int) -> list[Suggestion]:
    rows = await resolvers.autocomplete(info.context, prefix, near.to_point() if near else None, limit)
    return [Suggestion.from_row(r) for r in rows]
