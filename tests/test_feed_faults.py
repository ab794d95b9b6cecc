"""The sync feed keeps its promises under faults and at its edges: subscribers never pin the
pool, nested data is read afresh for every event, a database restart under writes loses and
repeats nothing, tombstones go only to those who could see the object, device ids only to
their own user."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from gql.database import connect
from gql.resolvers.changes import decode_change_cursor
from tests.support import FeedClient, GraphQLClient, ServerThread, wait_for
from tests.test_policies import CREATE_REVIEW, DELETE_BUSINESS, RESPOND, SET_STATUS, new_business
from tests.test_realtime import CHANGES, hub, hub_settled, rename
from tests.world import CREATE_BUSINESS, CREATE_CATEGORY, World, build_world, sign_up

NESTED = """subscription($topics: [ChangeTopic!]) { changes(topics: $topics) {
  cursor entityId node { ... on Business { id name primaryCategory { name ancestors { name } } owner { displayName } } } } }"""
UPDATE_CATEGORY = """mutation($id: ID!, $name: String!) {
  updateCategory(id: $id, input: {name: $name}) { category { name } errors { code } } }"""


async def transactions_left_open(url: str) -> int:
    conn = await connect(url)
    try:
        count: int = await conn.fetchval(
            "select count(*) from pg_stat_activity where datname = current_database()"
            " and state like 'idle in transaction%'")
        return count
    finally:
        await conn.close()


async def test_subscribers_with_nested_selections_hold_no_connection_between_events(world: World) -> None:
    business_id = await new_business(world)
    people = [await sign_up(world.anonymous, f"feed-{uuid.uuid4().hex[:8]}@example.com", f"Device {i}")
              for i in range(20)]
    async with FeedClient(world.port) as crowded:  # and one socket carrying ten subscriptions
        clients = [FeedClient(world.port, person.token) for person in people]
        for client in clients:
            await client.__aenter__()
        try:
            for client in clients:
                await client.subscribe(NESTED, {"topics": ["BUSINESS"]})
            for _ in range(10):
                await crowded.subscribe(NESTED, {"topics": ["BUSINESS"]})
            await hub_settled(world, 30)
            for i in range(10):
                await rename(world, business_id, f"Nested {i}")
            for client in [*clients, crowded]:
                events = await client.events(10, timeout=60)
                assert all(e["node"]["primaryCategory"]["name"] == "Pizza" for e in events)
                assert all(e["node"]["owner"]["displayName"] == "Owner" for e in events)
            assert await transactions_left_open(world.url) == 0
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{world.port}", timeout=5) as http:
                answer = await http.post("/graphql", json={"query": "{ categories { name } }"})
                assert answer.status_code == 200 and answer.json()["data"]["categories"]
                assert (await http.get("/health")).status_code == 200
        finally:
            for client in clients:
                await client.__aexit__()


async def test_nested_data_in_an_event_is_current(world: World) -> None:
    category = await world.admin.client.mutate(CREATE_CATEGORY, {"input": {
        "name": "Bakeries", "slug": f"bakeries-{uuid.uuid4().hex[:6]}"}})
    category_id = category["category"]["id"]
    created = await world.owner.client.mutate(CREATE_BUSINESS, {"input": world.business_input(
        name="Crumbs", primaryCategoryId=category_id), "publish": True, "key": None})
    business_id = created["business"]["id"]
    async with FeedClient(world.port) as client:
        await client.subscribe(NESTED, {"topics": ["BUSINESS"]})
        await hub_settled(world)
        await rename(world, business_id, "Crumbs I")
        event = await event_naming(client, "Crumbs I")
        assert event["node"]["primaryCategory"]["name"] == "Bakeries"
        renamed = await world.admin.client.mutate(UPDATE_CATEGORY, {"id": category_id, "name": "Bread"})
        assert renamed["errors"] == []
        await rename(world, business_id, "Crumbs II")
        event = await event_naming(client, "Crumbs II")
        assert event["node"]["primaryCategory"]["name"] == "Bread"


async def event_naming(client: FeedClient, name: str) -> dict[str, Any]:
    """The next event whose business has this name. (The creation, committed just before the
    subscription, may still reach it when the hub had not dispatched it yet: skip that.)"""
    for _ in range(3):
        (event,) = await client.events(1)
        if event["node"]["name"] == name:
            return event
    raise AssertionError(f"no event with the business named {name!r}")


async def a_public_sentinel(world: World) -> str:
    """A change everybody may see, to prove that nothing came before it."""
    return await new_business(world)


async def test_no_tombstone_for_a_response_nobody_public_could_see(world: World) -> None:
    business_id = await new_business(world)
    review = await world.reviewer.client.mutate(CREATE_REVIEW, {"input": {
        "businessId": business_id, "rating": 4, "content": "Good bread"}})
    review_id = review["review"]["id"]
    start = (await world.anonymous.data("{ changes(first: 0) { endCursor } }"))["changes"]["endCursor"]
    async with FeedClient(world.port) as anonymous:
        await anonymous.subscribe(CHANGES, {"topics": ["BUSINESS", "REVIEW"]})
        await hub_settled(world)
        await world.owner.client.mutate(SET_STATUS, {"id": business_id, "status": "DRAFT"})
        (unlisted,) = await anonymous.events(1)  # the listing went away: a tombstone, rightly
        assert unlisted["entityId"] == business_id and unlisted["tombstone"] is True
        answered = await world.owner.client.mutate(RESPOND, {"id": review_id, "content": "Thanks!"})
        assert answered["errors"] == []
        sentinel = await a_public_sentinel(world)
        (next_event,) = await anonymous.events(1)
        assert next_event["entityId"] == sentinel  # nothing about the draft's response before it
    conn = await connect(world.url)
    response_id = str(await conn.fetchval("select id from review_responses where review_id = $1", review_id))
    await conn.close()
    page = (await world.anonymous.data(
        "query($a: String) { changes(after: $a, first: 100) { events { entityId } } }", {"a": start}))["changes"]
    assert response_id not in [e["entityId"] for e in page["events"]]


async def test_a_manager_gets_the_tombstone_of_a_draft_the_owner_deleted(world: World) -> None:
    draft = await new_business(world, publish=False)  # new_business makes world.manager its manager
    async with FeedClient(world.port, world.manager.token) as manager, FeedClient(world.port) as anonymous:
        for client in (manager, anonymous):
            await client.subscribe(CHANGES, {"topics": ["BUSINESS"]})
        await hub_settled(world, 2)
        deleted = await world.owner.client.mutate(DELETE_BUSINESS, {"id": draft})
        assert deleted["errors"] == []
        (event,) = await manager.events(1)
        assert event["entityId"] == draft and event["tombstone"] is True and event["node"] is None
        sentinel = await a_public_sentinel(world)
        (event,) = await anonymous.events(1)
        assert event["entityId"] == sentinel  # the public never knew the draft, nor its end


async def test_a_device_id_is_checked_like_the_argument(world: World) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{world.port}") as http:
        answer = await http.post("/graphql", json={"query": "{ categories { name } }"},
                                 headers={"X-Client-Id": "x" * 60_000})
    assert answer.status_code == 400
    assert "X-Client-Id" in answer.json()["errors"][0]["message"]
    async with websockets.connect(f"ws://127.0.0.1:{world.port}/graphql",
                                  subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {"clientId": "x" * 201}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


# -- a database restart while a writer keeps writing -----------------------------------------

RESTARTS = {"fast": ("fast", 0.0), "immediate": ("immediate", 0.0), "down-5s": ("fast", 5.0)}
UPDATE = """mutation($id: ID!, $name: String!, $v: Int!, $client: String) {
  updateBusiness(id: $id, input: {name: $name}, expectedVersion: $v, clientId: $client) {
    business { version } errors { code } } }"""


class Writer:
    """Renames one business through the API as fast as it is answered, tagging each write with
    its number; counts what was acknowledged and checks that every failure is a retryable 503."""

    def __init__(self, http: httpx.AsyncClient, token: str, business_id: str) -> None:
        self.http, self.token, self.business_id = http, token, business_id
        self.acknowledged: list[str] = []
        self.unavailable = 0
        self.stop = asyncio.Event()

    async def _post(self, query: str, variables: dict[str, Any]) -> dict[str, Any] | None:
        answer = await self.http.post("/graphql", json={"query": query, "variables": variables},
                                      headers={"authorization": f"Bearer {self.token}"})
        body: dict[str, Any] = answer.json()
        if answer.status_code == 503:
            assert answer.headers["retry-after"], answer.headers
            assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE", body
            self.unavailable += 1
            return None
        assert answer.status_code == 200 and not body.get("errors"), (answer.status_code, body)
        return body["data"]  # type: ignore[no-any-return]

    async def run(self) -> None:
        version: int | None = None
        number = 0
        while not self.stop.is_set():
            if version is None:  # after an unknown outcome, read where the business stands
                data = await self._post('query($id: ID!) { business(id: $id) { version } }', {"id": self.business_id})
                version = data["business"]["version"] if data else None
                continue
            number += 1
            tag = f"w-{number}"
            data = await self._post(UPDATE, {"id": self.business_id, "name": tag, "v": version, "client": tag})
            if data is None:
                version = None
                continue
            payload = data["updateBusiness"]
            assert payload["errors"] == [], payload
            self.acknowledged.append(tag)
            version = payload["business"]["version"]


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="restarts an embedded cluster of its own; run once")
@pytest.mark.parametrize("restart", list(RESTARTS))
async def test_a_restart_under_writes_loses_and_repeats_nothing(tmp_path: Path, restart: str) -> None:
    from gql.app import create_app
    from gql.commands.migrate import Migrator
    from gql.database import ensure_database
    from gql.postgres.embedded import EmbeddedPostgres
    from gql.settings import Settings
    from tests.conftest import WORLD_JWT_SECRET

    os.chmod(tmp_path, 0o755)
    cluster = EmbeddedPostgres(tmp_path)
    url = await ensure_database(cluster.start(), "restart")
    conn = await connect(url)
    await Migrator(conn).up()
    await conn.close()
    mode, down_seconds = RESTARTS[restart]
    try:
        settings = Settings.from_env({"JWT_SECRET": WORLD_JWT_SECRET})
        with ServerThread(create_app(settings, url)) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
                world = await build_world(url, GraphQLClient(http))
                world.server = server
                business_id = world.listed_id
                owners = [FeedClient(server.port, world.owner.token) for _ in range(3)]
                strangers = [FeedClient(server.port) for _ in range(2)]
                subscribers = [*owners, *strangers]
                for client in subscribers:
                    await client.__aenter__()
                    await client.subscribe(CHANGES, {"topics": ["BUSINESS"], "business": business_id})
                await hub_settled(world, 5)
                started_at = hub(world).position
                writer = Writer(http, world.owner.token, business_id)
                writing = asyncio.create_task(writer.run())
                await wait_for(lambda: _at_least(writer, writing, 20), timeout=30)
                await asyncio.to_thread(cluster.restart, mode, down_seconds)
                before = len(writer.acknowledged)
                await wait_for(lambda: _at_least(writer, writing, before + 20), timeout=60)  # writes go on after
                writer.stop.set()
                await writing
                conn = await connect(url)
                logged = [row["seq"] for row in await conn.fetch(
                    "select seq from change_log where entity_id = $1 and seq > $2 order by seq",
                    business_id, started_at)]
                await conn.close()
                assert logged and len(logged) >= len(writer.acknowledged)
                delivered = {client: await client.events(len(logged), timeout=120) for client in subscribers}
                for events in delivered.values():  # every change in the log, once, in order
                    assert [decode_change_cursor(e["cursor"]) for e in events] == logged
                for client in owners:  # and among them every acknowledged write, in order
                    tags = [e["clientId"] for e in delivered[client]]
                    assert [t for t in tags if t in set(writer.acknowledged)] == writer.acknowledged
                for client in subscribers:
                    await client.__aexit__()
                assert hub(world).reconnects >= 1
    finally:
        cluster.stop()


async def _at_least(writer: Writer, writing: asyncio.Task[None], count: int) -> bool:
    if writing.done():
        writing.result()  # the writer's own assertion, if it failed
    return len(writer.acknowledged) >= count


async def test_a_socket_never_holds_more_pool_connections_than_its_slots(seeded_url: str) -> None:
    """What bounds a WebSocket: its units of work share two slots, whatever they are for."""
    from gql.app import MAX_CONNECTIONS_PER_SOCKET
    from gql.database import RequestDatabase, create_pool

    pool = await create_pool(seeded_url, min_size=1, max_size=10)
    slots = asyncio.Semaphore(MAX_CONNECTIONS_PER_SOCKET)
    units = [RequestDatabase(pool, slots=slots) for _ in range(MAX_CONNECTIONS_PER_SOCKET + 1)]
    try:
        *holding, third = units
        for db in holding:
            assert await db.fetchval("select 1") == 1
        waiting = asyncio.create_task(third.fetchval("select 2"))
        done, _ = await asyncio.wait({waiting}, timeout=0.5)
        assert not done  # no third connection while two are held
        await holding[0].finish(commit=False)
        assert await waiting == 2  # the freed slot goes to it
        assert pool.get_size() - pool.get_idle_size() == MAX_CONNECTIONS_PER_SOCKET
    finally:
        for db in units:
            await db.finish(commit=False)
        async with asyncio.timeout(30):
            await pool.close()


async def test_a_mutation_over_websocket_is_committed_before_its_result_is_sent(world: World) -> None:
    """Over WebSocket the result goes out while the operation is still open: the transaction
    must end first, so that a client is never told of a write whose commit then failed. A
    deferred check that fails at COMMIT makes the failure certain."""
    business_id = await new_business(world)
    conn = await connect(world.url)
    await conn.execute("""
        create function refuse_at_commit() returns trigger language plpgsql as $$
        begin
            if new.name = 'Refused at commit' then raise exception 'refused at commit'; end if;
            return null;
        end $$;
        create constraint trigger refuse_at_commit after update on businesses
            deferrable initially deferred for each row execute function refuse_at_commit();""")
    try:
        version = (await world.owner.client.data(f'{{ business(id: "{business_id}") {{ version }} }}'))["business"]["version"]
        async with FeedClient(world.port, world.owner.token) as socket:
            await socket.subscribe(UPDATE.replace("$client: String", "$client: String = null"),
                                   {"id": business_id, "name": "Refused at commit", "v": version})
            reply = await socket.message()
            assert reply["type"] == "error", reply  # not a `next` claiming success
            assert reply["payload"][0]["message"] == "Unexpected error."
            await socket.subscribe(UPDATE.replace("$client: String", "$client: String = null"),
                                   {"id": business_id, "name": "Accepted", "v": version})
            reply = await socket.message()
            assert reply["payload"]["data"]["updateBusiness"]["errors"] == []
        seen = await world.anonymous.data(f'{{ business(id: "{business_id}") {{ name }} }}')
        assert seen["business"]["name"] == "Accepted"
    finally:
        await conn.execute("drop trigger refuse_at_commit on businesses; drop function refuse_at_commit()")
        await conn.close()
