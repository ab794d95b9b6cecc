"""Mutations on businesses."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import strawberry
from strawberry import UNSET
from strawberry.scalars import JSON

from gql.context import Context
from gql.entities.business import BUSINESSES
from gql.entities.columns import attribute_of
from gql.resolvers import business_writes as writes
from gql.resolvers import service_areas
from gql.resolvers.inputs import column_patch, input_id, invalid
from gql.resolvers.writes import perform, reload
from gql.schema.business import Business, maybe_business
from gql.schema.columns import column_inputs
from gql.schema.enums import BusinessStatus, Weekday
from gql.schema.listing import (
    MAX_PHOTOS,
    BusinessAttribute,
    PhotoInput,
    SocialLinkInput,
    attributes_column,
    checked_url,
    photos_column,
    social_links_column,
)
from gql.schema.user_error import UserError, payload

Info = strawberry.Info[Context, None]


@strawberry.input
class OpeningIntervalInput:
    day: Weekday
    opens: str = strawberry.field(description="HH:MM, local time.")
    closes: str = strawberry.field(description="HH:MM; not after `opens` means the next day.")


@strawberry.input
class TimeIntervalInput:
    opens: str
    closes: str


@strawberry.input(description="Hours for one date; no intervals means closed all day.")
class SpecialHoursInput:
    date: date
    intervals: list[TimeIntervalInput]


@strawberry.input(description="Fields of a business; on update, only the fields given change "
                              "(null clears an optional one).")
@column_inputs(BUSINESSES)
class BusinessInput:
    """The inputs that write one column as they are given come from the registry
    (gql/entities/business.py); those stored as something else are declared here."""

    primary_category_id: strawberry.ID | None = UNSET
    secondary_category_ids: list[strawberry.ID] | None = UNSET
    hours: list[OpeningIntervalInput] | None = UNSET
    special_hours: list[SpecialHoursInput] | None = UNSET
    photos: list[PhotoInput] | None = strawberry.field(
        default=UNSET, description=f"At most {MAX_PHOTOS}, in order; replaces the list.")
    attributes: list[BusinessAttribute] | None = strawberry.field(
        default=UNSET, description="Replaces the set.")
    social_links: list[SocialLinkInput] | None = strawberry.field(
        default=UNSET, description="One per platform; replaces them.")

    def to_columns(self) -> dict[str, Any]:
        def ids(value: Any, field: str) -> Any:
            if value is UNSET or value is None:
                return value
            if isinstance(value, list):
                return [str(input_id(v, field)) for v in value]
            return str(input_id(value, field))

        hours: Any = self.hours
        if isinstance(hours, list):
            weekly: dict[str, list[list[str]]] = {}
            for interval in hours:
                weekly.setdefault(interval.day.value, []).append([interval.opens, interval.closes])
            hours = weekly
        special: Any = self.special_hours
        if isinstance(special, list):
            special = {d.date.isoformat(): [[i.opens, i.closes] for i in d.intervals] for d in special}
        given = {name: getattr(self, attribute_of(name)) for name in BUSINESSES.inputs()}
        if isinstance(given["priceLevel"], int) and not 1 <= given["priceLevel"] <= 4:
            raise invalid("priceLevel", "priceLevel must be 1 to 4")
        # The inputs stored as something else than they are given; the others as they are.
        stored = {
            "primaryCategoryId": ids(self.primary_category_id, "primaryCategoryId"),
            "secondaryCategoryIds": ids(self.secondary_category_ids, "secondaryCategoryIds"),
            "website": checked_url(given["website"], "website"), "hours": hours, "specialHours": special,
            "photos": photos_column(self.photos), "logoUrl": checked_url(given["logoUrl"], "logoUrl"),
            "coverUrl": checked_url(given["coverUrl"], "coverUrl"),
            "attributes": attributes_column(self.attributes),
            "socialLinks": social_links_column(self.social_links),
        }
        return column_patch({name: (column, stored.get(name, given[name]))
                             for name, column in BUSINESSES.inputs().items()})


@strawberry.type
class BusinessPayload:
    business: Business | None = strawberry.field(
        description="The business as it now is; on VERSION_CONFLICT, the current version.")
    errors: list[UserError]


@strawberry.type
class DeletePayload:
    deleted_id: strawberry.ID | None
    errors: list[UserError]


def deleted(business_or_review_id: UUID) -> strawberry.ID:
    return strawberry.ID(str(business_or_review_id))


@strawberry.type
class BusinessMutations:
    @strawberry.mutation(description="List a new business, owned by you: a draft unless "
                                     "publish is true. name, primaryCategoryId, city and state "
                                     "are required.")
    async def create_business(
        self, info: Info, input: BusinessInput, publish: bool = False,
        idempotency_key: str | None = None,
        client_id: str | None = None,
    ) -> BusinessPayload:
        return payload(BusinessPayload, maybe_business, await perform(
            info.context, client_id,
            lambda: writes.create(info.context, input.to_columns(), publish, idempotency_key)))

    @strawberry.mutation(description="Change a business you own or manage. expectedVersion is "
                                     "the version you last read: edits of other fields made since "
                                     "then are kept beside yours (merged); if a field you change "
                                     "was changed since, nothing changes and you get a "
                                     "VERSION_CONFLICT naming each such field, with the current "
                                     "business.")
    async def update_business(
        self, info: Info, id: strawberry.ID, input: BusinessInput, expected_version: int,
        client_id: str | None = None,
    ) -> BusinessPayload:
        return payload(BusinessPayload, maybe_business, await perform(
            info.context, client_id,
            lambda: writes.update(info.context, input_id(id, "id"), expected_version, input.to_columns()),
            current=lambda: reload(info.context.loaders.business_by_id, input_id(id, "id"))))

    @strawberry.mutation(description="Owners switch between DRAFT and ACTIVE; only "
                                     "administrators suspend a business or lift a suspension.")
    async def set_business_status(
        self, info: Info, id: strawberry.ID, status: BusinessStatus, reason: str | None = None,
        client_id: str | None = None,
    ) -> BusinessPayload:
        return payload(BusinessPayload, maybe_business, await perform(
            info.context, client_id,
            lambda: writes.set_status(info.context, input_id(id, "id"), status.value, reason)))

    @strawberry.mutation(description="Replace the areas a business serves: a GeoJSON Polygon or "
                                     "MultiPolygon of [longitude, latitude] positions (null clears "
                                     "them). Rings must be closed and must not cross themselves.")
    async def set_service_areas(
        self, info: Info, business_id: strawberry.ID, areas: JSON | None = None,
        client_id: str | None = None,
    ) -> BusinessPayload:
        async def write() -> Any:
            business = input_id(business_id, "businessId")
            await service_areas.set_areas(info.context, business, areas)
            return await reload(info.context.loaders.business_by_id, business)
        return payload(BusinessPayload, maybe_business, await perform(info.context, client_id, write))

    @strawberry.mutation(description="Delete (softly) a business you own.")
    async def delete_business(
        self, info: Info, id: strawberry.ID, client_id: str | None = None
    ) -> DeletePayload:
        return payload(DeletePayload, deleted, await perform(
            info.context, client_id, lambda: writes.delete(info.context, input_id(id, "id"))))
