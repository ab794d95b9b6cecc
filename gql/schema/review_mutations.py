"""Mutations on reviews: writing, editing, responding, voting, flagging, moderating."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

import strawberry
from strawberry import UNSET

from gql.context import Context
from gql.resolvers import review_writes as writes
from gql.resolvers.inputs import column_patch, input_id
from gql.resolvers.writes import perform, reload
from gql.schema.business_mutations import DeletePayload, deleted
from gql.schema.review import Review
from gql.schema.user_error import UserError, payload

Info = strawberry.Info[Context, None]


@strawberry.input
class CreateReviewInput:
    business_id: strawberry.ID
    rating: int = strawberry.field(description="1 to 5.")
    content: str
    title: str | None = None
    visit_date: date | None = None


@strawberry.input(description="Only the fields given change.")
class UpdateReviewInput:
    rating: int | None = UNSET
    title: str | None = UNSET
    content: str | None = UNSET
    visit_date: date | None = UNSET

    def to_columns(self) -> dict[str, Any]:
        visit = self.visit_date.isoformat() if isinstance(self.visit_date, date) else self.visit_date
        return column_patch({
            "rating": ("rating", self.rating), "title": ("title", self.title),
            "content": ("content", self.content), "visitDate": ("visit_date", visit),
        })


@strawberry.enum
class ModerationDecision(Enum):
    PUBLISH = "published"
    REJECT = "rejected"


@strawberry.type
class ReviewPayload:
    review: Review | None = strawberry.field(
        description="The review as it now is (null when you can no longer see it); on "
                    "VERSION_CONFLICT, the current version.")
    errors: list[UserError]


@strawberry.type
class ReviewMutations:
    @strawberry.mutation(description="Review a business, once. Published at once unless it "
                                     "holds a link or you had a review rejected in the last "
                                     "90 days; then it waits (PENDING) for a moderator.")
    async def create_review(
        self, info: Info, input: CreateReviewInput, idempotency_key: str | None = None,
        client_id: str | None = None,
    ) -> ReviewPayload:
        return payload(ReviewPayload, Review.from_row, await perform(
            info.context, client_id,
            lambda: writes.create(info.context, input_id(input.business_id, "businessId"), input.rating,
                                  input.title, input.content, input.visit_date, idempotency_key)))

    @strawberry.mutation(description="Edit your review, within 30 days of writing it. As with "
                                     "updateBusiness, edits of different fields from one version "
                                     "merge; a field changed since expectedVersion is a "
                                     "VERSION_CONFLICT naming it.")
    async def update_review(
        self, info: Info, id: strawberry.ID, input: UpdateReviewInput, expected_version: int,
        client_id: str | None = None,
    ) -> ReviewPayload:
        return payload(ReviewPayload, Review.from_row, await perform(
            info.context, client_id,
            lambda: writes.update(info.context, input_id(id, "id"), expected_version, input.to_columns()),
            current=lambda: reload(info.context.loaders.review_by_id, input_id(id, "id"))))

    @strawberry.mutation(description="Delete (softly) your review.")
    async def delete_review(
        self, info: Info, id: strawberry.ID, client_id: str | None = None
    ) -> DeletePayload:
        return payload(DeletePayload, deleted, await perform(
            info.context, client_id, lambda: writes.delete(info.context, input_id(id, "id"))))

    @strawberry.mutation(description="Answer a review of a business you own or manage; a "
                                     "second call replaces the answer.")
    async def respond_to_review(
        self, info: Info, review_id: strawberry.ID, content: str, idempotency_key: str | None = None,
        client_id: str | None = None,
    ) -> ReviewPayload:
        return payload(ReviewPayload, Review.from_row, await perform(
            info.context, client_id,
            lambda: writes.respond(info.context, input_id(review_id, "reviewId"), content, idempotency_key)))

    @strawberry.mutation(description="Vote a review helpful (true) or not (false); null "
                                     "withdraws your vote. One vote per user, changeable.")
    async def vote_review(
        self, info: Info, review_id: strawberry.ID, helpful: bool | None = None,
        client_id: str | None = None,
    ) -> ReviewPayload:
        return payload(ReviewPayload, Review.from_row, await perform(
            info.context, client_id,
            lambda: writes.vote(info.context, input_id(review_id, "reviewId"), helpful)))

    @strawberry.mutation(description="Flag a review for moderators (once per user). Three flags "
                                     "hide it until a moderator decides.")
    async def flag_review(
        self, info: Info, review_id: strawberry.ID, reason: str, client_id: str | None = None
    ) -> ReviewPayload:
        return payload(ReviewPayload, Review.from_row, await perform(
            info.context, client_id,
            lambda: writes.flag(info.context, input_id(review_id, "reviewId"), reason)))

    @strawberry.mutation(description="Moderators and administrators: publish or reject a review, "
                                     "saying why (a note is required to reject). The decision is "
                                     "kept with who made it (moderationQueue's history).")
    async def moderate_review(
        self, info: Info, id: strawberry.ID, decision: ModerationDecision, note: str | None = None,
        client_id: str | None = None,
    ) -> ReviewPayload:
        return payload(ReviewPayload, Review.from_row, await perform(
            info.context, client_id,
            lambda: writes.moderate(info.context, input_id(id, "id"), decision.value, note)))
