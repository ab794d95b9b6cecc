"""What losing the database looks like, and how the server rides it out.

A restart, failover or network cut shows up in asyncpg as many exception types; one that is
easy to miss: a pooled connection killed mid-query fails in the pool's reset with
`InternalClientError`, and a connection left half-way through a protocol exchange refuses
the next statement with `InterfaceError`. All of them mean the same to the server: this
connection is gone, the request may be retried. Clients get DatabaseUnavailable (HTTP 503
with Retry-After, code SERVICE_UNAVAILABLE), never "Unexpected error.".
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from graphql import GraphQLError

log = logging.getLogger(__name__)

T = TypeVar("T")

DATABASE_LOST: tuple[type[BaseException], ...] = (
    OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
    asyncpg.InternalClientError, asyncpg.CannotConnectNowError, asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError, asyncpg.TooManyConnectionsError)
"""Failures that say nothing about the request and everything about the connection."""

RETRY_AFTER_SECONDS = 1
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


class DatabaseUnavailable(GraphQLError):
    """The database could not be reached: nothing was done (or committed); retry shortly."""

    def __init__(self, message: str = "The database is unavailable; retry shortly.") -> None:
        super().__init__(message,
                         extensions={"code": SERVICE_UNAVAILABLE, "retryAfter": RETRY_AFTER_SECONDS})


def is_database_lost(exc: BaseException) -> bool:
    return isinstance(exc, (DatabaseUnavailable, *DATABASE_LOST))


async def retrying(action: Callable[[], Awaitable[T]], *, what: str, within: float) -> T:
    """Run `action`, again and again with backoff while the database is unavailable, for at
    most `within` seconds; then the last DatabaseUnavailable is raised."""
    deadline = time.monotonic() + within
    delay = 0.05
    while True:
        try:
            return await action()
        except Exception as exc:
            if not is_database_lost(exc) or time.monotonic() + delay > deadline:
                if is_database_lost(exc) and not isinstance(exc, DatabaseUnavailable):
                    raise DatabaseUnavailable() from exc
                raise
            log.info("%s: database unavailable (%r); retrying in %.2fs", what, exc, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 1.0)
