"""Connection pool and the per-request transaction.

Every request runs in one transaction on one pooled connection (DESIGN rule 4). The role and
the JWT claims are set transaction-locally with `set_config(..., true)`, so nothing survives
into the next request that borrows the connection.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from gql.auth import ANONYMOUS, Identity
from gql.user_errors import MutationFailed, from_postgres


def _encode_jsonb(value: Any) -> bytes:
    return b"\x01" + json.dumps(value).encode()  # binary jsonb: version 1, then the text


def _decode_jsonb(data: bytes) -> Any:
    return json.loads(data[1:])


async def _init_connection(conn: asyncpg.Connection) -> None:
    # JSON values in and out as Python objects; binary so that COPY can carry them too.
    await conn.set_type_codec("jsonb", encoder=_encode_jsonb, decoder=_decode_jsonb,
                              schema="pg_catalog", format="binary")
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads,
                              schema="pg_catalog")


async def create_pool(url: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        url, min_size=min_size, max_size=max_size, init=_init_connection,
        server_settings={"application_name": "directory-gql"},
    )
    assert pool is not None
    return pool


async def connect(url: str, application_name: str = "directory-gql") -> asyncpg.Connection:
    conn = await asyncpg.connect(url, server_settings={"application_name": application_name})
    await _init_connection(conn)
    return conn


def with_database(url: str, database: str) -> str:
    """The same server URL, pointing at another database."""
    return urlunsplit(urlsplit(url)._replace(path="/" + database))


async def ensure_database(server_url: str, name: str) -> str:
    """Create database `name` on the server if it is missing; return its URL."""
    conn = await asyncpg.connect(server_url)
    try:
        exists = await conn.fetchval("select 1 from pg_database where datname = $1", name)
        if not exists:
            # Identifiers cannot be parameters; quote_ident makes the name safe.
            quoted = await conn.fetchval("select quote_ident($1)", name)
            await conn.execute(f"create database {quoted} template template0 encoding 'UTF8'")
    finally:
        await conn.close()
    return with_database(server_url, name)


async def drop_database(server_url: str, name: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        quoted = await conn.fetchval("select quote_ident($1)", name)
        await conn.execute(f"drop database if exists {quoted} with (force)")
    finally:
        await conn.close()


class RequestDatabase:
    """The database as one request sees it: a single transaction, opened on first use.

    Resolvers run concurrently but a connection runs one statement at a time, so access is
    serialised with a lock. `statements` counts the statements resolvers sent; the three of
    transaction bookkeeping (BEGIN, role and claims, COMMIT) are left out. It is counted here
    rather than with asyncpg's query logger, which also reports asyncpg's own type
    introspection (so the figure would depend on the connection's history) and reports late.
    """

    def __init__(self, pool: asyncpg.Pool, identity: Identity = ANONYMOUS,
                 client_id: str | None = None) -> None:
        self._pool = pool
        self._role = identity.database_role
        self._claims = json.dumps(identity.claims())
        self._client_id = client_id or ""
        self._lock = asyncio.Lock()
        self._conn: PoolConnectionProxy | None = None
        self._transaction: Any = None
        self.statements = 0

    async def _connection(self) -> PoolConnectionProxy:
        if self._conn is None:
            conn = await self._pool.acquire()
            try:
                self._transaction = conn.transaction()
                await self._transaction.start()
                await conn.execute(
                    "select set_config('role', $1, true), "
                    "set_config('request.jwt.claims', $2, true), "
                    "set_config('gql.client_id', $3, true)",
                    self._role, self._claims, self._client_id,
                )
            except BaseException:
                await self._pool.release(conn)
                raise
            self._conn = conn
        return self._conn

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        async with self._lock:
            conn = await self._connection()
            self.statements += 1
            return await conn.fetch(query, *args)

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        async with self._lock:
            conn = await self._connection()
            self.statements += 1
            return await conn.fetchrow(query, *args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        async with self._lock:
            conn = await self._connection()
            self.statements += 1
            return await conn.fetchval(query, *args)

    async def set_client_id(self, client_id: str) -> None:
        """Tag the changes this transaction makes from now on (the device's echo filter)."""
        async with self._lock:
            conn = await self._connection()
            self.statements += 1
            await conn.execute("select set_config('gql.client_id', $1, true)", client_id)

    async def mutate(self, query: str, *args: Any) -> asyncpg.Record | None:
        """Run one write function inside a savepoint. An expected failure (a UserError raised
        by SQL, a constraint) undoes just this write and raises MutationFailed; the request's
        transaction stays usable, so the payload can still read the current state."""
        async with self._lock:
            conn = await self._connection()
            self.statements += 1
            try:
                async with conn.transaction():  # a savepoint inside the request's transaction
                    return await conn.fetchrow(query, *args)
            except asyncpg.PostgresError as exc:
                error = from_postgres(exc)
                if error is None:
                    raise
                raise MutationFailed(error) from exc

    async def finish(self, *, commit: bool) -> None:
        """Commit (or roll back) and hand the connection back to the pool."""
        async with self._lock:
            conn, self._conn = self._conn, None
            if conn is None:
                return
            try:
                if commit:
                    await self._transaction.commit()
                else:
                    await self._transaction.rollback()
            finally:
                await self._pool.release(conn)
