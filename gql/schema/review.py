"""Reviews, with the business owner's response."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import asyncpg
import strawberry

from gql.context import Context
from gql.entities.review import RESPONSES, REVIEWS
from gql.resolvers import businesses as business_resolvers
from gql.resolvers import reviews as resolvers
from gql.resolvers import users as user_resolvers
from gql.schema.columns import column_fields
from gql.schema.enums import ReviewStatus
from gql.schema.user import User, maybe_user

if TYPE_CHECKING:
    from gql.schema.business import Business

BusinessRef = Annotated["Business", strawberry.lazy("gql.schema.business")]


@strawberry.type(description="The business's public answer to a review.")
@column_fields(RESPONSES)
class ReviewResponse:
    id: strawberry.ID
    _responder_id: strawberry.Private[UUID | None]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> ReviewResponse:
        return cls(**RESPONSES.values(row), id=strawberry.ID(str(row["id"])),
                   _responder_id=row["responder_id"])

    @strawberry.field
    async def responder(self, info: strawberry.Info[Context, None]) -> User | None:
        return maybe_user(await user_resolvers.profile(info.context, self._responder_id))


@strawberry.type
@column_fields(REVIEWS)
class Review:
    id: strawberry.ID
    status: ReviewStatus
    _id: strawberry.Private[UUID]
    _business_id: strawberry.Private[UUID]
    _author_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Review:
        return cls(
            **REVIEWS.values(row), id=strawberry.ID(str(row["id"])), status=ReviewStatus(row["status"]),
            _id=row["id"], _business_id=row["business_id"], _author_id=row["author_id"],
        )

    @strawberry.field
    async def business(self, info: strawberry.Info[Context, None]) -> BusinessRef | None:
        from gql.schema.business import maybe_business

        return maybe_business(await business_resolvers.by_id(info.context, self._business_id))

    @strawberry.field
    async def author(self, info: strawberry.Info[Context, None]) -> User | None:
        return maybe_user(await user_resolvers.profile(info.context, self._author_id))

    @strawberry.field
    async def response(self, info: strawberry.Info[Context, None]) -> ReviewResponse | None:
        row = await resolvers.response(info.context, self._id)
        return None if row is None else ReviewResponse.from_row(row)
