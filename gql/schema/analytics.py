"""Analytics: traffic events in, owner reports out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import strawberry

from gql.context import Context
from gql.resolvers import analytics as resolvers
from gql.resolvers.ids import parse_id
from gql.resolvers.inputs import input_id
from gql.resolvers.writes import perform
from gql.schema.business import RatingCount
from gql.schema.user_error import UserError, payload

Info = strawberry.Info[Context, None]


@strawberry.enum
class ClickKind(Enum):
    CALL = "call"
    WEBSITE = "website"
    DIRECTIONS = "directions"
    SHARE = "share"
    SAVE = "save"


@strawberry.type
class RecordPayload:
    counted: bool = strawberry.field(description="False when the clientEventId was seen before.")
    errors: list[UserError]


@strawberry.type
class ClickCounts:
    call: int
    website: int
    directions: int
    share: int
    save: int


@strawberry.type
class DailyTraffic:
    date: date
    views: int
    unique_visitors: int
    clicks: int


@strawberry.type
class ReferrerCount:
    referrer: str
    views: int


@strawberry.type
class WeeklyReviews:
    week: date = strawberry.field(description="The Monday the week starts on.")
    reviews: int
    average_rating: float


@strawberry.type(description="Traffic and reviews of one business over [from, to] (UTC days).")
class BusinessAnalytics:
    from_date: date = strawberry.field(name="from")
    to_date: date = strawberry.field(name="to")
    total_views: int
    unique_visitors: int
    average_time_on_page_seconds: float | None
    bounce_rate: float | None
    clicks: ClickCounts
    click_through_rate: float | None = strawberry.field(
        description="Calls, website and directions clicks per view.")
    daily: list[DailyTraffic] = strawberry.field(description="Every day of the window, zeros included.")
    top_referrers: list[ReferrerCount]
    rating_distribution: list[RatingCount] = strawberry.field(
        description="Reviews published in the window, per star rating.")
    weekly_reviews: list[WeeklyReviews]

    @classmethod
    def from_report(cls, start: date, end: date, r: dict[str, Any]) -> BusinessAnalytics:
        return cls(
            from_date=start, to_date=end, total_views=r["views"], unique_visitors=r["unique_visitors"],
            average_time_on_page_seconds=r["average_time_on_page"], bounce_rate=r["bounce_rate"],
            clicks=ClickCounts(**r["clicks"]), click_through_rate=r["click_through_rate"],
            daily=[DailyTraffic(date=date.fromisoformat(d["day"]), views=d["views"],
                                unique_visitors=d["unique_visitors"], clicks=d["clicks"])
                   for d in r["daily"]],
            top_referrers=[ReferrerCount(**x) for x in r["referrers"]],
            rating_distribution=[RatingCount(**x) for x in r["rating_distribution"]],
            weekly_reviews=[WeeklyReviews(week=date.fromisoformat(w["week"]), reviews=w["reviews"],
                                          average_rating=w["average_rating"]) for w in r["weekly"]],
        )


async def business_analytics(info: Info, business_id: strawberry.ID, start: date | None,
                             end: date | None) -> BusinessAnalytics:
    first, last = resolvers.window(start, end)
    report = await resolvers.report(info.context, parse_id(business_id, "businessId"), first, last)
    return BusinessAnalytics.from_report(first, last, report)


@strawberry.type
class AnalyticsMutations:
    @strawberry.mutation(description="Count a view of a business page (anonymous callers too). "
                                     "A retried clientEventId is counted once.")
    async def record_business_view(
        self, info: Info, business_id: strawberry.ID, visitor_id: str, referrer: str | None = None,
        time_on_page_seconds: int | None = None, bounced: bool = False,
        client_event_id: str | None = None,
    ) -> RecordPayload:
        return payload(RecordPayload, bool, await perform(
            info.context, None,
            lambda: resolvers.record_view(info.context, input_id(business_id, "businessId"), visitor_id,
                                          referrer, time_on_page_seconds, bounced, client_event_id)),
            missing=False)

    @strawberry.mutation(description="Count a click to call, visit the website, get directions, "
                                     "share or save. A retried clientEventId is counted once.")
    async def record_business_click(
        self, info: Info, business_id: strawberry.ID, visitor_id: str, kind: ClickKind,
        client_event_id: str | None = None,
    ) -> RecordPayload:
        return payload(RecordPayload, bool, await perform(
            info.context, None,
            lambda: resolvers.record_click(info.context, input_id(business_id, "businessId"), visitor_id,
                                           kind.value, client_event_id)),
            missing=False)


@strawberry.type
class WeeklyGrowth:
    week: date
    businesses: int
    reviews: int
    users: int


@strawberry.type
class ActiveCategory:
    slug: str
    name: str
    activity: int = strawberry.field(description="Views in the last 30 days plus recent reviews.")


@strawberry.type
class ActiveCity:
    city: str
    state: str
    activity: int


@strawberry.type(description="The whole directory, for administrators.")
class PlatformStats:
    refreshed_at: datetime = strawberry.field(description="When business_stats was last refreshed.")
    weekly: list[WeeklyGrowth]
    top_categories: list[ActiveCategory]
    top_cities: list[ActiveCity]


async def platform_stats(info: Info, start: date | None, end: date | None) -> PlatformStats:
    first, last = resolvers.window(start, end)
    r = await resolvers.platform_report(info.context, first, last)
    return PlatformStats(
        refreshed_at=datetime.fromisoformat(r["refreshed_at"]),
        weekly=[WeeklyGrowth(week=date.fromisoformat(w["week"]), businesses=w["businesses"],
                             reviews=w["reviews"], users=w["users"]) for w in r["weekly"] or []],
        top_categories=[ActiveCategory(**c) for c in r["top_categories"]],
        top_cities=[ActiveCity(**c) for c in r["top_cities"]])


@strawberry.type(description="Today's traffic of a business (UTC day), as it changes.")
class AnalyticsTick:
    business_id: strawberry.ID
    at: datetime
    views_today: int
    unique_visitors_today: int
    clicks_today: int
    total_views: int


async def analytics_updates(info: Info, business_id: strawberry.ID) -> AsyncGenerator[AnalyticsTick, None]:
    """At most one tick a second, and only when the figures moved."""
    business = parse_id(business_id, "businessId")
    last: dict[str, Any] | None = None
    while True:
        now = await resolvers.analytics_now(info.context, business)
        if now != last:
            last = now
            await info.context.recheck_account()
            yield AnalyticsTick(business_id=business_id, at=datetime.now(UTC), **now)
        await asyncio.sleep(resolvers.TICK_SECONDS)
