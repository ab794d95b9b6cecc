"""What every resolver gets through `info.context`.

A Context lives as long as its HTTP request or WebSocket connection. The database
transaction and the loaders belong to one GraphQL operation instead: a socket runs many
operations, concurrently, each in its own task. So they sit in a context variable that the
OperationTransaction extension sets for the operation's task.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import asyncpg
from starlette.requests import Request
from starlette.websockets import WebSocket

from gql.auth import ANONYMOUS, Identity
from gql.database import RequestDatabase
from gql.loaders import Loaders
from gql.settings import Settings

if TYPE_CHECKING:
    from gql.realtime import ChangeHub
    from gql.resolvers.changes import SharedViews


@dataclass
class Operation:
    db: RequestDatabase
    loaders: Loaders


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

    @property
    def client_address(self) -> str | None:
        return self.request.client.host if self.request.client else None

    def start_operation(self) -> Operation:
        db = RequestDatabase(self.pool, self.identity, client_id=self.client_id)
        return Operation(db=db, loaders=Loaders(db))

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
