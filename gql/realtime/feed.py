"""One subscriber's stream: replay after its cursor, then live; each change once, in order,
as the subscriber may see it.

Each change is re-read under the subscriber's own role and claims (NOTIFY and the log
bypass RLS). What the subscriber gets:
- the object as it is now, when it may see it;
- a tombstone (no object) when it could see the object before the change and no longer can:
  who could is a fact recorded with the change (the public, or named users; administrators
  see everything);
- nothing otherwise. The change's clientId goes only to the user whose device made it.
Subscribers with the same identity see a change the same way, so it is read once for all
of them. A lost database is waited for (every read retried), never skipped.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
from graphql import GraphQLError

from gql.database import RequestDatabase
from gql.identity.auth import Identity
from gql.loaders import Loaders
from gql.postgres.outage import retrying
from gql.realtime.change import Change
from gql.realtime.fanout import ResyncRequired
from gql.realtime.hub import ChangeHub

TOPICS = ("business", "review", "category")


def resync_required(reason: str) -> GraphQLError:
    return GraphQLError(f"RESYNC_REQUIRED: {reason}; reload, then subscribe without a cursor",
                        extensions={"code": "RESYNC_REQUIRED"})


def token_expired() -> GraphQLError:
    return GraphQLError("the token has expired", extensions={"code": "UNAUTHENTICATED"})


@dataclass(frozen=True)
class VisibleChange:
    change: Change
    row: asyncpg.Record | None
    """The object as the subscriber may see it now; None for a tombstone."""
    client_id: str | None
    """The change's clientId when the subscriber is the user who made it."""
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """What the schema layer builds from this view once for every subscriber given it."""


async def load_changed(loaders: Loaders, change: Change) -> asyncpg.Record | None:
    match change.entity:
        case "Business":
            return await loaders.business_by_id.load(change.entity_id)
        case "Review":
            return await loaders.review_by_id.load(change.entity_id)
        case "ReviewResponse":
            return await loaders.response_by_id.load(change.entity_id)
        case _:
            return await loaders.category_by_id.load(change.entity_id)


async def tombstones_seen(loaders: Loaders, changes: list[Change],
                          rows: list[asyncpg.Record | None]) -> set[int]:
    """Of the changes whose object the caller cannot see now, those it could see before (a
    tombstone is its due): the change log's row-level policy decides (change_log_visible:
    the public's, administrators', and stakeholders' within what their key reaches), in the
    caller's transaction."""
    gone = [c.seq for c, r in zip(changes, rows, strict=True) if r is None and c.op != "INSERT"]
    if not gone:
        return set()
    found = await loaders.db.fetch("select seq from change_log where seq = any($1::bigint[])", gone)
    return {r["seq"] for r in found}


def as_seen_by(identity: Identity, change: Change, row: asyncpg.Record | None,
               tombstone: bool) -> VisibleChange | None:
    """`tombstone`: whether the caller could see the object before (tombstones_seen)."""
    own = identity.reads_as_user and identity.user_id is not None and identity.user_id == change.actor_id
    client_id = change.client_id if own else None
    if row is not None:
        return VisibleChange(change, row, client_id)
    return VisibleChange(change, None, client_id) if tombstone else None


class SharedViews:
    """A change as each identity sees it, read once per identity in a short transaction of its
    own with fresh loaders (subscribers of one identity, anonymous ones above all, share it)."""

    MAX_ENTRIES = 4096

    def __init__(self, pool: asyncpg.Pool, outage_seconds: float, slots: asyncio.Semaphore) -> None:
        self._pool = pool
        self._outage_seconds = outage_seconds
        self.slots = slots
        """Pool connections that the feed's reads and event executions may hold at once in
        this process, whichever sockets they are for: the rest stays for requests."""
        self._views: OrderedDict[tuple[Any, ...], asyncio.Future[VisibleChange | None]] = OrderedDict()

    async def view(self, identity: Identity, change: Change) -> VisibleChange | None:
        key = (change.seq, identity.database_role, identity.sees_as())
        future = self._views.get(key)
        if future is None or (future.done() and (future.cancelled() or future.exception() is not None)):
            future = asyncio.ensure_future(self._read(identity, change))
            self._views[key] = future
            while len(self._views) > self.MAX_ENTRIES:
                self._views.popitem(last=False)
        return await asyncio.shield(future)

    async def _read(self, identity: Identity, change: Change) -> VisibleChange | None:
        async def read() -> tuple[asyncpg.Record | None, bool]:
            db = RequestDatabase(self._pool, identity, slots=self.slots)
            try:
                loaders = Loaders(db)
                row = await load_changed(loaders, change)
                return row, change.seq in await tombstones_seen(loaders, [change], [row])
            finally:
                await db.finish(commit=False)
        row, tombstone = await retrying(read, what=f"re-reading change {change.seq}",
                                        within=self._outage_seconds)
        return as_seen_by(identity, change, row, tombstone)


@dataclass(frozen=True)
class ChangeFilter:
    """Which changes a subscription follows (its arguments but the cursor). Equal filters
    follow the same changes: the live feed groups subscribers by it."""

    topics: frozenset[str]
    business_id: UUID | None = None
    entity: str | None = None
    entity_id: UUID | None = None

    def __call__(self, change: Change) -> bool:
        return (change.topic in self.topics
                and (self.business_id is None or change.business_id == self.business_id)
                and (self.entity is None or change.entity == self.entity)
                and (self.entity_id is None or change.entity_id == self.entity_id))


def make_filter(topics: list[str] | None, business_id: UUID | None = None,
                entity: str | None = None, entity_id: UUID | None = None) -> ChangeFilter:
    return ChangeFilter(frozenset(topics) if topics else frozenset(TOPICS), business_id, entity, entity_id)


async def follow(hub: ChangeHub, views: SharedViews, identity_now: Callable[[], Identity],
                 accepts: Callable[[Change], bool], after: int | None) -> AsyncIterator[VisibleChange]:
    """Replay what the subscriber missed after `after`, then go live: every accepted change
    exactly once, in order, with no gap at the hand-over and none across an outage."""
    if after is not None and not await hub.log.retained(after):
        raise resync_required("the cursor is older than the retained change log")
    with hub.subscribe() as (subscription, position):
        last = position if after is None else after  # behind the window, it reads the log
        while True:
            try:
                changes = await hub.next_after(subscription, last)
            except ResyncRequired as exc:
                raise resync_required(str(exc)) from None
            for change in changes:
                last = change.seq
                if accepts(change):
                    seen = await views.view(identity_now(), change)
                    if seen is not None:
                        yield seen
