"""The sync feed: change events over WebSocket subscriptions and, for catching up, HTTP."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated

import asyncpg
import strawberry
from graphql import DocumentNode, GraphQLError

from gql.compiled.compiler import Statement
from gql.compiled.plans import planned
from gql.context import Context
from gql.edge.websocket_protocol import CURRENT_OPERATION
from gql.identity.auth import Identity
from gql.realtime import feed
from gql.resolvers import changes as resolvers
from gql.resolvers.ids import parse_id
from gql.resolvers.paging import check_first
from gql.schema.analytics import AnalyticsTick, analytics_updates
from gql.schema.business import Business
from gql.schema.category import Category
from gql.schema.review import Review, ReviewResponse
from gql.schema.shared_events import SharedExecutions, shared_executions

Info = strawberry.Info[Context, None]

log = logging.getLogger(__name__)


@strawberry.enum
class ChangeTopic(Enum):
    BUSINESS = "business"
    REVIEW = strawberry.enum_value("review", description="Reviews and owner responses.")
    CATEGORY = "category"


@strawberry.enum
class ChangeOp(Enum):
    INSERT = "INSERT"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


ChangedObject = Annotated[Business | Review | ReviewResponse | Category,
                          strawberry.union("ChangedObject")]


@strawberry.type(description="One change, as you may see it. `node` is the object now; it is "
                             "null on a tombstone: an object you could see before this change "
                             "and no longer can (deleted, unpublished, hidden).")
class ChangeEvent:
    cursor: str = strawberry.field(description="Resume after this event: pass it as `after`.")
    op: ChangeOp
    entity: str = strawberry.field(description="Business, Review, ReviewResponse or Category.")
    entity_id: strawberry.ID
    business_id: strawberry.ID | None
    at: datetime
    client_id: str | None = strawberry.field(
        description="The clientId of the mutation that caused it, so a device can skip its own "
                    "echo; shown only to the user who made the change.")
    tombstone: bool
    node: ChangedObject | None
    shared_executions: strawberry.Private[SharedExecutions] = dataclasses.field(
        default_factory=shared_executions, compare=False, repr=False)

    @classmethod
    def shared(cls, seen: feed.VisibleChange) -> ChangeEvent:
        """One event object per view of a change: subscribers given the same view (the same
        identity) get the same object, so its execution is shared (SharedEventExecutor)."""
        event = seen.memo.get("event")
        if event is None:
            event = seen.memo["event"] = cls.from_visible(seen)
        assert isinstance(event, ChangeEvent)
        return event

    @classmethod
    def from_visible(cls, seen: feed.VisibleChange) -> ChangeEvent:
        c = seen.change
        return cls(cursor=resolvers.encode_change_cursor(c.seq), op=ChangeOp(c.op), entity=c.entity,
                   entity_id=strawberry.ID(str(c.entity_id)),
                   business_id=strawberry.ID(str(c.business_id)) if c.business_id else None,
                   at=c.at, client_id=seen.client_id, tombstone=seen.row is None,
                   node=_node(c.entity, seen.row) if seen.row is not None else None)


def _node(entity: str, row: asyncpg.Record) -> Business | Review | ReviewResponse | Category:
    if entity == "Business":
        return Business.from_row(row)
    if entity == "Review":
        return Review.from_row(row)
    if entity == "ReviewResponse":
        return ReviewResponse.from_row(row)
    return Category.from_row(row)


@strawberry.type
class ChangePage:
    events: list[ChangeEvent]
    end_cursor: str | None = strawberry.field(
        description="Where to continue from (past events you may not see, too).")
    has_more: bool


async def change_page(info: Info, after: str | None, first: int) -> ChangePage:
    ctx = info.context
    check_first(first)
    position = resolvers.decode_change_cursor(after)
    hub = ctx.hub
    assert hub is not None
    start = 0 if position is None else position
    changes = await hub.log.after(start, first + 1, within=0)  # a request fails fast: 503
    if position is not None and not await hub.log.retained(position, within=0):
        raise feed.resync_required("the cursor is older than the retained change log")
    page, more = changes[:first], len(changes) > first
    seen = await resolvers.visible_changes(ctx.loaders, ctx.identity, page)
    end = resolvers.encode_change_cursor(page[-1].seq) if page else after
    return ChangePage(events=[ChangeEvent.from_visible(s) for s in seen], end_cursor=end, has_more=more)


async def _stream(info: Info, accepts: feed.ChangeFilter,
                  after: str | None) -> AsyncGenerator[ChangeEvent, None]:
    ctx = info.context
    position = resolvers.decode_change_cursor(after)
    if ctx.hub is None or ctx.views is None:
        raise GraphQLError("subscriptions are not available")

    def identity_now() -> Identity:
        if ctx.identity.lapsed(datetime.now(UTC)):
            raise feed.token_expired()
        return ctx.identity

    statement = _compiled_event(info)
    if statement is not None and ctx.live is not None:
        identity_now()  # an expired token is refused at once, as below
        # One execution per audience: the live feed writes this subscription's events to its
        # socket itself (gql/realtime/audiences.py).
        socket_operation = CURRENT_OPERATION.get()
        assert socket_operation is not None
        await ctx.live.follow(ctx, ctx.writer(), socket_operation.id, statement, accepts, position)
        return
    async for seen in feed.follow(ctx.hub, ctx.views, identity_now, accepts, position):
        await ctx.recheck_account()
        yield ChangeEvent.shared(seen)


def _compiled_event(info: Info) -> Statement | None:
    """This subscription compiled to answer one change, or None: then each event is executed
    per subscriber as before (a selection the compiler does not cover, compiled reads off)."""
    socket_operation = CURRENT_OPERATION.get()
    if socket_operation is None or not info.context.settings.compiled_reads:
        return None
    raw = info._raw_info  # graphql-core's resolve info: the operation and fragments as parsed
    document = DocumentNode(definitions=(raw.operation, *raw.fragments.values()))
    try:
        statement = planned(info.schema._schema, document, socket_operation.query,
                            socket_operation.operation_name, socket_operation.variables, event=True)
    except Exception:  # a gap in the compiler must never become the subscriber's error
        log.exception("the compiler failed on a subscription; executing it per event")
        return None
    return statement if isinstance(statement, Statement) else None


@strawberry.type
class Subscription:
    @strawberry.subscription(description="The sync feed: everything after `after` (replayed), "
                                         "then live, each change once and in order. Without "
                                         "`after`, live from now.")
    async def changes(
        self, info: Info, after: str | None = None, topics: list[ChangeTopic] | None = None,
        business_id: strawberry.ID | None = None,
    ) -> AsyncGenerator[ChangeEvent, None]:
        business = parse_id(business_id, "businessId") if business_id is not None else None
        accepts = feed.make_filter([t.value for t in topics] if topics else None, business)
        async for event in _stream(info, accepts, after):
            yield event

    @strawberry.subscription(description="Changes to one business.")
    async def business_changed(
        self, info: Info, id: strawberry.ID, after: str | None = None
    ) -> AsyncGenerator[ChangeEvent, None]:
        accepts = feed.make_filter(["business"], entity="Business", entity_id=parse_id(id))
        async for event in _stream(info, accepts, after):
            yield event

    @strawberry.subscription(description="Live traffic of a business you run: today's views, "
                                         "visitors and clicks, at most once a second.")
    async def analytics_updated(
        self, info: Info, business_id: strawberry.ID
    ) -> AsyncGenerator[AnalyticsTick, None]:
        async for tick in analytics_updates(info, business_id):
            yield tick

    @strawberry.subscription(description="Reviews and owner responses of one business.")
    async def reviews_changed(
        self, info: Info, business_id: strawberry.ID, after: str | None = None
    ) -> AsyncGenerator[ChangeEvent, None]:
        accepts = feed.make_filter(["review"], parse_id(business_id, "businessId"))
        async for event in _stream(info, accepts, after):
            yield event
