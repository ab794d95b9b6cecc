"""Fixtures: a real PostgreSQL (embedded, or DATABASE_URL's server), a migrated and seeded
database, and the app served over real HTTP on a loopback port."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from gql.app import create_app
from gql.commands.migrate import Migrator
from gql.commands.seed import SeedOptions, seed_database
from gql.database import connect
from gql.postgres.embedded import EmbeddedPostgres
from gql.settings import Settings
from tests.support import GraphQLClient, ServerThread, drop, scratch_database
from tests.world import World, build_world

WORLD_JWT_SECRET = "test-secret-for-the-world-fixture-0123456789"

# The data set every read test shares: small enough to load in a second, big enough for
# several pages, ties in every order, and businesses of every status.
TEST_SEED = SeedOptions(businesses=300, reviews=2000, seed=7)


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """Maintenance URL of the PostgreSQL server the tests create their databases on."""
    external = os.environ.get("DATABASE_URL")
    if external:
        yield external
        return
    with tempfile.TemporaryDirectory(prefix="gql-test-") as tmp:
        os.chmod(tmp, 0o755)  # as root, the server runs as another user and must get in
        cluster = EmbeddedPostgres(Path(tmp))
        url = cluster.start()
        try:
            yield url
        finally:
            cluster.stop()


@pytest.fixture(scope="session")
async def migrated_template(server_url: str) -> AsyncIterator[str]:
    """Name of a migrated, empty database that the others are cloned from: migrations run
    once per session, and a clone takes a fraction of a second."""
    name, url = await scratch_database(server_url)
    conn = await connect(url)
    try:
        await Migrator(conn).up()
    finally:
        await conn.close()
    yield name
    await drop(server_url, name)


@pytest.fixture(scope="session")
async def seeded_database(server_url: str, migrated_template: str) -> AsyncIterator[tuple[str, str]]:
    """(name, url) of a migrated database holding the TEST_SEED data set. Read-only."""
    name, url = await scratch_database(server_url, template=migrated_template)
    conn = await connect(url)
    try:
        await seed_database(conn, TEST_SEED, quiet=True)
    finally:
        await conn.close()
    yield name, url
    await drop(server_url, name)


@pytest.fixture(scope="session")
def seeded_url(seeded_database: tuple[str, str]) -> str:
    return seeded_database[1]


@pytest.fixture
async def db(seeded_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection to the seeded database, for checking answers against SQL."""
    conn = await connect(seeded_url)
    yield conn
    await conn.close()


@pytest.fixture(scope="session")
def test_settings() -> Settings:
    return Settings.from_env({"GQL_DEBUG_SQL": "1"})


@pytest.fixture(scope="session")
def api_server(seeded_url: str, test_settings: Settings) -> Iterator[ServerThread]:
    with ServerThread(create_app(test_settings, seeded_url)) as server:
        yield server


@pytest.fixture
async def client(api_server: ServerThread) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=api_server.url, timeout=30) as http:
        yield GraphQLClient(http)


@pytest.fixture
async def fresh_database(server_url: str, migrated_template: str) -> AsyncIterator[str]:
    """URL of a new, migrated, empty database of this test's own."""
    name, url = await scratch_database(server_url, template=migrated_template)
    yield url
    await drop(server_url, name)


@pytest.fixture(scope="module")
async def world(server_url: str, migrated_template: str) -> AsyncIterator[World]:
    """A migrated database with people in every role and their businesses, served over HTTP.
    Shared by the tests of one module; tests make their own rows when they change things."""
    name, url = await scratch_database(server_url, template=migrated_template)
    settings = Settings.from_env({"JWT_SECRET": WORLD_JWT_SECRET})
    with ServerThread(create_app(settings, url)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            built = await build_world(url, GraphQLClient(http))
            built.server = server
            yield built
    await drop(server_url, name)
