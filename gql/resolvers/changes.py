"""The change feed as one subscriber may see it: each change re-read under the subscriber's
own role and claims, delivered with the current object, as a tombstone (the subscriber
could see the object before and no longer can), or not at all."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
from graphql import GraphQLError

from gql.auth import Identity
from gql.database import RequestDatabase
from gql.loaders import Loaders
from gql.realtime import Change, ChangeHub, ResyncRequired
from gql.resolvers.paging import decode_cursor, encode_cursor

log = logging.getLogger(__name__)

CURSOR_KIND = "CHANGES"
# What a database restart or a lost connection looks like from asyncpg.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError, asyncpg.AdminShutdownError, asyncpg.CrashShutdownError,
    asyncpg.ConnectionDoesNotExistError)
TOPICS = ("business", "review", "category")


def encode_change_cursor(seq: int) -> str:
    return encode_cursor(CURSOR_KIND, [seq])


def decode_change_cursor(cursor: str | None, argument: str = "after") -> int | None:
    key = decode_cursor(cursor, CURSOR_KIND, [int], argument)
    return None if key is None else int(key[0])


def resync_required(reason: str) -> GraphQLError:
    return GraphQLError(f"RESYNC_REQUIRED: {reason}; reload, then subscribe without a cursor",
                        extensions={"code": "RESYNC_REQUIRED"})


@dataclass(frozen=True)
class VisibleChange:
    change: Change
    row: asyncpg.Record | None
    """The object as the subscriber may see it now; None for a tombstone."""
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """What the schema layer builds from this view once for every subscriber given it."""

    @property
    def cursor(self) -> str:
        return encode_change_cursor(self.change.seq)


async def _load(loaders: Loaders, change: Change) -> asyncpg.Record | None:
    match change.entity:
        case "Business":
            return await loaders.business_by_id.load(change.entity_id)
        case "Review":
            return await loaders.review_by_id.load(change.entity_id)
        case "ReviewResponse":
            return await loaders.response_by_id.load(change.entity_id)
        case _:
            return await loaders.category_by_id.load(change.entity_id)


def _as_seen_by(identity: Identity, change: Change, row: asyncpg.Record | None) -> VisibleChange | None:
    if row is not None:
        return VisibleChange(change, row)
    could_see_before = change.was_public or (identity.user_id in change.stakeholders)
    return VisibleChange(change, None) if could_see_before else None


async def visible_changes(loaders: Loaders, identity: Identity,
                          changes: list[Change]) -> list[VisibleChange]:
    """Re-read a page of changes in the caller's own transaction (batched by the loaders)."""
    rows = await asyncio.gather(*(_load(loaders, c) for c in changes))
    seen = (_as_seen_by(identity, c, r) for c, r in zip(changes, rows, strict=True))
    return [v for v in seen if v is not None]


class SharedViews:
    """Subscribers with the same identity see a change the same way: read it once for all of
    them (anonymous subscribers above all), in a fresh transaction with fresh loaders."""

    MAX_ENTRIES = 4096
    RETRY_FOR_SECONDS = 60.0

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._views: OrderedDict[tuple[Any, ...], asyncio.Future[VisibleChange | None]] = OrderedDict()

    async def view(self, identity: Identity, change: Change) -> VisibleChange | None:
        key = (change.seq, identity.database_role, identity.user_id)
        future = self._views.get(key)
        if future is None:
            future = asyncio.ensure_future(self._read(identity, change))
            self._views[key] = future
            while len(self._views) > self.MAX_ENTRIES:
                self._views.popitem(last=False)
        return await asyncio.shield(future)

    async def _read(self, identity: Identity, change: Change) -> VisibleChange | None:
        delay = 0.05
        async with asyncio.timeout(self.RETRY_FOR_SECONDS):
            while True:  # the database may be restarting: wait for it rather than skip
                db = RequestDatabase(self._pool, identity)
                try:
                    row = await _load(Loaders(db), change)
                    await db.finish(commit=True)
                except CONNECTION_ERRORS as exc:
                    with contextlib.suppress(*CONNECTION_ERRORS):
                        await db.finish(commit=False)
                    log.info("re-reading change %s failed (%r); retrying", change.seq, exc)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 1.0)
                    continue
                return _as_seen_by(identity, change, row)


def make_filter(topics: list[str] | None, business_id: UUID | None = None,
                entity: str | None = None, entity_id: UUID | None = None) -> Callable[[Change], bool]:
    wanted = set(topics) if topics else set(TOPICS)

    def accepts(change: Change) -> bool:
        return (change.topic in wanted
                and (business_id is None or change.business_id == business_id)
                and (entity is None or change.entity == entity)
                and (entity_id is None or change.entity_id == entity_id))
    return accepts


async def follow(hub: ChangeHub, views: SharedViews, identity_now: Callable[[], Identity],
                 accepts: Callable[[Change], bool], after: int | None) -> AsyncIterator[VisibleChange]:
    """Replay what the subscriber missed after `after`, then go live: every accepted change
    exactly once, in order, with no gap at the hand-over."""
    if after is not None and not await hub.cursor_retained(after):
        raise resync_required("the cursor is older than the retained change log")
    async with hub.subscribe(accepts) as (subscription, position):
        last = position if after is None else after
        if last < position:  # replay what the log holds up to where live delivery starts
            for change in await hub.changes_between(last, position):
                if accepts(change):
                    seen = await views.view(identity_now(), change)
                    if seen is not None:
                        yield seen
            last = position
        while True:
            try:
                change = await subscription.next()
            except ResyncRequired as exc:
                raise resync_required(str(exc)) from None
            if change.seq <= last:
                continue
            last = change.seq
            seen = await views.view(identity_now(), change)
            if seen is not None:
                yield seen

