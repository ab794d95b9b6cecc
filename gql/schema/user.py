"""Users as the public sees them."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import strawberry


@strawberry.type(description="A user's public profile.")
class User:
    id: strawberry.ID
    display_name: str
    avatar_url: str | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> User:
        return cls(id=strawberry.ID(str(row["id"])), display_name=row["display_name"],
                   avatar_url=row["avatar_url"], created_at=row["created_at"])


def maybe_user(row: asyncpg.Record | None) -> User | None:
    return None if row is None else User.from_row(row)
