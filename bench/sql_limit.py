"""The limit: the SQL this server sends for a scenario, replayed by a plain asyncpg script at
the same concurrency. Statements are captured from a server running in this process with a
pool of one connection and asyncpg's query logger on it; each request is one transaction,
BEGIN to COMMIT, as the server sent it (role and claims included). Writes are replayed with
ROLLBACK in place of COMMIT, so that a review or an edit can be sent again; that leaves out
the commit itself (WAL flush, change-log numbering), so their limit is optimistic."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import uvicorn

from bench.processes import BENCH_JWT_SECRET
from bench.scenarios import Request, Statement, Transaction
from bench.search import percentile, percentiles
from gql.app import create_app
from gql.database import create_pool
from gql.settings import Settings


@dataclasses.dataclass
class CaptureServer:
    url: str
    log: list[Statement]


@asynccontextmanager
async def capture_server(database_url: str) -> AsyncIterator[CaptureServer]:
    settings = dataclasses.replace(Settings.from_env(), jwt_secret=BENCH_JWT_SECRET, pool_min_size=1,
                                   pool_max_size=1)
    app = create_app(settings, database_url)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        await asyncio.sleep(0.02)
    log: list[Statement] = []
    pool = app.state.graphql.pool
    # The pool's one connection; asyncpg has no public hook to log a pool's queries.
    pool._holders[0]._con.add_query_logger(lambda q: log.append((q.query, tuple(q.args or ()))))
    try:
        yield CaptureServer(f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/graphql", log)
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 30)


def split_transactions(log: list[Statement]) -> list[Transaction]:
    """One list per request: from its BEGIN to its COMMIT or ROLLBACK, or a compiled read's
    one statement."""
    requests: list[Transaction] = []
    current: Transaction | None = None
    for query, args in log:
        head = query.strip().upper()
        if current is None and "API_PRIVATE.RUN_COMPILED(" in head:
            requests.append([(query, args)])  # a compiled read: one statement, no transaction
        elif head.startswith("BEGIN"):
            current = [(query, args)]
        elif current is not None:
            current.append((query, args))
            if head.startswith(("COMMIT", "ROLLBACK")):
                requests.append(current)
                current = None
    return requests


async def capture(server: CaptureServer, requests: list[Request]) -> list[Transaction]:
    """The transactions of requests[3:]; the first three warm the connection up (asyncpg's
    type introspection is not part of a request). Each request is sent once."""
    async with httpx.AsyncClient(timeout=60) as client:
        for request in requests[:3]:
            await client.post(server.url, content=request["body"],
                              headers={"content-type": "application/json", **request["headers"]})
        await asyncio.sleep(0)
        server.log.clear()
        for request in requests[3:]:
            response = await client.post(server.url, content=request["body"],
                                         headers={"content-type": "application/json", **request["headers"]})
            response.raise_for_status()
    return split_transactions(server.log)


async def replay(database_url: str, transactions: list[Transaction], concurrency: int, seconds: float,
                 *, write: bool) -> dict[str, Any]:
    pool = await create_pool(database_url, min_size=min(10, concurrency), max_size=10)
    latencies: list[float] = []
    errors = 0
    first_error: str | None = None
    next_index = 0
    deadline = time.monotonic() + seconds

    async def run(transaction: Transaction) -> None:
        async with pool.acquire() as conn:
            try:
                for query, args in transaction:
                    if write and query.strip().upper().startswith("COMMIT"):
                        query = "ROLLBACK"
                    if args:
                        await conn.fetch(query, *args)
                    else:
                        await conn.execute(query)
            except BaseException:
                if not conn.is_closed():
                    await conn.execute("ROLLBACK")
                raise

    async def worker() -> None:
        nonlocal next_index, errors, first_error
        while time.monotonic() < deadline:
            transaction = transactions[next_index % len(transactions)]
            next_index += 1
            started = time.perf_counter()
            try:
                await run(transaction)
            except asyncpg.PostgresError as exc:
                errors += 1
                first_error = first_error or str(exc)
                continue
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.monotonic()
    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        await pool.close()
    elapsed = time.monotonic() - started
    stats = percentiles(latencies) if latencies else {}
    return {"requests": len(latencies), "seconds": round(elapsed, 2),
            "requests_per_second": round(len(latencies) / elapsed, 1),
            "p50_ms": stats.get("p50_ms"), "p95_ms": stats.get("p95_ms"),
            "p99_ms": percentile(sorted(latencies), 0.99),
            "errors": errors, "first_error": first_error,
            "statements_per_request": round(sum(len(t) for t in transactions) / len(transactions), 1)}


async def settle(database_url: str, limit_seconds: float = 300) -> float:
    """Wait until no client of the database is running a statement (a server may still be
    answering requests a finished load left behind); returns the seconds waited."""
    from gql.database import connect

    conn = await connect(database_url, application_name="bench-settle")
    started = time.monotonic()
    quiet = 0
    try:
        while quiet < 3 and time.monotonic() - started < limit_seconds:
            busy = await conn.fetchval("""
                select count(*) from pg_stat_activity
                 where backend_type = 'client backend' and pid <> pg_backend_pid()
                   and state in ('active', 'idle in transaction')""")
            quiet = quiet + 1 if busy == 0 else 0
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    return round(time.monotonic() - started, 1)
