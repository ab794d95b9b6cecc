"""What every resolver gets through `info.context`.

A Context lives as long as its HTTP request or WebSocket connection. The database
transaction and the loaders belong to one unit of work instead: a query or mutation, or one
event of a subscription (a subscription lives as long as its socket, and nothing it holds
may pin a pool connection: DESIGN rule 6). A socket runs many of them, concurrently, each
in its own task, so they sit in a context variable set for that task.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import asyncpg
from graphql import GraphQLError
from starlette.requests import Request
from starlette.websockets import WebSocket

from gql.database import RequestDatabase
from gql.edge.client_address import client_address
from gql.identity.auth import ANONYMOUS, Identity, InvalidToken
from gql.loaders import Loaders
from gql.realtime.socket_writer import SocketWriter
from gql.settings import Settings

if TYPE_CHECKING:
    from gql.edge.persisted_documents import PersistedDocuments
    from gql.identity.token_holders import TokenHolders
    from gql.postgres.replica import ReplicaRouter
    from gql.realtime.audiences import LiveFeed
    from gql.realtime.feed import SharedViews
    from gql.realtime.hub import ChangeHub


class Operation:
    """One unit of work: its transaction, and its loaders, made when first asked for (most
    operations that never resolve a field - compiled reads, subscriptions - need none)."""

    def __init__(self, db: RequestDatabase) -> None:
        self.db = db
        self._loaders: Loaders | None = None

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(self.db)
        return self._loaders


_current_operation: ContextVar[Operation] = ContextVar("current_operation")


@dataclass
class Context:
    request: Request | WebSocket
    pool: asyncpg.Pool
    settings: Settings
    identity: Identity = ANONYMOUS
    hub: ChangeHub | None = None
    views: SharedViews | None = None
    client_id: str | None = None
    """Set by the X-Client-Id header or a mutation's clientId: recorded on the changes made."""
    connection_params: dict[str, Any] | None = field(default=None)
    """The connection_init payload of a WebSocket (Strawberry fills it in)."""
    persisted: PersistedDocuments | None = None
    connection_slots: asyncio.Semaphore | None = None
    """For a WebSocket: how many pool connections its units of work may hold at once."""
    live: LiveFeed | None = None
    replica: ReplicaRouter | None = None
    read_after: str | None = None
    """The client's X-Read-After: compiled reads on the replica wait until it has replayed it."""
    written_at: str | None = None
    """After this request's committed write: the X-Read-After to send back."""
    met_code_layer_change: bool = False
    after_code_layer_change: bool = False
    """Set for a request run again after it met a deploy: its transaction waits for the
    rebuild to end and holds the next one off until it commits (gql/database.py)."""
    """An operation of this request failed as the SQL code layer was being replaced (set by
    gql/schema.OperationTransaction; the HTTP app then runs the request once more)."""
    holders: TokenHolders | None = None
    """What this process knows of accounts and sessions (told at once when a session ends here)."""
    socket_writer: SocketWriter | None = None
    """For a WebSocket: what the live feed writes its events through (made when first needed)."""

    def writer(self) -> SocketWriter:
        """The live feed's writer to this context's WebSocket."""
        if self.socket_writer is None:
            websocket = self.request
            assert isinstance(websocket, WebSocket)
            self.socket_writer = SocketWriter(websocket.send_text, websocket.close,
                                              self.settings.hub.socket_backlog_bytes)
        return self.socket_writer

    async def recheck_account(self) -> None:
        """Before a stream over HTTP sends an event: the token still stands for the account as
        it was (a WebSocket has a watcher for this, which closes it). Refused (UNAUTHENTICATED,
        ending the stream) when the session ended, the account is gone, or its roles or key
        changed what it may see: the client subscribes again."""
        if self.identity.is_anonymous or self.holders is None or isinstance(self.request, WebSocket):
            return
        try:
            now = await self.holders.current(self.identity)
        except InvalidToken as refused:
            raise GraphQLError(f"Invalid token: {refused}", extensions={"code": "UNAUTHENTICATED"}) from None
        if now.sees_as() != self.identity.sees_as():
            raise GraphQLError("what this account may see changed: subscribe again",
                               extensions={"code": "UNAUTHENTICATED"})

    @property
    def client_address(self) -> str | None:
        peer = self.request.client.host if self.request.client else None
        forwarded = self.request.headers.get("x-forwarded-for")
        return client_address(peer, forwarded, self.settings.trusted_proxies)

    def start_operation(self, slots: asyncio.Semaphore | None = None) -> Operation:
        db = RequestDatabase(self.pool, self.identity, client_id=self.client_id,
                             slots=slots or self.connection_slots,
                             acquire_timeout=self.settings.limits.pool_acquire_timeout_seconds,
                             replica=self.replica, read_after=self.read_after,
                             after_code_layer_change=self.after_code_layer_change)
        return Operation(db)

    @contextlib.asynccontextmanager
    async def unit_of_work(self, *, commit: bool,
                           slots: asyncio.Semaphore | None = None) -> AsyncIterator[Operation]:
        """A short operation of its own (one subscription event, one poll): a fresh
        transaction and loaders, current for this task until the block ends. `slots` bound
        its connection instead of the socket's (work shared by many sockets)."""
        operation = self.start_operation(slots)
        token = enter_operation(operation)
        try:
            yield operation
        except BaseException:
            await operation.db.finish(commit=False)
            raise
        else:
            await operation.db.finish(commit=commit)
        finally:
            leave_operation(token)

    @property
    def db(self) -> RequestDatabase:
        return _current_operation.get().db

    @property
    def loaders(self) -> Loaders:
        return _current_operation.get().loaders


def enter_operation(operation: Operation) -> object:
    """Make `operation` current for this task; returns a token for leave_operation."""
    return _current_operation.set(operation)


def leave_operation(token: object) -> None:
    _current_operation.reset(token)  # type: ignore[arg-type]
