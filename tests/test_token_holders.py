"""Tokens die with what they stand for: a deleted account's token is refused over HTTP and its
open socket closed; a revoked role stops counting; credentials that are not a string are
refused."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import websockets

from gql.app import create_app
from gql.database import connect
from gql.settings import Settings
from tests.conftest import WORLD_JWT_SECRET
from tests.support import FeedClient, GraphQLClient, ServerThread
from tests.world import World, log_in, sign_up

ME = "{ me { id roles } }"
ADMIN_ONLY = "{ platformStats { refreshedAt } }"


@pytest.fixture(scope="module")
async def strict(world: World) -> AsyncIterator[ServerThread]:
    """A second server on the world's database that re-checks accounts at once."""
    settings = Settings.from_env({"JWT_SECRET": WORLD_JWT_SECRET, "GQL_ACCOUNT_RECHECK_SECONDS": "0"})
    with ServerThread(create_app(settings, world.url)) as server:
        yield server


async def test_a_deleted_accounts_token_is_refused_and_its_socket_closed(world: World, strict: ServerThread) -> None:
    person = await sign_up(world.anonymous, f"gone-{uuid.uuid4().hex[:8]}@example.com", "Soon Gone")
    async with httpx.AsyncClient(base_url=strict.url) as http:
        client = GraphQLClient(http, person.token)
        assert (await client.data(ME))["me"]["id"] == person.id
        async with FeedClient(strict.port, person.token) as socket:
            await socket.subscribe("subscription { changes { cursor } }")
            conn = await connect(world.url)
            await conn.execute("update users set deleted_at = now() where id = $1", person.id)
            await conn.close()
            answer = await http.post("/graphql", json={"query": ME}, headers={"authorization": f"Bearer {person.token}"})
            assert answer.status_code == 401 and "no longer exists" in answer.json()["errors"][0]["message"]
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await socket.message(timeout=15)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_a_revoked_admin_role_stops_counting(world: World, strict: ServerThread) -> None:
    person = await sign_up(world.anonymous, f"demoted-{uuid.uuid4().hex[:8]}@example.com", "Demoted")
    conn = await connect(world.url)
    await conn.execute("insert into user_roles (user_id, role) values ($1, 'admin')", person.id)
    admin = await log_in(world.anonymous, person.email)  # a token that says admin
    async with httpx.AsyncClient(base_url=strict.url) as http:
        client = GraphQLClient(http, admin.token)
        assert (await client.data(ADMIN_ONLY))["platformStats"]
        await conn.execute("delete from user_roles where user_id = $1", person.id)
        assert (await client.data(ME))["me"]["roles"] == []
        assert (await client.execute(ADMIN_ONLY)).get("errors")
    await conn.close()


@pytest.mark.parametrize("credentials", [["Bearer x"], 42, {"token": "x"}])
async def test_credentials_that_are_not_a_string_are_refused(world: World, credentials: object) -> None:
    async with websockets.connect(f"ws://127.0.0.1:{world.port}/graphql",
                                  subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": credentials}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
