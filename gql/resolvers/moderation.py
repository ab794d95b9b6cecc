"""The moderators' queue (db/functions/67_moderation.sql)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from gql.context import Context
from gql.errors import refusals_as_errors
from gql.resolvers.orderings import QUEUE_ORDER
from gql.resolvers.paging import decode_cursor, encode_cursor


async def queue(ctx: Context, first: int, after: str | None) -> tuple[list[asyncpg.Record], bool]:
    """Up to `first` waiting reviews after the cursor, and whether more wait."""
    key = decode_cursor(after, QUEUE_ORDER, [datetime.fromisoformat, UUID])
    since, review_id = (datetime.fromisoformat(key[0]), UUID(key[1])) if key else (None, None)
    with refusals_as_errors():
        rows = await ctx.db.fetch("select * from api.moderation_queue($1, $2, $3)",
                                  first + 1, since, review_id)
    return rows[:first], len(rows) > first


def cursor_of(row: asyncpg.Record) -> str:
    return encode_cursor(QUEUE_ORDER, [row["waiting_since"], row["review"]["id"]])
