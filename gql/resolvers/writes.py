"""The one pipeline every mutation runs its write through (`perform`), reporting the outcome
as (value, errors) for the payload (gql/schema/user_error.payload)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg
from strawberry.dataloader import DataLoader

from gql.context import Context
from gql.edge.client_ids import client_id_problem
from gql.user_errors import ErrorCode, MutationFailed, UserErrorData

K = TypeVar("K")
V = TypeVar("V")

Outcome = tuple[Any, list[UserErrorData]]


async def perform(ctx: Context, client_id: str | None, write: Callable[[], Awaitable[Any]], *,
                  current: Callable[[], Awaitable[Any]] | None = None) -> Outcome:
    """What every mutation does around its write: the changes it makes carry the sending
    device's clientId (so that it recognises its own echo in the change feed), and a refusal
    becomes UserErrors. On VERSION_CONFLICT, `current` gives the object as it now is, for the
    client to merge against."""
    try:
        await tag_changes(ctx, client_id)
        return await write(), []
    except MutationFailed as failed:
        if current is not None and failed.errors[0].code is ErrorCode.VERSION_CONFLICT:
            return await current(), failed.errors
        return None, failed.errors


async def call(ctx: Context, query: str, *args: Any) -> asyncpg.Record | None:
    """One SQL write function; a composite result that is null (nothing visible) is None."""
    row = await ctx.db.mutate(query, *args)
    if row is None or ("id" in row and row["id"] is None):
        return None
    return row


async def reload(loader: DataLoader[K, V], key: K) -> V:
    """Load `key` afresh, past anything this operation's loader cached before the write."""
    with contextlib.suppress(KeyError):  # clear() raises for a key never loaded
        loader.clear(key)
    return await loader.load(key)


async def tag_changes(ctx: Context, client_id: str | None) -> None:
    """Record `client_id` on the changes this mutation makes, so the device that sent it can
    recognise its own echo in the change feed."""
    if client_id is None:
        return
    problem = client_id_problem(client_id)
    if problem is not None:
        raise MutationFailed(UserErrorData(ErrorCode.VALIDATION, f"clientId {problem}", "clientId"))
    await ctx.db.set_client_id(client_id)
