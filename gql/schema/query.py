"""The root Query type."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from gql.context import Context
from gql.resolvers import businesses as business_resolvers
from gql.resolvers import categories as category_resolvers
from gql.resolvers import reviews as review_resolvers
from gql.schema import accounts, analytics, business_people, moderation, operations, search
from gql.schema.business import Business, maybe_business
from gql.schema.category import Category, maybe_category
from gql.schema.changes import ChangePage, change_page
from gql.schema.connection import Connection
from gql.schema.enums import BusinessOrder
from gql.schema.listing import BusinessAttribute
from gql.schema.review import Review

Info = strawberry.Info[Context, None]


@strawberry.input(description="Filters of the business listing; every one is optional.")
class BusinessFilter:
    category_slug: str | None = strawberry.field(
        default=None, description="This category and all its sub-categories.")
    city: str | None = strawberry.field(default=None, description="Case-insensitive.")
    state: str | None = strawberry.field(default=None, description="Two-letter code, e.g. TX.")
    min_rating: float | None = strawberry.field(
        default=None, description="Only businesses with reviews averaging at least this (1-5).")
    price_levels: list[int] | None = strawberry.field(default=None, description="Any of these (1-4).")
    attributes: list[BusinessAttribute] | None = strawberry.field(default=None, description="All of these.")

    def to_resolver(self) -> business_resolvers.BusinessFilter:
        return business_resolvers.BusinessFilter(
            category_slug=self.category_slug, city=self.city, state=self.state,
            min_rating=self.min_rating, price_levels=self.price_levels,
            attributes=None if self.attributes is None else [a.value for a in self.attributes])


@strawberry.type
class Query:
    @strawberry.field(description="One business by id or by slug (give exactly one); null if "
                                  "there is none you may see.")
    async def business(
        self, info: Info, id: strawberry.ID | None = None, slug: str | None = None
    ) -> Business | None:
        return maybe_business(await business_resolvers.business(info.context, id, slug))

    @strawberry.field(description="Listed businesses, filtered and in keyset pages of at most 100.")
    async def businesses(
        self, info: Info, filter: BusinessFilter | None = None,
        order_by: BusinessOrder = BusinessOrder.NAME, first: int = 20, after: str | None = None,
    ) -> Connection[Business]:
        flt = (filter or BusinessFilter()).to_resolver()
        page = await business_resolvers.business_page(info.context, flt, order_by.value, first, after)
        return Connection.from_page(
            page, Business.from_row, lambda: business_resolvers.business_count(info.context, flt))

    @strawberry.field(description="Ranked, typo-tolerant search with filters; without `query`, "
                                  "a filtered browse. `near` + `radiusMeters` (default 25 km, at "
                                  "most 100 km) limit by distance and fill `distanceMeters`; with "
                                  "`near`, the 200 nearest matches are ranked and paged (and "
                                  "counted by totalCount).")
    async def search_businesses(
        self, info: Info, query: str | None = None, near: search.GeoPointInput | None = None,
        radius_meters: float | None = None, category_slug: str | None = None,
        open_now: bool = False, min_rating: float | None = None,
        serves_location: search.GeoPointInput | None = None,
        sort: search.SearchSort = search.SearchSort.BEST_MATCH, first: int = 20,
        after: str | None = None,
        category_slugs: Annotated[list[str] | None, strawberry.argument(
            description="Any of these categories (1 to 20, each with its sub-categories); "
                        "instead of categorySlug.")] = None,
        open_at: Annotated[datetime | None, strawberry.argument(
            description="Open at this moment (with its UTC offset), each business by its own "
                        "time zone, hours and special days; instead of openNow.")] = None,
        price_levels: Annotated[list[int] | None, strawberry.argument(
            description="Any of these price levels (1-4).")] = None,
        attributes: Annotated[list[BusinessAttribute] | None, strawberry.argument(
            description="All of these attributes.")] = None,
    ) -> search.BusinessSearchConnection:
        return await search.search_businesses(info, search.SearchArguments(
            query, near, radius_meters, category_slug, open_now, min_rating, serves_location, sort,
            category_slugs, open_at, price_levels,
            None if attributes is None else [a.value for a in attributes]), first, after)

    @strawberry.field(description="Listed businesses within radiusMeters (at most 100 km), "
                                  "nearest first, with distance and bearing.")
    async def nearby_businesses(
        self, info: Info, near: search.GeoPointInput, radius_meters: float = 5000,
        first: int = 20, after: str | None = None,
    ) -> Connection[Business]:
        return await search.nearby_businesses(info, near, radius_meters, first, after)

    @strawberry.field(description="Suggestions while typing: categories, cities and businesses "
                                  "(typo-tolerant; nearer businesses first when `near` is given).")
    async def autocomplete(
        self, info: Info, prefix: str, near: search.GeoPointInput | None = None, limit: int = 8
    ) -> list[search.Suggestion]:
        return await search.autocomplete(info, prefix, near, limit)

    @strawberry.field(description="The top-level categories; walk down with `children`.")
    async def categories(self, info: Info) -> list[Category]:
        return [Category.from_row(r) for r in await category_resolvers.roots(info.context)]

    @strawberry.field
    async def category(self, info: Info, slug: str) -> Category | None:
        return maybe_category(await category_resolvers.category(info.context, slug))

    @strawberry.field(description="Catch up over HTTP: the events of the sync feed after "
                                  "`after` (from the oldest retained when absent), as a page.")
    async def changes(self, info: Info, after: str | None = None, first: int = 50) -> ChangePage:
        return await change_page(info, after, first)

    @strawberry.field(description="Traffic and review figures of a business you own or manage "
                                  "(administrators: any). Default window: the last 30 days; at "
                                  "most 366 days.")
    async def business_analytics(
        self, info: Info, business_id: strawberry.ID,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> analytics.BusinessAnalytics:
        return await analytics.business_analytics(info, business_id, from_, to)

    @strawberry.field(description="Administrators: growth per week over the window (default the "
                                  "last 30 days) and the most active categories and cities.")
    async def platform_stats(
        self, info: Info, from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> analytics.PlatformStats:
        return await analytics.platform_stats(info, from_, to)

    @strawberry.field(description="Moderators and administrators: reviews waiting for a decision "
                                  "(pending, or published with new flags), the longest waiting first.")
    async def moderation_queue(self, info: Info, first: int = 20,
                               after: str | None = None) -> moderation.ModerationQueue:
        return await moderation.moderation_queue(info, first, after)

    @strawberry.field(description="What you own or manage, in every status (drafts included), newest "
                                  "first; empty when signed out.")
    async def my_businesses(self, info: Info, first: int = 20,
                            after: str | None = None) -> business_people.MyBusinesses:
        return await business_people.my_businesses(info, first, after)

    @strawberry.field(description="Claims of listings without an owner: all of them for administrators, "
                                  "your own for anyone else; pending ones oldest first, decided ones newest "
                                  "first.")
    async def business_claims(
        self, info: Info, status: business_people.ClaimStatus = business_people.ClaimStatus.PENDING,
        first: int = 20, after: str | None = None,
    ) -> business_people.BusinessClaims:
        return await business_people.business_claims(info, status, first, after)

    @strawberry.field(description="Administrators: the slowest statements, index use, table sizes and "
                                  "dead rows, connections by application and state.")
    async def operations_report(self, info: Info, limit: int = 10) -> operations.OperationsReport:
        return await operations.operations_report(info, limit)

    @strawberry.field(description="The signed-in user; null when anonymous.")
    async def me(self, info: Info) -> accounts.Me | None:
        return await accounts.me(info)

    @strawberry.field(description="One review by id; null if there is none you may see.")
    async def review(self, info: Info, id: strawberry.ID) -> Review | None:
        row = await review_resolvers.review(info.context, id)
        return None if row is None else Review.from_row(row)
