"""The change feed's cursors, and a page of it for catching up over HTTP (the live stream
is gql/realtime/feed.py)."""

from __future__ import annotations

import asyncio

from gql.identity.auth import Identity
from gql.loaders import Loaders
from gql.realtime.change import Change
from gql.realtime.feed import VisibleChange, as_seen_by, load_changed, tombstones_seen
from gql.resolvers.paging import decode_cursor, encode_cursor

CURSOR_KIND = "CHANGES"


def encode_change_cursor(seq: int) -> str:
    return encode_cursor(CURSOR_KIND, [seq])


def decode_change_cursor(cursor: str | None, argument: str = "after") -> int | None:
    key = decode_cursor(cursor, CURSOR_KIND, [int], argument)
    return None if key is None else int(key[0])


async def visible_changes(loaders: Loaders, identity: Identity,
                          changes: list[Change]) -> list[VisibleChange]:
    """Re-read a page of changes in the caller's own transaction (batched by the loaders)."""
    rows = list(await asyncio.gather(*(load_changed(loaders, c) for c in changes)))
    tombstones = await tombstones_seen(loaders, changes, rows)
    seen = (as_seen_by(identity, c, r, c.seq in tombstones) for c, r in zip(changes, rows, strict=True))
    return [v for v in seen if v is not None]
