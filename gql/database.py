"""Connection pool and the per-request transaction.

Every request runs in one transaction on one pooled connection (DESIGN rule 4). The role and
the JWT claims are set transaction-locally with `set_config(..., true)`, so nothing survives
into the next request that borrows the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from graphql import GraphQLError

from gql.identity.auth import ANONYMOUS, Identity
from gql.observability.metrics import POOL_WAIT_SECONDS
from gql.postgres.outage import DATABASE_LOST, DatabaseUnavailable, is_database_lost
from gql.user_errors import MutationFailed, errors_from_postgres

if TYPE_CHECKING:
    from gql.postgres.replica import ReplicaRouter

T = TypeVar("T")
CONNECT_TIMEOUT_SECONDS = 5.0
"""A server that does not answer (a network cut) is unavailable, not slow: fail and retry."""
log = logging.getLogger(__name__)

CODE_LAYER_LOCK = 7_291_046_113
"""The advisory lock migrations and code-layer rebuilds hold (gql/commands/migrate.py)."""


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


async def create_pool(url: str, *, min_size: int = 2, max_size: int = 10,
                      session_settings: dict[str, str] | None = None) -> asyncpg.Pool:
    """The request pool. `session_settings` (the request limits: statement, lock and
    idle-in-transaction timeouts) hold on every connection; maintenance work that needs
    longer lifts them with `set local` in its own transaction."""
    pool = await asyncpg.create_pool(
        url, min_size=min_size, max_size=max_size, init=_init_connection, reset=_reset,
        timeout=CONNECT_TIMEOUT_SECONDS,
        server_settings={"application_name": "directory-gql", **(session_settings or {})},
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

    `slots`, when given, bounds how many pool connections the holder of the semaphore (a
    WebSocket) may have at once. A connection that failed as lost (outage.DATABASE_LOST) is
    terminated rather than returned, so the pool never hands it out again, and the failure
    reaches the client as DatabaseUnavailable.
    """

    BEGIN_ATTEMPTS = 3
    """A connection the pool hands out may have died while idle (a database restart): before
    anything was sent on it, trying another one is safe."""

    def __init__(self, pool: asyncpg.Pool, identity: Identity = ANONYMOUS,
                 client_id: str | None = None, slots: asyncio.Semaphore | None = None,
                 acquire_timeout: float | None = None, replica: ReplicaRouter | None = None,
                 read_after: str | None = None, after_code_layer_change: bool = False) -> None:
        self._pool = pool
        self._after_code_layer_change = after_code_layer_change
        self._replica = replica
        self._read_after = read_after
        self.served_by_replica = False
        self.wrote = False
        self.written_at: str | None = None
        """After a committed write: the primary's WAL position (the X-Read-After token)."""
        self._acquire_timeout = acquire_timeout
        self._role = identity.database_role
        self._claims = json.dumps(identity.claims())
        self._client_id = client_id or ""
        self._slots = slots
        self._lock = asyncio.Lock()
        self._conn: PoolConnectionProxy | None = None
        self._transaction: Any = None
        self._finished = False
        self.statements = 0
        self.met_code_layer_change = False
        """A statement failed as in-flight work does while a deploy replaces the SQL code
        layer (CODE_LAYER_CHANGING): the operation, rolled back whole, may be run again."""

    async def _connection(self) -> PoolConnectionProxy:
        if self._conn is not None:
            return self._conn
        if self._finished:  # a late task of an ended unit of work must not open another
            raise RuntimeError("the request's transaction has ended")
        if self._slots is not None:
            await self._slots.acquire()
        try:
            for attempt in range(self.BEGIN_ATTEMPTS):
                try:
                    self._conn = await self._begin()
                    return self._conn
                except DATABASE_LOST as exc:
                    if attempt + 1 == self.BEGIN_ATTEMPTS:
                        raise DatabaseUnavailable() from exc
            raise AssertionError("not reached")
        except BaseException:
            if self._slots is not None:
                self._slots.release()
            raise

    async def _acquire(self) -> PoolConnectionProxy:
        started = time.perf_counter()
        try:
            conn: PoolConnectionProxy = await self._pool.acquire(timeout=self._acquire_timeout)
        except TimeoutError:  # every connection is busy: say so now rather than queue on
            raise DatabaseUnavailable("The server is busy; retry shortly.") from None
        finally:
            POOL_WAIT_SECONDS.observe(time.perf_counter() - started)
        return conn

    async def _begin(self) -> PoolConnectionProxy:
        conn = await self._acquire()
        try:
            self._transaction = conn.transaction()
            await self._transaction.start()
            await conn.execute(
                "select set_config('role', $1, true), "
                "set_config('request.jwt.claims', $2, true), "
                "set_config('gql.client_id', $3, true)",
                self._role, self._claims, self._client_id,
            )
            if self._after_code_layer_change:
                # Run again after a deploy met the first attempt: wait for the code layer's
                # rebuild to end, and keep the next one from starting until this commits.
                await conn.execute("select pg_advisory_xact_lock_shared($1)", CODE_LAYER_LOCK)
        except BaseException as exc:
            await _give_back(self._pool, conn, lost=is_database_lost(exc))
            raise
        return conn

    async def _run(self, statement: Callable[[PoolConnectionProxy], Awaitable[T]]) -> T:
        async with self._lock:
            conn = await self._connection()
            self.statements += 1
            try:
                return await statement(conn)
            except DATABASE_LOST as exc:
                _terminate(conn)  # the pool opens a new one in its place
                raise DatabaseUnavailable() from exc
            except (asyncpg.QueryCanceledError, asyncpg.LockNotAvailableError) as exc:
                raise TookTooLong(exc) from exc
            except CODE_LAYER_CHANGING as exc:
                if not isinstance(exc, asyncpg.InternalServerError) or "cache lookup failed" in str(exc):
                    self.met_code_layer_change = True
                    # Statements prepared on the pool's connections may name the functions that
                    # went: prepared afresh from now on (else a retry can meet them again).
                    await conn.reload_schema_state()
                raise

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        return await self._run(lambda conn: conn.fetch(query, *args))

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        return await self._run(lambda conn: conn.fetchrow(query, *args))

    async def fetchval(self, query: str, *args: Any) -> Any:
        return await self._run(lambda conn: conn.fetchval(query, *args))

    async def run_compiled(self, statement: str, params: list[str | None], *,
                           writes: bool = False) -> str | None:
        """A compiled statement (gql/compiled: a read, or an analytics recorder) in one round
        trip: api_private.run_compiled sets this request's role and claims for that one
        statement, in autocommit, so nothing of them outlives it. Runs before anything else of
        the request, on a connection of its own."""
        async with self._lock:
            if self._conn is not None or self._finished:
                raise RuntimeError("a compiled read runs alone, before the request's transaction")
            if self._replica is not None and not writes:
                data = await self._replica.read(self._role, self._claims, self._client_id, statement, params,
                                                self._read_after)
                if data is not None:
                    self.served_by_replica = True
                    self.statements += 1
                    return data
            if self._slots is not None:
                await self._slots.acquire()
            try:
                try:
                    conn = await self._acquire()
                except DATABASE_LOST as exc:
                    raise DatabaseUnavailable() from exc
                self.statements += 1
                lost = False
                try:
                    result: str | None = await conn.fetchval(
                        "select api_private.run_compiled($1, $2, $3, $4, $5)",
                        self._role, self._claims, self._client_id, statement, params)
                    return result
                except DATABASE_LOST as exc:
                    lost = True
                    raise DatabaseUnavailable() from exc
                finally:
                    await _give_back(self._pool, conn, lost=lost, compiled_read_only=True)
            finally:
                if self._slots is not None:
                    self._slots.release()

    async def set_client_id(self, client_id: str) -> None:
        """Tag the changes this transaction makes from now on (the device's echo filter)."""
        await self._run(lambda conn: conn.execute(
            "select set_config('gql.client_id', $1, true)", client_id))

    async def mutate(self, query: str, *args: Any) -> asyncpg.Record | None:
        """Run one write function inside a savepoint. An expected failure (a UserError raised
        by SQL, a constraint) undoes just this write and raises MutationFailed; the request's
        transaction stays usable, so the payload can still read the current state."""
        self.wrote = True

        async def in_savepoint(conn: PoolConnectionProxy) -> asyncpg.Record | None:
            try:
                async with conn.transaction():  # a savepoint inside the request's transaction
                    return await conn.fetchrow(query, *args)
            except asyncpg.PostgresError as exc:
                errors = errors_from_postgres(exc)
                if not errors:
                    raise
                raise MutationFailed(*errors) from exc
        return await self._run(in_savepoint)

    async def _note_written_at(self, conn: PoolConnectionProxy) -> None:
        """The WAL position past this commit, for X-Read-After. Losing the connection here
        does not make the committed write's fate unknown: the client then gets no token."""
        try:
            self.written_at = await conn.fetchval("select pg_current_wal_insert_lsn()::text")
        except DATABASE_LOST as exc:
            log.info("no read-after position for a committed write (%r)", exc)

    async def finish(self, *, commit: bool) -> None:
        """Commit (or roll back) and hand the connection back to the pool. A commit that
        fails for a lost connection raises DatabaseUnavailable: the client must not take its
        writes as done."""
        async with self._lock:
            self._finished = True
            conn, self._conn = self._conn, None
            if conn is None:
                return
            ended: BaseException | None = None
            try:
                try:
                    if commit:
                        await self._transaction.commit()
                        if self.wrote:
                            await self._note_written_at(conn)
                    else:
                        await self._transaction.rollback()
                except DATABASE_LOST as exc:
                    ended = exc
                finally:
                    await _give_back(self._pool, conn, lost=ended is not None)
            finally:
                if self._slots is not None:
                    self._slots.release()
            if ended is not None and commit:
                raise DatabaseUnavailable() from ended


_NOTHING_TO_RESET: set[int] = set()
"""Backend pids of connections being given back after nothing but one compiled read."""


CODE_LAYER_CHANGING = (asyncpg.DeadlockDetectedError, asyncpg.InternalServerError,
                       asyncpg.UndefinedFunctionError)
"""What in-flight statements meet while a deploy rebuilds db/functions in one transaction:
a function dropped under them ("cache lookup failed for function", XX000), or a deadlock
with the rebuild, which locks the tables whose policies and triggers it replaces."""


async def _reset(conn: asyncpg.Connection) -> None:
    """The pool's reset on release (advisory locks, cursors, LISTEN, session settings), one
    more round trip, except after only a compiled read: api_private.run_compiled leaves
    nothing of the kind (role and claims are local to its autocommit transaction; its
    prepared statements are meant to stay), so there the round trip is saved."""
    if conn.get_server_pid() in _NOTHING_TO_RESET:
        return
    await conn.execute(conn.get_reset_query())


async def _give_back(pool: asyncpg.Pool, conn: PoolConnectionProxy, *, lost: bool,
                     compiled_read_only: bool = False) -> None:
    """Return a connection to the pool, or terminate it when it was lost. The pool's own
    reset fails on a connection killed mid-query (InternalClientError): the pool has then
    terminated it, and nothing more is owed to the request."""
    if lost:
        _terminate(conn)
    pid = conn.get_server_pid() if compiled_read_only and not lost else None
    if pid is not None:
        _NOTHING_TO_RESET.add(pid)
    try:
        await pool.release(conn)
    except DATABASE_LOST as exc:  # the pool terminated it already
        log.info("a pooled connection was lost on release (%r)", exc)
    finally:
        if pid is not None:
            _NOTHING_TO_RESET.discard(pid)


class TookTooLong(GraphQLError):
    """A statement ran past the statement timeout, or waited past the lock timeout."""

    def __init__(self, cause: asyncpg.PostgresError) -> None:
        waited = "for a lock" if isinstance(cause, asyncpg.LockNotAvailableError) else "to run"
        super().__init__(f"The request took too long {waited} and was stopped; nothing it began was saved.",
                         extensions={"code": "TIMEOUT"})


def _terminate(conn: PoolConnectionProxy) -> None:
    """Close a lost connection at once. One that died on its own has already been taken back
    by the pool (the proxy then refuses every call): nothing is left to do."""
    with contextlib.suppress(asyncpg.InterfaceError):
        conn.terminate()
