"""Creating and editing categories (administrators)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from gql.context import Context
from gql.resolvers.writes import call


async def create(ctx: Context, columns: dict[str, Any], idempotency_key: str | None) -> asyncpg.Record | None:
    return await call(ctx, "select * from api.create_category($1, $2)", columns, idempotency_key)


async def update(ctx: Context, category_id: UUID, patch: dict[str, Any]) -> asyncpg.Record | None:
    return await call(ctx, "select * from api.update_category($1, $2)", category_id, patch)
