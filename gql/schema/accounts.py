"""Accounts: sign up, sign in, sessions that last (refresh, sign out), password resets and
email verification, and the signed-in user's own view of their account."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Any

import strawberry

from gql.context import Context
from gql.resolvers import accounts as resolvers
from gql.resolvers import sessions
from gql.resolvers.writes import perform
from gql.schema.api_keys import ApiKey, my_api_keys
from gql.schema.user_error import UserError, payload, user_errors
from gql.schema.webhooks import Webhook, my_webhooks
from gql.user_errors import MutationFailed

Info = strawberry.Info[Context, None]


@strawberry.type(description="A signed-in device: it stays signed in while its refresh token is used "
                             "within 30 days.")
class Session:
    id: strawberry.ID
    device: str | None = strawberry.field(description="The User-Agent it signed in with.")
    created_at: datetime
    last_used_at: datetime = strawberry.field(description="When it last refreshed (or signed in).")
    expires_at: datetime
    current: bool = strawberry.field(description="The session of the token this request carries.")


@strawberry.type(description="Your own account, as only you see it.")
class Me:
    id: strawberry.ID
    email: str | None = strawberry.field(description="None for accounts that cannot sign in "
                                                     "(demo and imported people).")
    email_verified: bool
    display_name: str
    avatar_url: str | None
    roles: list[str]
    created_at: datetime

    @classmethod
    def from_row(cls, row: resolvers.Account) -> Me:
        return cls(id=strawberry.ID(str(row["id"])), email=row["email"],
                   email_verified=row["email_verified_at"] is not None,
                   display_name=row["display_name"], avatar_url=row["avatar_url"],
                   roles=list(row["roles"]), created_at=row["created_at"])

    @strawberry.field(description="Your API keys, newest first (their secrets are never shown again).")
    async def api_keys(self, info: Info) -> list[ApiKey]:
        return await my_api_keys(info)

    @strawberry.field(description="Your webhooks.")
    async def webhooks(self, info: Info) -> list[Webhook]:
        return await my_webhooks(info)

    @strawberry.field(description="Your signed-in devices, newest first.")
    async def sessions(self, info: Info) -> list[Session]:
        current = info.context.identity.session_id
        return [Session(id=strawberry.ID(str(s["id"])), device=s["device"], created_at=s["created_at"],
                        last_used_at=s["last_used_at"], expires_at=s["expires_at"],
                        current=s["id"] == current)
                for s in await sessions.my_sessions(info.context)]


@strawberry.type
class AuthPayload:
    token: str | None = strawberry.field(
        description='The access token, short-lived (JWT_TTL_SECONDS, 15 minutes by default): send it as '
                    '"Authorization: Bearer <token>", or as {"Authorization": "Bearer <token>"} in the '
                    "WebSocket connection_init payload.")
    expires_at: datetime | None
    refresh_token: str | None = strawberry.field(
        description="Trade it with refreshSession for a new pair before refreshTokenExpiresAt; each is "
                    "good for one refresh, and one presented twice ends the session. Keep it secret.")
    refresh_token_expires_at: datetime | None
    user: Me | None
    errors: list[UserError]


@strawberry.type
class SignOutPayload:
    sessions_ended: int | None
    errors: list[UserError]


@strawberry.type
class AcceptedPayload:
    accepted: bool | None
    errors: list[UserError]


async def _auth(action: Awaitable[resolvers.SignedIn]) -> AuthPayload:
    try:
        signed_in = await action
    except MutationFailed as failed:
        return AuthPayload(token=None, expires_at=None, refresh_token=None, refresh_token_expires_at=None,
                           user=None, errors=user_errors(failed.errors))
    return AuthPayload(token=signed_in.token, expires_at=signed_in.expires_at,
                       refresh_token=signed_in.refresh_token,
                       refresh_token_expires_at=signed_in.refresh_expires_at,
                       user=Me.from_row(signed_in.account), errors=[])


async def _accepted(ctx: Context, action: Awaitable[Any]) -> AcceptedPayload:
    async def done() -> bool:
        await action
        return True
    return payload(AcceptedPayload, bool, await perform(ctx, None, done))


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="Create an account and sign in.")
    async def sign_up(self, info: Info, email: str, password: str, display_name: str) -> AuthPayload:
        return await _auth(resolvers.sign_up(info.context, email, password, display_name))

    @strawberry.mutation(description="Sign in. Repeated failures for one email or from one "
                                     "address are throttled (RATE_LIMITED).")
    async def log_in(self, info: Info, email: str, password: str) -> AuthPayload:
        return await _auth(resolvers.log_in(info.context, email, password))

    @strawberry.mutation(description="A new access token and refresh token for the session of "
                                     "refreshToken, which is spent. UNAUTHENTICATED when it is unknown, "
                                     "expired, signed out, or was spent before (then the session ends).")
    async def refresh_session(self, info: Info, refresh_token: str) -> AuthPayload:
        return await _auth(sessions.refresh(info.context, refresh_token))

    @strawberry.mutation(description="End this device's session: its tokens stop working and its "
                                     "open subscriptions are closed.")
    async def sign_out(self, info: Info) -> SignOutPayload:
        return payload(SignOutPayload, int, await perform(
            info.context, None, lambda: sessions.sign_out(info.context, everywhere=False)))

    @strawberry.mutation(description="End every session of your account, this one included.")
    async def sign_out_everywhere(self, info: Info) -> SignOutPayload:
        return payload(SignOutPayload, int, await perform(
            info.context, None, lambda: sessions.sign_out(info.context, everywhere=True)))

    @strawberry.mutation(description="Send a code to reset the password to this address, if an account "
                                     "has it (the answer does not tell). At most three an hour.")
    async def request_password_reset(self, info: Info, email: str) -> AcceptedPayload:
        return await _accepted(info.context, sessions.request_password_reset(info.context, email))

    @strawberry.mutation(description="Set a new password with the code sent by requestPasswordReset "
                                     "(once, within an hour). Every session of the account ends.")
    async def reset_password(self, info: Info, token: str, new_password: str) -> AcceptedPayload:
        return await _accepted(info.context, sessions.reset_password(info.context, token, new_password))

    @strawberry.mutation(description="Send a code to confirm your email address.")
    async def request_email_verification(self, info: Info) -> AcceptedPayload:
        return await _accepted(info.context, sessions.request_email_verification(info.context))

    @strawberry.mutation(description="Confirm your email address with the code sent to it.")
    async def verify_email(self, info: Info, token: str) -> AcceptedPayload:
        return await _accepted(info.context, sessions.verify_email(info.context, token))


async def me(info: Info) -> Me | None:
    row = await resolvers.me(info.context)
    return None if row is None else Me.from_row(row)
