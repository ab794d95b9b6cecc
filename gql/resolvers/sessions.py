"""Sessions that last: refresh tokens that rotate (a spent one presented again ends its
session), signing out one device or all of them, and one-time tokens, sent through the outbox
(gql/commands/outbox.py), to reset a password or verify an email address (db/functions/76_sessions.sql)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from gql.context import Context
from gql.identity import sealing
from gql.identity.auth import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, hash_password
from gql.resolvers.accounts import SignedIn, as_server, new_secret, secret_hash, signed_in
from gql.resolvers.inputs import invalid
from gql.user_errors import ErrorCode, MutationFailed, UserErrorData

REFUSED_REFRESH = {
    "unknown": "the refresh token is not valid; sign in again",
    "expired": "the session has expired; sign in again",
    "revoked": "the session has ended; sign in again",
    "reused": "the refresh token was used before: the session has ended for safety; sign in again",
}
MESSAGES = {
    "password_reset": ("Reset your password",
                       "Someone asked to reset the password of your account. If it was you, use "
                       "this code within an hour: {token}\nIf not, nothing changes."),
    "email_verification": ("Confirm your email address",
                           "Confirm this address for your account with this code: {token}"),
}


def _not_with_a_key(ctx: Context) -> None:
    """The account's own business (its sessions, its address), not a server's."""
    if ctx.identity.api_key_id is not None:
        raise MutationFailed(UserErrorData(ErrorCode.FORBIDDEN, "not with an API key: sign in as the user"))


def _unauthenticated(message: str, field: str | None = None) -> MutationFailed:
    return MutationFailed(UserErrorData(ErrorCode.UNAUTHENTICATED, message, field))


async def refresh(ctx: Context, refresh_token: str) -> SignedIn:
    """A new access token and refresh token for the session of `refresh_token`, spent now."""
    if not 1 <= len(refresh_token) <= 200:
        raise _unauthenticated(REFUSED_REFRESH["unknown"], "refreshToken")
    renewed = new_secret()
    row = await as_server(ctx, "select * from api_private.refresh_session($1, $2)",
                          secret_hash(refresh_token), secret_hash(renewed))
    assert row is not None
    if row["outcome"] != "ok":
        if ctx.holders is not None and row["session"] is not None:  # (a reuse ended it)
            ctx.holders.forget(row["session"]["user_id"])
        raise _unauthenticated(REFUSED_REFRESH[row["outcome"]], "refreshToken")
    account = await as_server(ctx, "select * from api_private.account_of($1)", row["session"]["user_id"])
    if account is None or account["id"] is None:
        raise _unauthenticated(REFUSED_REFRESH["unknown"], "refreshToken")
    return signed_in(ctx, account, row["session"], renewed)


async def sign_out(ctx: Context, everywhere: bool) -> int:
    """End this device's session (or every session of the account): its tokens are refused
    from now on, here at once and within the recheck time elsewhere. Returns how many ended."""
    identity = ctx.identity
    if identity.user_id is None:
        raise _unauthenticated("sign in first")
    _not_with_a_key(ctx)
    if not everywhere and identity.session_id is None:
        raise MutationFailed(UserErrorData(ErrorCode.VALIDATION, "this token has no session to end: "
                                           "it was not issued by a sign-in"))
    ended = await as_server(ctx, "select api_private.revoke_sessions($1, $2, $3) as ended", identity.user_id,
                            None if everywhere else identity.session_id,
                            "signed out everywhere" if everywhere else "signed out")
    if ctx.holders is not None:
        ctx.holders.forget(identity.user_id)
    return int(ended["ended"]) if ended else 0


async def my_sessions(ctx: Context) -> list[asyncpg.Record]:
    if ctx.identity.is_anonymous:
        return []
    return await ctx.db.fetch("select * from api.my_sessions()")


async def request_token(ctx: Context, purpose: str, user_id: Any) -> None:
    """Make a one-time token for the account and put its message in the outbox."""
    if user_id is None:
        return
    token = new_secret()
    subject, body = MESSAGES[purpose]
    sealed_body = ctx.settings.data_key.seal(body.format(token=token), sealing.OUTBOX_BODY)
    await as_server(ctx, "select api_private.issue_account_token($1, $2, $3, $4, $5)",
                    user_id, purpose, secret_hash(token), subject, sealed_body)


async def request_password_reset(ctx: Context, email: str) -> None:
    """A code goes to the address if an account has it; the answer is the same either way, so
    that it does not tell which addresses have accounts (the time it takes may: an account's
    code is written to the outbox)."""
    row = await as_server(ctx, "select api_private.user_by_email($1) as id",
                          sealing.email_lookup(ctx.settings.data_key, email))
    await request_token(ctx, "password_reset", row["id"] if row else None)


async def reset_password(ctx: Context, token: str, new_password: str) -> None:
    """The code is checked before the new password is hashed (no hashing for a bad code), then
    spent, with the password set and every session ended, in one statement."""
    if not MIN_PASSWORD_LENGTH <= len(new_password) <= MAX_PASSWORD_LENGTH:
        raise invalid("newPassword", f"newPassword must be {MIN_PASSWORD_LENGTH} to "
                                     f"{MAX_PASSWORD_LENGTH} characters long")
    await as_server(ctx, "select api_private.check_account_token($1, 'password_reset')", secret_hash(token))
    password_hash = await asyncio.to_thread(hash_password, new_password)
    row = await as_server(ctx, "select api_private.reset_password($1, $2) as id",
                          secret_hash(token), password_hash)
    if ctx.holders is not None and row is not None:
        ctx.holders.forget(row["id"])


async def request_email_verification(ctx: Context) -> None:
    if ctx.identity.user_id is None:
        raise _unauthenticated("sign in first")
    _not_with_a_key(ctx)
    await request_token(ctx, "email_verification", ctx.identity.user_id)


async def verify_email(ctx: Context, token: str) -> None:
    row = await as_server(ctx, "select api_private.use_account_token($1, 'email_verification') as id",
                          secret_hash(token))
    assert row is not None
    await as_server(ctx, "select api_private.verify_email($1)", row["id"])
