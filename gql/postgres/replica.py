"""Reads on a streaming replica, with read-your-writes.

Compiled reads (one statement each, gql/compiled) go to the replica (DATABASE_REPLICA_URL)
while it is up and its lag is under GQL_REPLICA_MAX_LAG_SECONDS; everything else, and every
read while the replica is down, lagging or behind the reader, goes to the primary. A write
answers with an `X-Read-After` header, the primary's WAL position after its commit; a read
that sends it back is served by the replica only once the replica has replayed that far
(checked in the same round trip), so no client reads older than its own writes. For the
embedded cluster, `python -m gql db replica` makes and starts a replica of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from gql.postgres.embedded import forget_running_files, run_tool, server_user_ids, tool_path

log = logging.getLogger(__name__)

WATCH_INTERVAL_SECONDS = 1.0
READ_AFTER = re.compile(r"^[0-9A-F]{1,8}/[0-9A-F]{1,8}$")
"""A WAL position as PostgreSQL writes it (pg_lsn)."""


class ReplicaRouter:
    def __init__(self, primary: asyncpg.Pool, replica: asyncpg.Pool, max_lag_seconds: float,
                 read_timeout_seconds: float) -> None:
        self.primary = primary
        self.replica = replica
        self.max_lag_seconds = max_lag_seconds
        self.read_timeout_seconds = read_timeout_seconds
        """A replica that takes longer (a host gone silent, a pool exhausted) is left for the primary."""
        self.lag_seconds: float | None = None
        """The replica's lag behind the primary (None: unknown, the replica is unreachable)."""
        self.reads = 0
        self.fallbacks = 0

    @property
    def usable(self) -> bool:
        return self.lag_seconds is not None and self.lag_seconds <= self.max_lag_seconds

    async def watch(self) -> None:
        """Measure the lag every second: 0 when the replica has replayed all the primary has
        written, else the age of the last transaction it replayed."""
        while True:
            try:
                async with asyncio.timeout(WATCH_INTERVAL_SECONDS * 2):
                    written = await self.primary.fetchval("select pg_current_wal_lsn()::text")
                    state = await self.replica.fetchrow(  # (positions as text: asyncpg sends pg_lsn as int8)
                        "select coalesce(pg_last_wal_replay_lsn() >= $1::text::pg_lsn, false) as caught_up,"
                        " extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 as age",
                        written)
                assert state is not None
                # Behind with no replayed transaction to date it (a restarted standby that cannot
                # reach the primary): unknown, so out of the rotation.
                self.lag_seconds = 0.0 if state["caught_up"] else state["age"]
            except Exception as exc:  # down, or not answering: out of the rotation until it is back
                if self.lag_seconds is not None:
                    log.warning("the read replica is out of rotation (%r)", exc)
                self.lag_seconds = None
            await asyncio.sleep(WATCH_INTERVAL_SECONDS)

    async def read(self, role: str, claims: str, client_id: str, statement: str, params: list[str | None],
                   read_after: str | None) -> str | None:
        """The compiled read's data from the replica, or None: then the primary answers."""
        if not self.usable:
            return None
        try:
            async with asyncio.timeout(self.read_timeout_seconds), self.replica.acquire() as conn:
                data: str | None = await conn.fetchval(
                    "select case when $6::text is null or pg_last_wal_replay_lsn() >= $6::text::pg_lsn"
                    " then api_private.run_compiled($1, $2, $3, $4, $5) end",
                    role, claims, client_id, statement, params, read_after)
        except (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
                asyncpg.InternalClientError) as exc:
            log.warning("a read on the replica failed (%r); the primary answers", exc)
            self.lag_seconds = None  # until the watcher sees it again
            self.fallbacks += 1
            return None
        if data is None:
            self.fallbacks += 1  # behind the reader's own write
        else:
            self.reads += 1
        return data


def create_embedded_replica(primary_url: str, directory: Path) -> str:
    """A streaming replica of the embedded cluster in `directory`/pg, started (made first if
    missing: pg_basebackup -R); returns its URL (the primary's database, on its socket)."""
    pgdata = directory / "pg"
    if not pgdata.exists():
        directory.mkdir(parents=True, exist_ok=True)
        partial = directory / "pg.partial"
        shutil.rmtree(partial, ignore_errors=True)
        run_tool([str(tool_path("pg_basebackup")), f"--dbname={primary_url}", f"--pgdata={partial}",
              "--wal-method=stream", "--write-recovery-conf", "--checkpoint=fast", "--no-password"])
        forget_running_files(partial)
        with (partial / "postgresql.auto.conf").open("a") as conf:
            conf.write("archive_mode = 'off'\nhot_standby = 'on'\n")
        partial.rename(pgdata)
        os.chmod(pgdata, 0o700)
        ids = server_user_ids()
        if ids is not None:
            for path in (pgdata, *pgdata.rglob("*")):
                os.chown(path, *ids)
    if not (pgdata / "postmaster.pid").exists():
        run_tool([str(tool_path("pg_ctl")), "-D", str(pgdata), "-w", "start", "-l", str(pgdata / "log"),
              "-o", f"-c listen_addresses='' -c unix_socket_directories='{pgdata}'"], as_server=True)
    database = urlsplit(primary_url).path.lstrip("/") or "postgres"
    return f"postgresql://postgres@/{database}?host={pgdata}"


def stop_embedded_replica(directory: Path) -> None:
    pgdata = directory / "pg"
    if (pgdata / "postmaster.pid").exists():
        run_tool([str(tool_path("pg_ctl")), "-D", str(pgdata), "-w", "stop", "-m", "fast"], as_server=True)


async def stop_watching(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
