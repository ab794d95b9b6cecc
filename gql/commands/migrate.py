"""Numbered, checksummed migrations (db/migrations) and the re-applied code layer (db/functions).

Migrations change the data schema; each runs in its own transaction and is recorded in
`schema_migrations`. Everything in db/functions (functions, views, triggers, policies) lives in
the `api` and `api_private` schemas or hangs off objects that do; after each run it is rebuilt
from scratch in one transaction (drop both schemas cascade, re-create, apply the files in name
order). Rebuilding
rather than patching means a function deleted from the files is deleted from the database too.
Objects an index or a column default depends on must therefore live in migrations, not here.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.resources
import re
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from gql.database import CODE_LAYER_LOCK


def _sql_directory() -> Path:
    """db/: inside the package where it was installed (a wheel ships it as gql/db), else beside
    the package in this checkout."""
    shipped = Path(str(importlib.resources.files("gql").joinpath("db")))
    return shipped if shipped.is_dir() else Path(__file__).resolve().parents[2] / "db"


SQL_DIR = _sql_directory()
MIGRATIONS_DIR = SQL_DIR / "migrations"
FUNCTIONS_DIR = SQL_DIR / "functions"
CLUSTER_ROLES = SQL_DIR / "cluster_roles.sql"
"""The request roles, made where missing: what a restore onto a new server needs first."""
LOCK_KEY = CODE_LAYER_LOCK  # the advisory lock every migrating process takes (requests re-run share it)
REBUILD_ATTEMPTS = 100
LOCK_WAIT_MS = 200
"""How long a rebuild of the code layer waits for the tables it locks before trying again."""

_FILENAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

BOOKKEEPING = """
create table if not exists schema_migrations (
    version integer primary key,
    name text not null,
    checksum text not null,
    executed_at timestamptz not null default now(),
    execution_time_ms integer not null
);
create table if not exists schema_code (
    id boolean primary key default true check (id),
    checksum text not null,
    applied_at timestamptz not null default now()
);
"""


class MigrationError(Exception):
    """A migration cannot run; the message says why and what to do."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    up_path: Path
    down_path: Path

    @property
    def checksum(self) -> str:
        return sha256(self.up_path.read_bytes())


@dataclass(frozen=True)
class MigrationState:
    migration: Migration
    applied_checksum: str | None

    @property
    def applied(self) -> bool:
        return self.applied_checksum is not None

    @property
    def modified(self) -> bool:
        return self.applied and self.applied_checksum != self.migration.checksum


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILENAME.match(path.name)
        if not match:
            continue  # .down.sql files and anything else
        down = path.with_name(path.name.removesuffix(".sql") + ".down.sql")
        if not down.exists():
            raise MigrationError(f"{path.name} has no {down.name}: every migration needs a down")
        migrations.append(Migration(int(match[1]), match[2], path, down))
    if not migrations:  # (an install without db/ would otherwise migrate nothing and carry on)
        raise MigrationError(f"no migration files in {directory}: this installation is incomplete")
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version number")
    return migrations


def code_files(directory: Path = FUNCTIONS_DIR) -> list[Path]:
    return sorted(directory.rglob("*.sql"))


def _shown(path: Path) -> str:
    """A file's name as the checksum and messages know it: the same in a checkout and an install."""
    return f"db/{path.relative_to(SQL_DIR).as_posix()}" if path.is_relative_to(SQL_DIR) else str(path)


def code_checksum(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(_shown(path).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class Migrator:
    def __init__(
        self, conn: asyncpg.Connection, migrations: list[Migration] | None = None,
        functions: list[Path] | None = None,
    ) -> None:
        self.conn = conn
        self.migrations = discover() if migrations is None else migrations
        self.functions = code_files() if functions is None else functions

    async def status(self) -> list[MigrationState]:
        await self.conn.execute(BOOKKEEPING)
        applied = {
            r["version"]: r["checksum"]
            for r in await self.conn.fetch("select version, checksum from schema_migrations")
        }
        known = {m.version for m in self.migrations}
        missing = sorted(set(applied) - known)
        if missing:
            raise MigrationError(
                f"the database has migration(s) {missing} that are not in {MIGRATIONS_DIR}; "
                "this checkout is older than the database"
            )
        return [MigrationState(m, applied.get(m.version)) for m in self.migrations]

    async def current_version(self) -> int:
        return max((s.migration.version for s in await self.status() if s.applied), default=0)

    async def up(self, to: int | None = None) -> list[Migration]:
        """Apply pending migrations (up to version `to`); once the schema is the latest,
        rebuild the code layer if its files changed (or any migration ran)."""
        async with migration_lock(self.conn):
            states = await self.status()
            modified = [s.migration for s in states if s.modified]
            if modified:
                names = ", ".join(m.up_path.name for m in modified)
                raise MigrationError(
                    f"applied migration file(s) changed since they ran: {names}. "
                    "Applied migrations must never be edited; restore the file and put the "
                    "change in a new migration."
                )
            done = []
            for state in states:
                m = state.migration
                if state.applied or (to is not None and m.version > to):
                    continue
                started = time.perf_counter()
                async with self.conn.transaction():
                    await self.conn.execute(m.up_path.read_text())
                    await self.conn.execute(
                        "insert into schema_migrations"
                        " (version, name, checksum, execution_time_ms) values ($1, $2, $3, $4)",
                        m.version, m.name, m.checksum,
                        round((time.perf_counter() - started) * 1000),
                    )
                done.append(m)
            if len(done) == sum(not s.applied for s in states):
                # Fully migrated: the code layer (written for the latest schema) fits.
                await self._rebuild_code(force=bool(done))
            return done

    async def down(self, to: int | None = None) -> list[Migration]:
        """Undo applied migrations down to version `to` (default: only the latest one).

        The code layer is written for the latest schema, so it is removed, not rebuilt: an
        older schema has no matching db/functions in this checkout. `up` brings it back."""
        async with migration_lock(self.conn):
            applied = [s.migration for s in await self.status() if s.applied]
            if not applied:
                return []
            target = applied[-2].version if to is None and len(applied) > 1 else (to or 0)
            undone = []
            for m in reversed(applied):
                if m.version <= target:
                    break
                async with self.conn.transaction():
                    # The code layer references tables the down may drop: take it away first.
                    await self.conn.execute("drop schema if exists api, api_private cascade")
                    await self.conn.execute("delete from schema_code")
                    await self.conn.execute(m.down_path.read_text())
                    await self.conn.execute(
                        "delete from schema_migrations where version = $1", m.version
                    )
                undone.append(m)
            return undone

    async def _rebuild_code(self, *, force: bool) -> bool:
        checksum = code_checksum(self.functions)
        current = await self.conn.fetchval("select checksum from schema_code")
        has_api = await self.conn.fetchval(
            "select exists(select 1 from pg_namespace where nspname = 'api')"
        )
        if not force and current == checksum and has_api:
            return False
        for attempt in range(1, REBUILD_ATTEMPTS + 1):
            try:
                async with self.conn.transaction():
                    await self._lock_tables_of_the_code_layer()
                    await self.conn.execute("drop schema if exists api, api_private cascade;"
                                            " create schema api; create schema api_private")
                    for path in self.functions:
                        try:
                            await self.conn.execute(path.read_text())
                        except asyncpg.PostgresError as exc:
                            raise MigrationError(f"{_shown(path)}: {exc}") from exc
                    await self.conn.execute(
                        "insert into schema_code (checksum) values ($1)"
                        " on conflict (id) do update set checksum = excluded.checksum, applied_at = now()",
                        checksum,
                    )
                return True
            except (asyncpg.LockNotAvailableError, asyncpg.DeadlockDetectedError):
                if attempt == REBUILD_ATTEMPTS:
                    raise
                await asyncio.sleep(0.05 * attempt)  # requests finish; try again
        return True

    async def _lock_tables_of_the_code_layer(self) -> None:
        """Lock every table the code layer hangs policies or triggers on, before dropping
        anything: each for at most LOCK_WAIT_MS (a request holding one finishes in
        milliseconds; the caller then tries again). Taken one by one while requests hold
        some, they deadlocked with requests waiting for the layer's other objects; requests
        that arrive now wait for the rebuild (well under their lock timeout) instead of failing."""
        tables = await self.conn.fetchval("""
            select string_agg(format('%I.%I', n.nspname, c.relname), ', ' order by c.oid)
              from pg_class c join pg_namespace n on n.oid = c.relnamespace
             where c.oid in (select polrelid from pg_policy
                             union select tgrelid from pg_trigger where not tgisinternal)""")
        if tables:
            await self.conn.execute(f"set local lock_timeout = {LOCK_WAIT_MS}")
            await self.conn.execute(f"lock table {tables} in access exclusive mode")
            await self.conn.execute("set local lock_timeout = 0")


class migration_lock:
    """Session advisory lock: two processes starting at once migrate (and seed an empty
    database, gql/__main__.py) one after the other. Taken again by the same session, it nests."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def __aenter__(self) -> None:
        await self.conn.execute("select pg_advisory_lock($1)", LOCK_KEY)

    async def __aexit__(self, *exc: object) -> None:
        await self.conn.execute("select pg_advisory_unlock($1)", LOCK_KEY)
