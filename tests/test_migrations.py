"""Migrations: up/down/up leaves the same schema, edited migrations are refused, and the
code layer (db/functions) is rebuilt from its files."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from gql.commands.migrate import MIGRATIONS_DIR, MigrationError, Migrator, code_files, discover
from gql.database import connect
from gql.postgres.embedded import tool_path
from tests.support import REPOSITORY, drop, scratch_database


@pytest.fixture
async def empty_database(server_url: str) -> AsyncIterator[tuple[str, asyncpg.Connection]]:
    name, url = await scratch_database(server_url)
    conn = await connect(url)
    yield url, conn
    await conn.close()
    await drop(server_url, name)


# What differs between two creations of the same schema without being part of it: the
# random \restrict key of PostgreSQL 18's pg_dump, and the per-creation column stamp
# (attribute option pg_attver) that some server builds, such as the CI machine's, add.
VOLATILE_DUMP_LINE = re.compile(r"^\\(un)?restrict ")
VOLATILE_VALUE = re.compile(r"pg_attver=\d+")


def schema_dump(url: str) -> str:
    dump = subprocess.run([str(tool_path("pg_dump")), "--schema-only", f"--dbname={url}"],
                          check=True, capture_output=True, text=True).stdout
    return "\n".join(VOLATILE_VALUE.sub("pg_attver=?", line) for line in dump.splitlines()
                     if not VOLATILE_DUMP_LINE.match(line))


async def test_up_down_up_leaves_the_same_schema(
    empty_database: tuple[str, asyncpg.Connection]
) -> None:
    url, conn = empty_database
    migrator = Migrator(conn)
    applied = await migrator.up()
    assert [m.version for m in applied] == [m.version for m in discover()]
    once = schema_dump(url)
    assert "create table public.businesses" in once.lower()
    assert "function api.business_page" in once.lower()

    undone = await migrator.down(to=0)
    assert [m.version for m in undone] == sorted((m.version for m in applied), reverse=True)
    assert await migrator.current_version() == 0
    tables = await conn.fetch("select tablename from pg_tables where schemaname = 'public'")
    assert {t["tablename"] for t in tables} == {"schema_migrations", "schema_code"}
    assert not await conn.fetchval("select exists(select 1 from pg_namespace where nspname = 'api')")

    await migrator.up()
    assert schema_dump(url) == once


async def test_down_without_target_undoes_one_migration(
    empty_database: tuple[str, asyncpg.Connection]
) -> None:
    _url, conn = empty_database
    migrator = Migrator(conn)
    await migrator.up()
    latest = max(m.version for m in discover())
    undone = await migrator.down()
    assert [m.version for m in undone] == [latest]
    assert await migrator.current_version() == latest - 1
    states = {s.migration.version: s.applied for s in await migrator.status()}
    assert states[latest] is False and states[latest - 1] is True
    # The code layer is written for the latest schema: it goes with the down, `up` restores it.
    api_exists = "select exists(select 1 from pg_namespace where nspname = 'api')"
    assert not await conn.fetchval(api_exists)
    await migrator.up()
    assert await conn.fetchval(api_exists)


async def test_up_to_a_version_stops_there(empty_database: tuple[str, asyncpg.Connection]) -> None:
    _url, conn = empty_database
    migrator = Migrator(conn)
    await migrator.up(to=1)
    assert await migrator.current_version() == 1
    await migrator.up()
    assert await migrator.current_version() == max(m.version for m in discover())


async def test_an_edited_migration_is_refused(
    empty_database: tuple[str, asyncpg.Connection], tmp_path: Path
) -> None:
    _url, conn = empty_database
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, copy)
    await Migrator(conn, discover(copy)).up()
    first = discover(copy)[0].up_path
    first.write_text(first.read_text() + "\n-- an innocent-looking edit\n")
    with pytest.raises(MigrationError, match=first.name) as refused:
        await Migrator(conn, discover(copy)).up()
    assert "new migration" in str(refused.value)
    states = await Migrator(conn, discover(copy)).status()
    assert [s.modified for s in states] == [True] + [False] * (len(states) - 1)


async def test_a_migration_without_down_is_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_lonely.sql").write_text("select 1;")
    with pytest.raises(MigrationError, match=re.escape("0001_lonely.down.sql")):
        discover(tmp_path)


async def test_a_failing_migration_changes_nothing(
    empty_database: tuple[str, asyncpg.Connection], tmp_path: Path
) -> None:
    _url, conn = empty_database
    (tmp_path / "0001_good.sql").write_text("create table good (id int);")
    (tmp_path / "0001_good.down.sql").write_text("drop table good;")
    (tmp_path / "0002_bad.sql").write_text("create table half (id int); select 1/0;")
    (tmp_path / "0002_bad.down.sql").write_text("drop table half;")
    with pytest.raises(asyncpg.DivisionByZeroError):
        await Migrator(conn, discover(tmp_path), functions=[]).up()
    assert await Migrator(conn, discover(tmp_path), functions=[]).current_version() == 1
    assert await conn.fetchval("select to_regclass('half')") is None


async def test_code_layer_is_rebuilt_so_removed_functions_disappear(
    empty_database: tuple[str, asyncpg.Connection], tmp_path: Path
) -> None:
    _url, conn = empty_database
    extra = tmp_path / "99_extra.sql"
    extra.write_text("create function api.temporary_helper() returns int language sql as 'select 1';")
    await Migrator(conn, functions=[*code_files(), extra]).up()
    assert await conn.fetchval("select api.temporary_helper()") == 1
    await Migrator(conn, functions=code_files()).up()
    assert await conn.fetchval("select to_regprocedure('api.temporary_helper()')") is None
    # Unchanged files: nothing is rebuilt (the schema's oid stays the same).
    oid = await conn.fetchval("select oid from pg_namespace where nspname = 'api'")
    await Migrator(conn).up()
    assert await conn.fetchval("select oid from pg_namespace where nspname = 'api'") == oid


def test_every_function_file_is_found() -> None:
    """What migrate.py applies is every SQL file the repository holds under db/functions, in
    name order (a file it missed would never reach a database)."""
    tracked = subprocess.run(["git", "ls-files", "--", "db/functions/*.sql"], cwd=REPOSITORY, capture_output=True,
                             text=True, check=True).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    assert [p.relative_to(REPOSITORY).as_posix() for p in code_files()] == sorted(tracked)
