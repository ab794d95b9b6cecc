"""The people of a business: what a user runs, managers invited by email, claims of listings
without an owner (db/functions/57_business_people.sql)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from gql.context import Context
from gql.errors import refusals_as_errors
from gql.identity import sealing
from gql.loaders import BUSINESS_SELECT
from gql.resolvers.accounts import EMAIL, new_secret, secret_hash
from gql.resolvers.inputs import invalid
from gql.resolvers.orderings import CLAIMS_ORDER, MINE_ORDER
from gql.resolvers.paging import decode_cursor, encode_cursor
from gql.resolvers.writes import call

INVITATION = ("You are invited to manage a business listed in the directory. Sign in (or sign up) "
              "with this address to see which, and accept with this code within 7 days: {token}")
"""(Nothing the inviter wrote goes into the message: it goes to any address.)"""


async def my_businesses(ctx: Context, first: int, after: str | None) -> tuple[list[asyncpg.Record], bool]:
    key = decode_cursor(after, MINE_ORDER, [datetime.fromisoformat, UUID])
    since, last_id = (datetime.fromisoformat(key[0]), UUID(key[1])) if key else (None, None)
    rows = await ctx.db.fetch(BUSINESS_SELECT.format(fn="api.my_businesses($1, $2, $3)"),
                              first + 1, since, last_id)
    return rows[:first], len(rows) > first


def mine_cursor(row: asyncpg.Record) -> str:
    return encode_cursor(MINE_ORDER, [row["created_at"], row["id"]])


async def managers_of(ctx: Context, business_id: UUID) -> list[UUID]:
    return [r[0] for r in await ctx.db.fetch("select * from api.managers_of($1)", business_id)]


async def invite(ctx: Context, business_id: UUID, email: str) -> asyncpg.Record | None:
    if not EMAIL.match(email.strip()) or len(email) > 254:
        raise invalid("email", "email is not a valid address")
    token = new_secret()
    key = ctx.settings.data_key
    body = INVITATION.format(token=token)
    return await call(ctx, "select * from api.invite_manager($1, $2, $3, $4, $5)", business_id,
                      sealing.email_lookup(key, email), sealing.sealed_email(key, email), secret_hash(token),
                      key.seal(body, sealing.OUTBOX_BODY))


async def accept(ctx: Context, token: str) -> asyncpg.Record | None:
    row = await call(ctx, "select api.accept_manager_invitation($1) as id", secret_hash(token))
    assert row is not None
    return await ctx.loaders.business_by_id.load(row["id"])


async def remove(ctx: Context, business_id: UUID, user_id: UUID) -> bool:
    return bool(await call(ctx, "select api.remove_manager($1, $2) as removed", business_id, user_id))


async def claim(ctx: Context, business_id: UUID, message: str) -> asyncpg.Record | None:
    return await call(ctx, "select * from api.claim_business($1, $2)", business_id, message)


async def decide(ctx: Context, claim_id: UUID, approve: bool, note: str | None) -> asyncpg.Record | None:
    return await call(ctx, "select * from api.decide_business_claim($1, $2, $3)", claim_id, approve, note)


async def claims(ctx: Context, status: str, first: int, after: str | None) -> tuple[list[Any], bool]:
    key = decode_cursor(after, CLAIMS_ORDER, [datetime.fromisoformat, UUID])
    since, last_id = (datetime.fromisoformat(key[0]), UUID(key[1])) if key else (None, None)
    with refusals_as_errors():
        rows = await ctx.db.fetch("select * from api.business_claims($1, $2, $3, $4)",
                                  status, first + 1, since, last_id)
    return list(rows[:first]), len(rows) > first


def claims_cursor(row: Any) -> str:
    return encode_cursor(CLAIMS_ORDER, [row["created_at"], row["id"]])


async def revoke_invitation(ctx: Context, invitation_id: UUID) -> bool:
    return bool(await call(ctx, "select api.revoke_manager_invitation($1) as revoked", invitation_id))
