"""The outbox: messages the server has to send (password reset and email verification codes,
db/functions/76_sessions.sql), kept until a sender takes them. No mail server is configured
here: `python -m gql outbox` prints the pending ones (`--mark-sent` marks them sent); a sender
for a real mail service would read `pending` and call `mark_sent` the same way."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from gql.identity import sealing
from gql.identity.data_key import DataKey


@dataclass(frozen=True)
class Message:
    id: int
    kind: str
    recipient: str
    subject: str
    body: str


async def pending(conn: asyncpg.Connection, key: DataKey, limit: int = 100) -> list[Message]:
    """The oldest messages not yet sent, opened with the data key."""
    rows = await conn.fetch("select * from api_private.pending_messages($1)", limit)
    return [Message(id=r["id"], kind=r["kind"], recipient=key.open(r["recipient_sealed"], sealing.EMAIL),
                    subject=r["subject"], body=key.open(r["body_sealed"], sealing.OUTBOX_BODY)) for r in rows]


async def mark_sent(conn: asyncpg.Connection, ids: list[int]) -> int:
    sent: int = await conn.fetchval("select api_private.mark_sent($1)", ids)
    return sent
