"""Businesses: the directory's listings."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import asyncpg
import strawberry
from strawberry.scalars import JSON

from gql.context import Context
from gql.entities.business import BUSINESSES
from gql.resolvers import categories as category_resolvers
from gql.resolvers import reviews as review_resolvers
from gql.resolvers import search as search_resolvers
from gql.resolvers import service_areas as service_area_resolvers
from gql.resolvers import users as user_resolvers
from gql.schema.category import Category, maybe_category
from gql.schema.columns import column_fields
from gql.schema.connection import Connection
from gql.schema.enums import BusinessStatus, ReviewOrder, Weekday
from gql.schema.listing import BusinessAttribute, BusinessBadge, Photo, SocialLink, listing_fields
from gql.schema.user import User, maybe_user

if TYPE_CHECKING:
    from gql.schema.review import Review

ReviewRef = Annotated["Review", strawberry.lazy("gql.schema.review")]


@strawberry.type
class Address:
    line1: str | None
    line2: str | None
    city: str
    state: str
    zip: str | None
    country: str


@strawberry.type
class GeoPoint:
    latitude: float
    longitude: float


@strawberry.type(description="Open from `opens` until `closes` (local time, HH:MM). "
                             "A `closes` not after `opens` means the next day; 00:00-00:00 "
                             "is open around the clock.")
class OpeningInterval:
    day: Weekday
    opens: str
    closes: str


@strawberry.type
class TimeInterval:
    opens: str
    closes: str


@strawberry.type(description="Hours that replace the usual ones on one date (holidays).")
class SpecialHours:
    date: date
    closed: bool
    intervals: list[TimeInterval]


@strawberry.type
class RatingCount:
    rating: int
    count: int


def _weekly_hours(hours: dict[str, Any]) -> list[OpeningInterval]:
    return [
        OpeningInterval(day=day, opens=opens, closes=closes)
        for day in Weekday
        for opens, closes in hours.get(day.value, [])
    ]


def _special_hours(special: dict[str, Any]) -> list[SpecialHours]:
    return [
        SpecialHours(
            date=date.fromisoformat(day), closed=not intervals,
            intervals=[TimeInterval(opens=o, closes=c) for o, c in intervals],
        )
        for day, intervals in sorted(special.items())
    ]


@strawberry.type
@column_fields(BUSINESSES)
class Business:
    """The fields that show one column as it is come from the registry (gql/entities/business.py)."""

    id: strawberry.ID
    status: BusinessStatus
    address: Address
    location: GeoPoint | None
    hours: list[OpeningInterval] = strawberry.field(description="The usual weekly hours.")
    special_hours: list[SpecialHours]
    is_open_now: bool = strawberry.field(
        description="Open at this moment in the business's own time zone, special hours included.")
    rating: float | None = strawberry.field(
        description="Mean of the published reviews' ratings; null before the first review.")
    rating_distribution: list[RatingCount] = strawberry.field(
        description="Published reviews per star rating, 5 down to 1.")
    verified: bool
    distance_meters: float | None = strawberry.field(
        description="From the location the query gave (search, nearby); null otherwise.")
    bearing_degrees: float | None = strawberry.field(
        description="Initial compass bearing from that location, 0-360 (0 = north).")
    photos: list[Photo] = strawberry.field(description="In the owner's order; the primary one marked.")
    attributes: list[BusinessAttribute]
    social_links: list[SocialLink]
    badges: list[BusinessBadge] = strawberry.field(description="CLAIMED when someone runs the listing, "
                                                               "VERIFIED when the directory checked it.")
    _id: strawberry.Private[UUID]
    _primary_category_id: strawberry.Private[UUID]
    _secondary_category_ids: strawberry.Private[list[UUID]]
    _owner_id: strawberry.Private[UUID | None]
    _review_count: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Business:
        counts = row["rating_counts"]
        has_location = row["latitude"] is not None
        return cls(
            **BUSINESSES.values(row), id=strawberry.ID(str(row["id"])),
            status=BusinessStatus(row["status"]),
            address=Address(
                line1=row["address_line1"], line2=row["address_line2"], city=row["city"],
                state=row["state"], zip=row["zip_code"], country=row["country"],
            ),
            location=GeoPoint(latitude=row["latitude"], longitude=row["longitude"])
            if has_location else None,
            hours=_weekly_hours(row["hours"]),
            special_hours=_special_hours(row["special_hours"]), is_open_now=row["is_open_now"],
            rating=float(row["rating_avg"]) if row["review_count"] else None,
            rating_distribution=[RatingCount(rating=r, count=counts[r - 1]) for r in range(5, 0, -1)],
            verified=row["verification_status"] == "verified",
            distance_meters=row.get("distance_meters"),
            bearing_degrees=float(row["bearing_degrees"]) if row.get("bearing_degrees") is not None else None,
            **listing_fields(row), _id=row["id"],
            _primary_category_id=row["primary_category_id"],
            _secondary_category_ids=list(row["secondary_category_ids"]), _owner_id=row["owner_id"],
            _review_count=row["review_count"],
        )

    @strawberry.field
    async def primary_category(self, info: strawberry.Info[Context, None]) -> Category | None:
        return maybe_category(await category_resolvers.by_id(info.context, self._primary_category_id))

    @strawberry.field(description="The primary category first, then the secondary ones.")
    async def categories(self, info: strawberry.Info[Context, None]) -> list[Category]:
        ids = [self._primary_category_id, *self._secondary_category_ids]
        return [Category.from_row(r) for r in await category_resolvers.by_ids(info.context, ids)]

    @strawberry.field(description="Published reviews.")
    async def reviews(
        self, info: strawberry.Info[Context, None], first: int = 10, after: str | None = None,
        order_by: ReviewOrder = ReviewOrder.NEWEST,
    ) -> Connection[ReviewRef]:
        from gql.schema.review import Review

        page = await review_resolvers.business_reviews(
            info.context, self._id, order_by.value, first, after)
        review_count = self._review_count

        async def count() -> int:
            return review_count

        return Connection.from_page(page, Review.from_row, count)

    @strawberry.field(description="Does the business serve this point (its service areas, or its "
                                  "service radius)?")
    async def serves_location(self, info: strawberry.Info[Context, None], latitude: float,
                              longitude: float) -> bool:
        point = search_resolvers.Point(latitude, longitude).check()
        served: bool = await info.context.loaders.serves_point.load(
            (self._id, point.latitude, point.longitude))
        return served

    @strawberry.field(description="The areas it serves, as a GeoJSON MultiPolygon.")
    async def service_areas(self, info: strawberry.Info[Context, None]) -> JSON | None:
        rows = await info.context.loaders.service_areas.load(self._id)
        return service_area_resolvers.as_geojson(rows)  # type: ignore[return-value]

    @strawberry.field
    async def owner(self, info: strawberry.Info[Context, None]) -> User | None:
        return maybe_user(await user_resolvers.profile(info.context, self._owner_id))


def maybe_business(row: asyncpg.Record | None) -> Business | None:
    return None if row is None else Business.from_row(row)
