"""Accounts: sign up, sign in (throttled), and who am I. A sign-in opens a session for the
device (gql/resolvers/sessions.py): a short-lived access token and a refresh token."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from gql.context import Context
from gql.identity import sealing
from gql.identity.auth import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    hash_password,
    issue_token,
    verify_password,
)
from gql.identity.sealing import address_lookup, email_lookup, sealed_address, sealed_email
from gql.observability.metrics import SIGN_IN_FAILURES
from gql.postgres.outage import DATABASE_LOST, DatabaseUnavailable
from gql.resolvers.inputs import invalid
from gql.resolvers.writes import call
from gql.user_errors import ErrorCode, MutationFailed, UserErrorData, from_postgres

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class SignedIn:
    token: str
    expires_at: datetime
    account: Account
    refresh_token: str
    refresh_expires_at: datetime


def _check_credentials(email: str, password: str) -> None:
    if not EMAIL.match(email.strip()) or len(email) > 254:
        raise invalid("email", "email is not a valid address")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise invalid("password", f"password must be {MIN_PASSWORD_LENGTH} to "
                                  f"{MAX_PASSWORD_LENGTH} characters long")


Account = dict[str, Any]
"""An account row with its email address opened (api.account seals it)."""


def _opened(ctx: Context, row: asyncpg.Record) -> Account:
    account = {name: row[name] for name in ("id", "display_name", "avatar_url", "created_at", "roles",
                                            "email_verified_at")}
    sealed = row["email_sealed"]  # none for demo people, who cannot sign in
    account["email"] = None if sealed is None else ctx.settings.data_key.open(sealed, sealing.EMAIL)
    return account


def signed_in(ctx: Context, row: asyncpg.Record, session: asyncpg.Record, refresh_token: str) -> SignedIn:
    """The access token of `session` (its id in the token), with the refresh token that renews it."""
    account = _opened(ctx, row)
    token, expires = issue_token(account["id"], list(account["roles"]), ctx.settings.jwt_secret,
                                 ctx.settings.jwt_ttl_seconds, session_id=session["id"])
    return SignedIn(token=token, expires_at=expires, account=account, refresh_token=refresh_token,
                    refresh_expires_at=session["expires_at"])


async def sign_up(ctx: Context, email: str, password: str, display_name: str) -> SignedIn:
    _check_credentials(email, password)
    password_hash = await asyncio.to_thread(hash_password, password)
    key = ctx.settings.data_key
    refresh = new_secret()
    row = await call(ctx, "select * from api.sign_up($1, $2, $3, $4, $5, $6)",
                     email_lookup(key, email), sealed_email(key, email), password_hash, display_name,
                     secret_hash(refresh), device_of(ctx))
    assert row is not None
    return signed_in(ctx, row["account"], row["session"], refresh)


async def log_in(ctx: Context, email: str, password: str) -> SignedIn:
    key = ctx.settings.data_key
    found = await as_server(
        ctx, "select (c.account).*, c.password_hash, c.throttled, c.attempt"
             " from api_private.login_candidate($1, $2, $3) c",
        email_lookup(key, email), address_lookup(key, ctx.client_address),
        sealed_address(key, ctx.client_address))
    assert found is not None
    if found["throttled"]:
        SIGN_IN_FAILURES.labels("throttled").inc()
        raise MutationFailed(UserErrorData(
            ErrorCode.RATE_LIMITED, "too many failed sign-ins; try again in 15 minutes"))
    # An unknown email costs a hash check too, so that timing does not tell which emails exist.
    ok = await asyncio.to_thread(verify_password, found["password_hash"], password)
    if not ok or found["id"] is None:
        SIGN_IN_FAILURES.labels("wrong_credentials").inc()
        raise MutationFailed(UserErrorData(ErrorCode.UNAUTHENTICATED, "the email or password is wrong"))
    await as_server(ctx, "select api_private.record_login($1, $2)", found["attempt"], found["id"])
    refresh = new_secret()
    session = await as_server(ctx, "select * from api_private.open_session($1, $2, $3)",
                              found["id"], secret_hash(refresh), device_of(ctx))
    assert session is not None
    return signed_in(ctx, found, session, refresh)


def new_secret() -> str:
    """A refresh or one-time token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def secret_hash(token: str) -> bytes:
    """What the database keeps of a token (a random one: a plain hash is enough)."""
    return hashlib.sha256(token.encode()).digest()


def device_of(ctx: Context) -> str | None:
    """The signed-in device as its user would recognise it in their list of sessions."""
    agent = ctx.request.headers.get("user-agent")
    return agent[:200] if agent else None


async def as_server(ctx: Context, query: str, *args: Any) -> asyncpg.Record | None:
    """Login internals (password hashes, the attempt log) run as the server's own role, on a
    connection of their own: request roles may not execute them (99_function_grants.sql)."""
    try:
        async with ctx.pool.acquire(timeout=ctx.settings.limits.pool_acquire_timeout_seconds) as conn:
            return await conn.fetchrow(query, *args)
    except DATABASE_LOST as exc:
        raise DatabaseUnavailable() from exc
    except asyncpg.PostgresError as exc:
        error = from_postgres(exc)
        if error is None:
            raise
        raise MutationFailed(error) from exc


async def me(ctx: Context) -> Account | None:
    if ctx.identity.is_anonymous:
        return None
    row = await ctx.db.fetchrow("select * from api.me()")
    return None if row is None else _opened(ctx, row)
