"""Accounts: sign up, sign in, and the signed-in user's own view of their account."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime

import strawberry

from gql.context import Context
from gql.resolvers import accounts as resolvers
from gql.schema.user_error import UserError, user_errors
from gql.user_errors import MutationFailed

Info = strawberry.Info[Context, None]


@strawberry.type(description="Your own account, as only you see it.")
class Me:
    id: strawberry.ID
    email: str | None = strawberry.field(description="None for accounts that cannot sign in "
                                                     "(demo and imported people).")
    display_name: str
    avatar_url: str | None
    roles: list[str]
    created_at: datetime

    @classmethod
    def from_row(cls, row: resolvers.Account) -> Me:
        return cls(id=strawberry.ID(str(row["id"])), email=row["email"],
                   display_name=row["display_name"], avatar_url=row["avatar_url"],
                   roles=list(row["roles"]), created_at=row["created_at"])


@strawberry.type
class AuthPayload:
    token: str | None = strawberry.field(
        description='Send as "Authorization: Bearer <token>", or as {"Authorization": '
                    '"Bearer <token>"} in the WebSocket connection_init payload.')
    expires_at: datetime | None
    user: Me | None
    errors: list[UserError]


async def _auth(action: Awaitable[resolvers.SignedIn]) -> AuthPayload:
    try:
        signed_in = await action
    except MutationFailed as failed:
        return AuthPayload(token=None, expires_at=None, user=None, errors=user_errors(failed.errors))
    return AuthPayload(token=signed_in.token, expires_at=signed_in.expires_at,
                       user=Me.from_row(signed_in.account), errors=[])


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="Create an account and sign in.")
    async def sign_up(self, info: Info, email: str, password: str, display_name: str) -> AuthPayload:
        return await _auth(resolvers.sign_up(info.context, email, password, display_name))

    @strawberry.mutation(description="Sign in. Repeated failures for one email or from one "
                                     "address are throttled (RATE_LIMITED).")
    async def log_in(self, info: Info, email: str, password: str) -> AuthPayload:
        return await _auth(resolvers.log_in(info.context, email, password))


async def me(info: Info) -> Me | None:
    row = await resolvers.me(info.context)
    return None if row is None else Me.from_row(row)
