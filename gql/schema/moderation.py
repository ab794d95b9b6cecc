"""The moderators' queue (moderators and administrators): reviews waiting for a decision, with
the flags that put them there and the decisions made of them before."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry.types import Info

from gql.context import Context
from gql.resolvers import moderation as resolvers
from gql.resolvers import users as user_resolvers
from gql.resolvers.paging import check_page_size
from gql.schema.review import Review
from gql.schema.review_mutations import ModerationDecision
from gql.schema.user import User, maybe_user


@strawberry.type
class ReviewFlagNote:
    reason: str
    flagged_at: datetime


@strawberry.type
class ModerationRecord:
    decision: ModerationDecision
    note: str | None = strawberry.field(description="Why (required to reject).")
    decided_at: datetime
    _moderator_id: strawberry.Private[UUID | None]

    @strawberry.field(description="Who decided (null once their account is gone).")
    async def moderator(self, info: strawberry.Info[Context, None]) -> User | None:
        return maybe_user(await user_resolvers.profile(info.context, self._moderator_id))


@strawberry.type
class ModerationItem:
    review: Review
    waiting_since: datetime = strawberry.field(
        description="Since its first flag after the last decision, else since it was last edited or written.")
    flags: list[ReviewFlagNote] = strawberry.field(
        description="The flags since the last decision, oldest first.")
    history: list[ModerationRecord] = strawberry.field(description="Earlier decisions, oldest first.")


@strawberry.type
class ModerationQueue:
    items: list[ModerationItem]
    end_cursor: str | None
    has_next_page: bool


def _item(row: Any) -> ModerationItem:
    return ModerationItem(
        review=Review.from_row(row["review"]), waiting_since=row["waiting_since"],
        flags=[ReviewFlagNote(reason=f["reason"], flagged_at=datetime.fromisoformat(f["flagged_at"]))
               for f in row["flags"]],
        history=[ModerationRecord(decision=ModerationDecision(d["decision"]), note=d["note"],
                                  decided_at=datetime.fromisoformat(d["decided_at"]),
                                  _moderator_id=UUID(d["moderator_id"]) if d["moderator_id"] else None)
                 for d in row["decisions"]])


async def moderation_queue(info: Info, first: int, after: str | None) -> ModerationQueue:
    check_page_size(first)
    rows, more = await resolvers.queue(info.context, first, after)
    return ModerationQueue(items=[_item(r) for r in rows],
                           end_cursor=resolvers.cursor_of(rows[-1]) if rows else after, has_next_page=more)
