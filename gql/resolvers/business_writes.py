"""Creating, editing, publishing and deleting businesses."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from gql.context import Context
from gql.loaders import BUSINESS_SELECT
from gql.resolvers.writes import call

Record = asyncpg.Record

CREATE = BUSINESS_SELECT.format(fn="api.create_business($1, $2, $3)")
UPDATE = BUSINESS_SELECT.format(fn="api.update_business($1, $2, $3)")
SET_STATUS = BUSINESS_SELECT.format(fn="api.set_business_status($1, $2, $3)")


async def create(ctx: Context, columns: dict[str, Any], publish: bool,
                 idempotency_key: str | None) -> Record | None:
    return await call(ctx, CREATE, columns, publish, idempotency_key)


async def update(ctx: Context, business_id: UUID, expected_version: int,
                 patch: dict[str, Any]) -> Record | None:
    return await call(ctx, UPDATE, business_id, expected_version, patch)


async def set_status(ctx: Context, business_id: UUID, status: str, reason: str | None) -> Record | None:
    return await call(ctx, SET_STATUS, business_id, status, reason)


async def delete(ctx: Context, business_id: UUID) -> UUID:
    await call(ctx, "select api.delete_business($1) as deleted", business_id)
    return business_id
