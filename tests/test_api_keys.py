"""API keys through the API: made by a signed-in user and shown once, a key acts as its user
within its scopes and businesses (the database refuses the rest), is counted and rate-limited,
and is refused at once when revoked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
import websockets

from gql.app import create_app
from gql.settings import Settings
from tests.conftest import WORLD_JWT_SECRET
from tests.support import FeedClient, GraphQLClient, ServerThread, wait_for
from tests.test_policies import UPDATE_BUSINESS
from tests.world import World

CREATE = """mutation($name: String!, $scopes: [ApiKeyScope!]!, $b: [ID!], $e: DateTime) {
  createApiKey(name: $name, scopes: $scopes, businessIds: $b, expiresAt: $e) {
    created { secret key { id prefix scopes businessIds requestCount } } errors { field code message } } }"""
REVOKE = """mutation($id: ID!) { revokeApiKey(id: $id) { key { revokedAt } errors { code } } }"""


async def make_key(world: World, scopes: list[str], businesses: list[str] | None = None) -> dict[str, Any]:
    made = await world.owner.client.mutate(CREATE, {"name": "booking system", "scopes": scopes, "b": businesses})
    assert made["errors"] == [], made
    created: dict[str, Any] = made["created"]
    assert created["secret"].startswith(created["key"]["prefix"])
    return created


def as_key(world: World, created: dict[str, Any]) -> GraphQLClient:
    return world.anonymous.as_user(created["secret"])


async def test_a_read_key_reads_as_its_user_and_cannot_write(world: World) -> None:
    reader = as_key(world, await make_key(world, ["READ"]))
    draft = await reader.data(f'{{ business(id: "{world.draft_id}") {{ name status }} }}')
    assert draft["business"] == {"name": "Draft Pizza", "status": "DRAFT"}, "the owner's draft, as the owner"
    refused = await reader.mutate(UPDATE_BUSINESS, {"id": world.listed_id, "input": {"name": "Key edit"}, "v": 1})
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"] and "write:business" in refused["errors"][0]["message"]
    no_keys = await reader.mutate(CREATE, {"name": "another", "scopes": ["READ"], "b": None})
    assert [e["code"] for e in no_keys["errors"]] == ["FORBIDDEN"], "a key cannot make keys"
    for account_business in ('mutation { signOutEverywhere { sessionsEnded errors { code } } }',
                             'mutation { requestEmailVerification { accepted errors { code } } }'):
        assert [e["code"] for e in (await reader.mutate(account_business))["errors"]] == ["FORBIDDEN"]
    other_key = await make_key(world, ["READ"])
    refused_revoke = await reader.mutate(REVOKE, {"id": other_key["key"]["id"]})
    assert [e["code"] for e in refused_revoke["errors"]] == ["FORBIDDEN"], "nor revoke them"


async def test_a_key_for_one_business_writes_that_one_only(world: World) -> None:
    writer = as_key(world, await make_key(world, ["WRITE_BUSINESS"], [world.listed_id]))
    version = (await world.anonymous.data(f'{{ business(id: "{world.listed_id}") {{ version }} }}'))["business"]["version"]
    done = await writer.mutate(UPDATE_BUSINESS, {"id": world.listed_id, "input": {"phone": "+1 512 555 0142"},
                                                 "v": version})
    assert done["errors"] == [], done
    other = await writer.mutate(UPDATE_BUSINESS, {"id": world.draft_id, "input": {"phone": "+1 512 555 0143"}, "v": 1})
    assert [e["code"] for e in other["errors"]] in (["FORBIDDEN"], ["NOT_FOUND"])
    assert (await writer.data(f'{{ business(id: "{world.draft_id}") {{ id }} }}'))["business"] is None, \
        "the draft of another business is not the key's to see"
    created = await writer.mutate("""mutation($input: BusinessInput!) { createBusiness(input: $input) {
      business { id } errors { code } } }""", {"input": world.business_input(name="Via key")})
    assert [e["code"] for e in created["errors"]] == ["FORBIDDEN"]
    business_scope = await world.other.client.mutate(CREATE, {"name": "x", "scopes": ["READ"], "b": [world.listed_id]})
    assert [(e["field"], e["code"]) for e in business_scope["errors"]] == [("businessIds", "FORBIDDEN")]


async def test_revoked_expired_and_made_up_keys_are_refused(world: World) -> None:
    created = await make_key(world, ["READ"])
    key = as_key(world, created)
    assert (await key.http.post("/graphql", json={"query": "{ me { id } }"},
                                headers={"authorization": f"Bearer {created['secret']}"})).status_code == 200
    revoked = await world.owner.client.mutate(REVOKE, {"id": created["key"]["id"]})
    assert revoked["key"]["revokedAt"] is not None
    answer = await key.http.post("/graphql", json={"query": "{ me { id } }"},
                                 headers={"authorization": f"Bearer {created['secret']}"})
    assert answer.status_code == 401 and "revoked" in answer.json()["errors"][0]["message"]
    assert [e["code"] for e in (await world.other.client.mutate(REVOKE, {"id": created["key"]["id"]}))["errors"]] == \
        ["NOT_FOUND"], "another user cannot touch it"

    expiring = await make_key(world, ["READ"])
    conn = await asyncpg.connect(world.url)
    try:
        await conn.execute("update api_keys set expires_at = now() - interval '1 second' where id = $1",
                           expiring["key"]["id"])
    finally:
        await conn.close()
    late = await key.http.post("/graphql", json={"query": "{ me { id } }"},
                               headers={"authorization": f"Bearer {expiring['secret']}"})
    assert late.status_code == 401 and "expired" in late.json()["errors"][0]["message"]
    made_up = await key.http.post("/graphql", json={"query": "{ me { id } }"},
                                  headers={"authorization": "Bearer gk_made-up"})
    assert made_up.status_code == 401 and "not valid" in made_up.json()["errors"][0]["message"]


@pytest.fixture
async def strict_server(world: World) -> AsyncIterator[ServerThread]:
    """The world's database behind a server that checks keys every 0.1 s and allows 5 a minute."""
    settings = Settings.from_env({"JWT_SECRET": WORLD_JWT_SECRET, "GQL_ACCOUNT_RECHECK_SECONDS": "0.1",
                                  "GQL_API_KEY_REQUESTS_PER_MINUTE": "5"})
    with ServerThread(create_app(settings, world.url)) as server:
        yield server


async def test_requests_are_counted_and_limited_per_key(world: World, strict_server: ServerThread) -> None:
    created = await make_key(world, ["READ"])
    headers = {"authorization": f"Bearer {created['secret']}"}
    async with httpx.AsyncClient(base_url=strict_server.url) as http:
        statuses = [(await http.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)).status_code
                    for _ in range(7)]
        assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
        limited = await http.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)
        assert limited.headers["retry-after"] == "1"

    async def counted() -> bool:  # (each process adds its count at its next look-up of the key)
        async with httpx.AsyncClient(base_url=strict_server.url) as http:
            await http.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)
        keys = (await world.owner.client.data("{ me { apiKeys { id requestCount lastUsedAt } } }"))["me"]["apiKeys"]
        (mine,) = [k for k in keys if k["id"] == created["key"]["id"]]
        return bool(mine["requestCount"] >= 5 and mine["lastUsedAt"])

    await wait_for(counted, timeout=20)


async def test_a_keys_open_socket_is_closed_when_it_is_revoked(world: World, strict_server: ServerThread) -> None:
    created = await make_key(world, ["READ"])
    async with FeedClient(strict_server.port, created["secret"]) as feed:
        await feed.subscribe("subscription { changes(topics: [CATEGORY]) { op } }")
        await world.owner.client.mutate(REVOKE, {"id": created["key"]["id"]})

        async def closed() -> bool:
            try:
                await feed.message(timeout=0.5)
            except websockets.ConnectionClosed as gone:
                return gone.rcvd is not None and gone.rcvd.code == 4403
            except TimeoutError:
                pass
            return False

        await wait_for(closed, timeout=15)


async def test_an_administrators_key_for_one_business_has_no_administrators_reach(world: World) -> None:
    made = await world.admin.client.mutate("""mutation($input: BusinessInput!) { createBusiness(input: $input, publish: true) {
      business { id } errors { code } } }""", {"input": world.business_input(name="Admin's own shop")})
    own = made["business"]["id"]
    created = (await world.admin.client.mutate(CREATE, {"name": "shop key", "scopes": ["WRITE_BUSINESS"], "b": [own]}))
    assert created["errors"] == [], created
    key = as_key(world, created["created"])
    version = (await world.anonymous.data(f'{{ business(id: "{world.listed_id}") {{ version }} }}'))["business"]["version"]
    elsewhere = await key.mutate(UPDATE_BUSINESS, {"id": world.listed_id, "input": {"phone": "+1 512 555 0177"},
                                                   "v": version})
    assert [e["code"] for e in elsewhere["errors"]] in (["FORBIDDEN"], ["NOT_FOUND"]), \
        "the administrator's powers do not come with a key limited to one business"
    suspend = await key.mutate("""mutation($id: ID!) { setBusinessStatus(id: $id, status: SUSPENDED) { errors { code } } }""",
                               {"id": world.listed_id})
    assert [e["code"] for e in suspend["errors"]] in (["FORBIDDEN"], ["NOT_FOUND"])
