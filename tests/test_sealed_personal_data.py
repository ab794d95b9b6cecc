"""Personal data at rest: email addresses and client addresses are sealed under a key kept
outside the database, nowhere in clear (tables or `backup`), and sign-in still works; a
wrong key is refused, rows from before sealing get sealed, and the key can be rotated."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from gql.app import create_app
from gql.commands.migrate import Migrator
from gql.database import connect
from gql.identity.auth import hash_password
from gql.identity.data_key import DataKey, DataKeyError
from gql.identity.sealing import check_data_key
from gql.postgres.embedded import tool_path
from gql.settings import Settings
from tests.support import GraphQLClient, ServerThread, drop, scratch_database
from tests.test_cli import run_cli
from tests.world import LOG_IN, PASSWORD, SIGN_UP

ME = "{ me { email displayName } }"


@pytest.fixture
async def database(server_url: str, migrated_template: str) -> AsyncIterator[str]:
    name, url = await scratch_database(server_url, template=migrated_template)
    yield url
    await drop(server_url, name)


def settings_in(data_dir: Path) -> Settings:
    return Settings.from_env({"GQL_DATA_DIR": str(data_dir)})


async def sign_in(settings: Settings, url: str, email: str, *, new: bool = False) -> str | None:
    """Sign up (new) or in over HTTP; the email `me` reports."""
    with ServerThread(create_app(settings, url)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            client = GraphQLClient(http)
            if new:
                await client.mutate(SIGN_UP, {"email": email, "password": PASSWORD, "name": "Private"})
                wrong = await client.mutate(LOG_IN, {"email": email, "password": "not the password"})
                assert wrong["errors"][0]["code"] == "UNAUTHENTICATED"
            payload = await client.mutate(LOG_IN, {"email": email, "password": PASSWORD})
            assert payload["errors"] == [], payload
            me = (await client.as_user(payload["token"]).data(ME))["me"]
            return str(me["email"])


async def rows_containing(url: str, text: str) -> dict[str, int]:
    conn = await connect(url)
    try:
        tables = await conn.fetch("select schemaname, tablename from pg_tables where schemaname = 'public'")
        found = {}
        for t in tables:
            count = await conn.fetchval(
                f'select count(*) from "{t["schemaname"]}"."{t["tablename"]}" r where r::text like $1',
                f"%{text}%")
            if count:
                found[t["tablename"]] = count
        return found
    finally:
        await conn.close()


async def test_emails_and_addresses_are_in_clear_nowhere_and_sign_in_works(
        database: str, tmp_path: Path) -> None:
    email = f"private-{uuid.uuid4().hex[:8]}@example.com"
    assert await sign_in(settings_in(tmp_path / "data"), database, email, new=True) == email
    assert await rows_containing(database, email) == {}
    assert await rows_containing(database, "127.0.0.1") == {}
    conn = await connect(database)
    try:  # ... yet the failed attempt was recorded, with its address sealed
        events = await conn.fetchval("select count(*) from security_events"
                                     " where kind = 'login_failed' and client_address_sealed is not null")
    finally:
        await conn.close()
    assert events == 1
    dump = tmp_path / "directory.dump"
    assert run_cli("backup", str(dump), env={**os.environ, "DATABASE_URL": database}).returncode == 0
    text = subprocess.run([str(tool_path("pg_restore")), "--file=-", str(dump)],
                          capture_output=True, check=True).stdout
    assert b"data_key_check" in text and email.encode() not in text and b"127.0.0.1" not in text


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # its startup fails
async def test_a_server_with_another_data_key_refuses_the_database(database: str, tmp_path: Path) -> None:
    email = f"keyed-{uuid.uuid4().hex[:8]}@example.com"
    first, second = settings_in(tmp_path / "first"), settings_in(tmp_path / "second")
    await sign_in(first, database, email, new=True)
    conn = await connect(database)
    try:
        with pytest.raises(DataKeyError, match="sealed with another data key"):
            await check_data_key(conn, second.data_key)
        await check_data_key(conn, settings_in(tmp_path / "first").data_key)  # a restart: same key
    finally:
        await conn.close()
    with pytest.raises(RuntimeError, match="did not start"), ServerThread(create_app(second, database)):
        pass


async def test_rows_written_in_clear_before_sealing_are_sealed_at_start(server_url: str, tmp_path: Path) -> None:
    name, url = await scratch_database(server_url)
    try:
        conn = await connect(url)
        try:
            await Migrator(conn).up(to=10)
            await conn.execute("insert into users (email, password_hash, display_name) values ($1, $2, 'Old')",
                               "old-timer@example.com", hash_password(PASSWORD))
            await conn.execute("insert into security_events (kind, email, client_address)"
                               " values ('login_failed', 'old-timer@example.com', '192.0.2.7')")
            await Migrator(conn).up()
        finally:
            await conn.close()
        assert await sign_in(settings_in(tmp_path), url, "Old-Timer@example.com") == "old-timer@example.com"
        assert await rows_containing(url, "old-timer") == {}
        assert await rows_containing(url, "192.0.2.7") == {}
    finally:
        await drop(server_url, name)


async def test_rotating_the_data_key_keeps_sign_in_working(database: str, tmp_path: Path) -> None:
    email = f"rotated-{uuid.uuid4().hex[:8]}@example.com"
    data_dir = tmp_path / "data"
    before = settings_in(data_dir)
    await sign_in(before, database, email, new=True)
    env = {**os.environ, "DATABASE_URL": database, "GQL_DATA_DIR": str(data_dir)}
    env.pop("GQL_DATA_KEY", None)
    rotated = run_cli("rotate-data-key", env=env)
    assert rotated.returncode == 0, rotated.stderr
    after = settings_in(data_dir)
    assert after.data_key.fingerprint != before.data_key.fingerprint
    assert oct((data_dir / "data-key").stat().st_mode & 0o777) == "0o600"
    assert await sign_in(after, database, email) == email
    conn: asyncpg.Connection = await connect(database)
    try:
        with pytest.raises(DataKeyError):
            await check_data_key(conn, before.data_key)
    finally:
        await conn.close()


def test_a_data_key_is_32_bytes_and_opens_only_what_it_sealed() -> None:
    with pytest.raises(DataKeyError, match="32 bytes"):
        DataKey.parse("c2hvcnQ")
    key, other = DataKey.parse(DataKey.new_text()), DataKey.parse(DataKey.new_text())
    sealed = key.seal("someone@example.com", "users.email")
    assert key.open(sealed, "users.email") == "someone@example.com"
    assert key.seal("someone@example.com", "users.email") != sealed  # a fresh nonce each time
    with pytest.raises(DataKeyError):
        other.open(sealed, "users.email")
    with pytest.raises(DataKeyError):  # bound to its column
        key.open(sealed, "security_events.client_address")
    assert key.lookup("a@b.c", "email") == key.lookup("a@b.c", "email") != other.lookup("a@b.c", "email")
