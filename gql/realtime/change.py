"""One row of the change log, as the hub carries it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

EVENT_POSITION = 0
"""The index, in a compiled event's parameters (gql/compiled/compiler.py), of the change's
position: here, below both the compiler and the audiences that run its events."""


@dataclass(frozen=True, slots=True)
class Change:
    seq: int
    topic: str
    entity: str
    entity_id: UUID
    business_id: UUID | None
    op: str
    actor_id: UUID | None
    client_id: str | None
    was_public: bool
    """Whether the public could see the object before this change."""
    stakeholders: tuple[UUID, ...]
    """The users who could see it before besides the public (and administrators)."""
    at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Change:
        return cls(seq=row["seq"], topic=row["topic"], entity=row["entity"],
                   entity_id=row["entity_id"], business_id=row["business_id"], op=row["op"],
                   actor_id=row["actor_id"], client_id=row["client_id"],
                   was_public=row["was_public"], stakeholders=tuple(row["stakeholders"]),
                   at=row["at"])
