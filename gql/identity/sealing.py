"""Keeping the database's personal data sealed under the right key (gql/identity/data_key.py): the
start-up check, the sealing of rows written in clear before migration 0011, and rotation."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from gql.identity.data_key import DataKey, DataKeyError, normalized_email

# The purposes values are sealed and hashed for (each binds a value to its use).
EMAIL = "users.email"
EMAIL_LOOKUP = "email"
ADDRESS = "security_events.client_address"
ADDRESS_LOOKUP = "client address"
OUTBOX_BODY = "outbox_messages.body"
WEBHOOK_SECRET = "webhook_subscriptions.secret"


async def check_data_key(conn: asyncpg.Connection | PoolConnectionProxy, key: DataKey) -> None:
    """Refuse a key that is not the one this database's data was sealed with (the first key
    a database meets becomes its key), then seal whatever is still in clear."""
    async with conn.transaction():
        # Not a request: the pool's request timeouts do not apply to sealing a large table.
        await conn.execute("set local statement_timeout = 0; set local lock_timeout = 0;"
                           " set local idle_in_transaction_session_timeout = 0")
        await conn.execute("lock table data_key_check in exclusive mode")
        known = await conn.fetchval("select fingerprint from data_key_check")
        if known is None:
            await conn.execute("insert into data_key_check (fingerprint) values ($1)", key.fingerprint)
        elif bytes(known) != key.fingerprint:
            raise DataKeyError(
                "this database's personal data was sealed with another data key: start with "
                "the GQL_DATA_KEY (or data-key file) it was sealed with")
        await _seal_clear_rows(conn, key)


async def _seal_clear_rows(conn: asyncpg.Connection | PoolConnectionProxy, key: DataKey) -> None:
    users = await conn.fetch("select id, email_unsealed from users where email_unsealed is not null")
    await conn.executemany(
        "update users set email_lookup = $2, email_sealed = $3, email_unsealed = null where id = $1",
        [(u["id"], *_email(key, u["email_unsealed"])) for u in users])
    events = await conn.fetch(
        "select id, email_unsealed, client_address_unsealed from security_events"
        " where email_unsealed is not null or client_address_unsealed is not null")
    await conn.executemany(
        "update security_events set email_lookup = $2, client_address_lookup = $3,"
        " client_address_sealed = $4, email_unsealed = null, client_address_unsealed = null where id = $1",
        [(e["id"], _maybe(e["email_unsealed"], lambda v: email_lookup(key, v)),
          *_address(key, e["client_address_unsealed"])) for e in events])


async def rotate_data_key(conn: asyncpg.Connection, old: DataKey, new: DataKey) -> int:
    """Open every sealed value with `old`, seal it and hash it again with `new`, and make
    `new` the database's key, in one transaction. Returns the number of rows changed.

    Failed-sign-in counters restart (their email hashes cannot be recomputed: the events
    keep only the hash), which is why the email hashes of security events are dropped."""
    async with conn.transaction():
        await check_data_key(conn, old)
        # No sign-up or sign-in record may be sealed under the old key meanwhile. (Servers
        # still holding the old key must be stopped first: they would go on sealing with it.)
        await conn.execute("lock table users, security_events, outbox_messages, webhook_subscriptions"
                           " in exclusive mode")
        users = await conn.fetch("select id, email_sealed from users where email_sealed is not null")
        await conn.executemany(
            "update users set email_lookup = $2, email_sealed = $3 where id = $1",
            [(u["id"], *_email(new, old.open(u["email_sealed"], EMAIL))) for u in users])
        events = await conn.fetch(
            "select id, client_address_sealed from security_events where client_address_sealed is not null")
        await conn.executemany(
            "update security_events set client_address_lookup = $2, client_address_sealed = $3 where id = $1",
            [(e["id"], *_address(new, old.open(e["client_address_sealed"], ADDRESS))) for e in events])
        await conn.execute("update security_events set email_lookup = null where email_lookup is not null")
        # Invitations find their invitee by a hash of the old key: pending ones are withdrawn
        # (the owner invites again).
        await conn.execute("update manager_invitations set revoked_at = now()"
                           " where accepted_at is null and revoked_at is null")
        hooks = await conn.fetch("select id, secret_sealed from webhook_subscriptions")
        await conn.executemany(
            "update webhook_subscriptions set secret_sealed = $2 where id = $1",
            [(h["id"], new.seal(old.open(h["secret_sealed"], WEBHOOK_SECRET), WEBHOOK_SECRET))
             for h in hooks])
        messages = await conn.fetch("select id, recipient_sealed, body_sealed from outbox_messages")
        await conn.executemany(
            "update outbox_messages set recipient_sealed = $2, body_sealed = $3 where id = $1",
            [(m["id"], new.seal(old.open(m["recipient_sealed"], EMAIL), EMAIL),
              new.seal(old.open(m["body_sealed"], OUTBOX_BODY), OUTBOX_BODY)) for m in messages])
        await conn.execute("update data_key_check set fingerprint = $1, set_at = now()", new.fingerprint)
        return len(users) + len(events) + len(messages) + len(hooks)


def email_lookup(key: DataKey, email: str) -> bytes:
    return key.lookup(normalized_email(email), EMAIL_LOOKUP)


def sealed_email(key: DataKey, email: str) -> bytes:
    return key.seal(normalized_email(email), EMAIL)


def address_lookup(key: DataKey, address: str | None) -> bytes | None:
    return _maybe(address, lambda a: key.lookup(a, ADDRESS_LOOKUP))


def sealed_address(key: DataKey, address: str | None) -> bytes | None:
    return _maybe(address, lambda a: key.seal(a, ADDRESS))


def _email(key: DataKey, email: str) -> tuple[bytes, bytes]:
    return email_lookup(key, email), sealed_email(key, email)


def _address(key: DataKey, address: str | None) -> tuple[bytes | None, bytes | None]:
    return address_lookup(key, address), sealed_address(key, address)


def _maybe(value: str | None, make: Callable[[str], bytes]) -> bytes | None:
    return None if value is None else make(value)
