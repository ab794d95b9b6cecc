"""A server to measure: the app on a free loopback port, on DATABASE_URL or a fresh
embedded cluster, with a migrated and seeded database."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from gql.__main__ import LISTEN_BACKLOG
from gql.app import create_app
from gql.commands.migrate import Migrator
from gql.commands.seed import SeedOptions, is_empty, seed_database
from gql.database import connect, ensure_database
from gql.postgres.embedded import EmbeddedPostgres
from gql.settings import Settings


@dataclass
class RunningServer:
    url: str
    database_url: str
    server: uvicorn.Server


BENCH_DATA_DIR = Path(".data/bench")
# The embedded cluster's defaults (128 MB of shared buffers) are for a laptop demo; a data
# set of millions of rows is measured with the memory a database server would be given.
BENCH_SERVER_SETTINGS = {"shared_buffers": "2GB", "max_wal_size": "8GB", "checkpoint_timeout": "30min",
                         "effective_cache_size": "8GB"}


async def tune_cluster(url: str) -> bool:
    """Apply BENCH_SERVER_SETTINGS; True when the cluster must restart for them."""
    conn = await connect(url)
    try:
        for name, value in BENCH_SERVER_SETTINGS.items():
            await conn.execute(f"alter system set {name} = '{value}'")
        await conn.execute("select pg_reload_conf()")
        return bool(await conn.fetchval("select count(*) from pg_settings where pending_restart"))
    finally:
        await conn.close()


@asynccontextmanager
async def bench_database(settings: Settings | None = None) -> AsyncIterator[str]:
    """DATABASE_URL, or a persistent embedded cluster under .data/bench (kept between runs so
    a large data set is built once); migrated."""
    settings = settings or Settings.from_env()
    cluster = None
    if settings.database_url:
        database_url = settings.database_url
    else:
        BENCH_DATA_DIR.mkdir(parents=True, exist_ok=True)
        os.chmod(BENCH_DATA_DIR, 0o755)
        cluster = EmbeddedPostgres(BENCH_DATA_DIR.resolve())
        server_url = cluster.start()
        if await tune_cluster(server_url):
            # Stopped and started through the wheel (not pg_ctl restart), so that its handle
            # still owns the server and stops it at the end.
            cluster.stop()
            server_url = cluster.start()
        database_url = await ensure_database(server_url, "bench")
    try:
        conn = await connect(database_url)
        try:
            await Migrator(conn).up()
        finally:
            await conn.close()
        yield database_url
    finally:
        if cluster is not None:
            cluster.stop()


@asynccontextmanager
async def bench_server(seed: SeedOptions, settings: Settings | None = None) -> AsyncIterator[RunningServer]:
    settings = settings or Settings.from_env()
    async with bench_database(settings) as database_url:
        conn = await connect(database_url)
        try:
            if await is_empty(conn):
                await seed_database(conn, seed, quiet=True)
        finally:
            await conn.close()
        config = uvicorn.Config(create_app(settings, database_url), host="127.0.0.1", port=0,
                                log_level="warning", ws="websockets-sansio", backlog=LISTEN_BACKLOG)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            await asyncio.sleep(0.02)
        try:
            yield RunningServer(f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}",
                                database_url, server)
        finally:
            server.should_exit = True
            deadline = time.monotonic() + 30
            while thread.is_alive() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
