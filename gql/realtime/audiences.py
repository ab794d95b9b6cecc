"""The sync feed's live fan-out: one execution per audience, one encoding per event, the same
text to every socket.

Subscribers whose answer to a change is necessarily the same (the same identity, that is what
row-level security sees: the user and roles, or anonymous; the same document and variables)
form one audience. One dispatcher per process takes the changes in log order; for each, every
audience following it gets its answer from one compiled statement run under its identity
(gql/compiled: the change log's row-level policy decides whether it may see the change, and
the same api functions read the object as for queries), and that JSON text goes to every
member's socket, only the message id differing. Members have no queue or task of their own:
the dispatcher writes to their sockets (gql/realtime/socket_writer.py), and a change nobody
may see costs one statement per audience.

A subscriber resuming from a cursor first reads what it missed from the log (answers shared
with its audience by position), then joins its audience at a change the dispatcher has not
begun yet: no gap and no duplicate at the hand-over.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import asyncpg
from graphql import GraphQLError

from gql.database import RequestDatabase
from gql.identity.auth import Identity
from gql.postgres.outage import retrying
from gql.realtime.change import EVENT_POSITION, Change
from gql.realtime.change_log import PAGE_SIZE
from gql.realtime.fanout import ResyncRequired
from gql.realtime.feed import ChangeFilter, resync_required, token_expired
from gql.realtime.socket_writer import SocketWriter

if TYPE_CHECKING:
    from gql.compiled.compiler import Statement
    from gql.context import Context
    from gql.realtime.hub import ChangeHub

log = logging.getLogger(__name__)

MAX_SHARED_ANSWERS = 4096
WRITES_PER_TURN = 256
"""Socket writes the dispatcher makes before it lets other tasks run (about 5 ms of them)."""


def unavailable() -> GraphQLError:
    return GraphQLError("the database is unavailable; resume from your last cursor",
                        extensions={"code": "SERVICE_UNAVAILABLE"})
AudienceKey = tuple[Any, ...]


@dataclass(eq=False)
class Member:
    """One subscription on one socket."""

    writer: SocketWriter
    prefix: str
    """The `next` message up to its data: '{"id":"…","type":"next","payload":{"data":'."""
    context: Context
    identity: Identity
    audience: Audience
    delivered_through: int = 0
    """The position up to which it has its events (it skips changes up to here)."""
    ended: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    def end(self, error: BaseException) -> None:
        if not self.ended.done():
            self.ended.set_exception(error)


@dataclass(eq=False)
class Audience:
    key: AudienceKey
    identity: Identity
    statement: Statement
    accepts: ChangeFilter
    members: set[Member] = field(default_factory=set)


def _answer_key(statement: Statement, accepts: ChangeFilter) -> tuple[Any, ...]:
    """What makes two subscriptions' answers to every change the same, besides who asks: the
    changes they follow, and the statement with its values (document and variables)."""
    return accepts, statement.sql, tuple(statement.params)


class LiveFeed:
    def __init__(self, hub: ChangeHub, pool: asyncpg.Pool, outage_seconds: float,
                 slots: asyncio.Semaphore) -> None:
        self._hub = hub
        self._pool = pool
        self._outage_seconds = outage_seconds
        self._slots = slots
        """Pool connections the feed's statements may hold at once (shared with SharedViews)."""
        self._audiences: dict[AudienceKey, Audience] = {}
        self._answers: OrderedDict[tuple[AudienceKey, int], asyncio.Future[str | None]] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self.started_through = 0
        """The last change the dispatcher has begun: its members were fixed then."""
        self.delivered = 0

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._dispatch_forever(), name="live-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    @property
    def member_count(self) -> int:
        return sum(len(a.members) for a in self._audiences.values())

    @property
    def audience_count(self) -> int:
        return len(self._audiences)

    # -- a subscriber ---------------------------------------------------------------------------

    async def follow(self, context: Context, writer: SocketWriter, operation_id: str, statement: Statement,
                     accepts: ChangeFilter, after: int | None) -> None:
        """Serve one subscription until it ends: replay after `after` (when given), then live.
        Returns when cancelled (the client completed it or went away); raises the error
        that ended it otherwise."""
        identity = context.identity
        prefix = '{"id":' + json.dumps(operation_id) + ',"type":"next","payload":{"data":'
        key = (identity.sees_as(), _answer_key(statement, accepts))
        member = Member(writer, prefix, context, identity, self._audience(key, identity, statement, accepts))
        try:
            if after is None:
                member.delivered_through = self._hub.position  # live from now
                self._join(member)
            else:
                await self._catch_up(member, after)
            await member.ended
        finally:
            self._leave(member)

    async def _catch_up(self, member: Member, after: int) -> None:
        if not await self._hub.log.retained(after):
            raise resync_required("the cursor is older than the retained change log")
        last = after
        while last < self.started_through:
            target = self.started_through
            page = await self._hub.log.after(last, PAGE_SIZE, through=target)
            if not page or not await self._hub.log.retained(last):  # read first, then ask
                raise resync_required("the cursor is older than the retained change log")
            for change in page:
                if member.audience.accepts(change):
                    answer = await self._answer(member.audience, change)
                    if answer is not None:
                        member.writer.write(member.prefix + answer + "}}")
                last = change.seq
        # Nothing awaited since the check: the dispatcher has begun no change after `last`.
        member.delivered_through = last
        self._join(member)

    def _audience(self, key: AudienceKey, identity: Identity, statement: Statement,
                  accepts: ChangeFilter) -> Audience:
        audience = self._audiences.get(key)
        if audience is None:
            audience = Audience(key, identity, statement, accepts)
        return audience

    def _join(self, member: Member) -> None:
        audience = self._audiences.setdefault(member.audience.key, member.audience)
        member.audience = audience
        audience.members.add(member)

    def _leave(self, member: Member) -> None:
        audience = member.audience
        audience.members.discard(member)
        if not audience.members and self._audiences.get(audience.key) is audience:
            del self._audiences[audience.key]

    # -- the dispatcher ---------------------------------------------------------------------------

    async def _dispatch_forever(self) -> None:
        with self._hub.subscribe() as (subscription, position):
            last = self.started_through = position
            while True:
                try:
                    changes = await self._hub.next_after(subscription, last)
                except ResyncRequired as exc:  # the log was pruned past the dispatcher
                    self._end_everyone(functools.partial(resync_required, str(exc)))
                    last = self.started_through = self._hub.position
                    continue
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the database stayed away past the outage limit: the
                    # subscribers resume with their cursors; the dispatcher tries again
                    log.warning("the live feed could not read the change log: %r", exc)
                    self._end_everyone(unavailable)
                    await asyncio.sleep(1.0)
                    continue
                for change in changes:
                    try:
                        await self._dispatch(change)
                    except asyncio.CancelledError:
                        raise
                    except Exception:  # a bug must not stop the feed for everyone
                        log.exception("dispatching change %s failed", change.seq)
                    last = change.seq

    def _end_everyone(self, error: Callable[[], GraphQLError]) -> None:
        """End every member with an error of its own (an exception object is raised once)."""
        for audience in list(self._audiences.values()):
            for member in list(audience.members):
                member.end(error())

    async def _dispatch(self, change: Change) -> None:
        self.started_through = change.seq
        now = datetime.now(UTC)
        targets: dict[Audience, list[Member]] = {}
        moved: list[Member] = []
        for audience in list(self._audiences.values()):
            if not audience.accepts(change):
                continue
            members = []
            for member in audience.members:
                if member.delivered_through >= change.seq:
                    continue
                identity = member.context.identity
                if identity.lapsed(now):
                    member.end(token_expired())
                    continue
                if identity is not member.identity:  # the account's roles were re-read
                    if identity.sees_as() != member.identity.sees_as():
                        moved.append(member)
                        continue
                    member.identity = identity
                members.append(member)
            if members:
                targets[audience] = members
        for member in moved:  # to the audience of what it may see now
            self._leave(member)
            member.identity = member.context.identity
            key = (member.identity.sees_as(), member.audience.key[1])
            member.audience = self._audience(key, member.identity, member.audience.statement,
                                             member.audience.accepts)
            self._join(member)
            targets.setdefault(member.audience, []).append(member)
        if not targets:
            return
        audiences = list(targets)
        answers = await asyncio.gather(*(self._answer(a, change) for a in audiences), return_exceptions=True)
        for audience, answer in zip(audiences, answers, strict=True):
            if isinstance(answer, BaseException):
                if isinstance(answer, asyncio.CancelledError):
                    raise answer
                log.warning("answering change %s failed: %r", change.seq, answer)
                for member in targets[audience]:
                    member.end(unavailable())
                continue
            if answer is None:  # not theirs to see
                continue
            payload = answer + "}}"
            for count, member in enumerate(targets[audience], 1):
                member.writer.write(member.prefix + payload)
                if count % WRITES_PER_TURN == 0:
                    await asyncio.sleep(0)  # let requests in between: fan-out must not starve them
            self.delivered += len(targets[audience])

    # -- answers --------------------------------------------------------------------------------

    async def _answer(self, audience: Audience, change: Change) -> str | None:
        """The audience's `data` for this change (None: not theirs to see), computed once
        per audience and position however many ask."""
        key = (audience.key, change.seq)
        future = self._answers.get(key)
        if future is None or (future.done() and (future.cancelled() or future.exception() is not None)):
            future = asyncio.ensure_future(self._read(audience, change.seq))
            self._answers[key] = future
            while len(self._answers) > MAX_SHARED_ANSWERS:
                self._answers.popitem(last=False)
        return await asyncio.shield(future)

    async def _read(self, audience: Audience, position: int) -> str | None:
        params = list(audience.statement.params)
        params[EVENT_POSITION] = str(position)

        async def read() -> str | None:
            db = RequestDatabase(self._pool, audience.identity, slots=self._slots)
            return await db.run_compiled(audience.statement.sql, params)
        return await retrying(read, what=f"answering change {position}", within=self._outage_seconds)
