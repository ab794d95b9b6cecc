"""The sync feed with real WebSocket clients against a running server: delivery across
clients and processes, order and exactly-once under concurrent writers, recovery from a lost
LISTEN connection and a database restart, cursors, visibility, token expiry, and bounds."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import random
from typing import Any

import pytest

from gql.database import connect
from gql.identity.auth import issue_token
from gql.realtime.listener import APPLICATION_NAME as LISTENER_APPLICATION_NAME
from gql.resolvers.changes import decode_change_cursor
from tests.conftest import WORLD_JWT_SECRET
from tests.support import FeedClient, ServerThread, serve_in_subprocess, wait_for
from tests.test_policies import CREATE_REVIEW, SET_STATUS, UPDATE_BUSINESS, new_business
from tests.world import World

EVENT = "cursor op entity entityId businessId clientId tombstone node { __typename ... on Business { id name status } ... on Review { id rating reviewStatus: status } }"
CHANGES = f"subscription($after: String, $topics: [ChangeTopic!], $business: ID) {{ changes(after: $after, topics: $topics, businessId: $business) {{ {EVENT} }} }}"
BUSINESS_CHANGED = f"subscription($id: ID!) {{ businessChanged(id: $id) {{ {EVENT} }} }}"
REVIEWS_CHANGED = f"subscription($id: ID!) {{ reviewsChanged(businessId: $id) {{ {EVENT} }} }}"


def hub(world: World) -> Any:
    assert world.server is not None
    return world.server.server.config.app.state.graphql.hub


async def rename(world: World, business_id: str, name: str, client_id: str | None = None) -> int:
    """Rename as the owner (at its current version); returns the new version."""
    current = await world.owner.client.data(f'{{ business(id: "{business_id}") {{ version }} }}')
    payload = await world.owner.client.mutate(
        UPDATE_BUSINESS.replace("$v: Int!)", "$v: Int!, $client: String)").replace(
            "expectedVersion: $v)", "expectedVersion: $v, clientId: $client)"),
        {"id": business_id, "input": {"name": name}, "v": current["business"]["version"], "client": client_id})
    assert payload["errors"] == [], payload
    version: int = payload["business"]["version"]
    return version


async def test_a_change_on_one_device_reaches_the_others(world: World) -> None:
    business_id = await new_business(world)
    async with FeedClient(world.port) as stranger, FeedClient(world.port, world.owner.token) as laptop:
        await stranger.subscribe(CHANGES, {"topics": ["BUSINESS"]})
        await laptop.subscribe(BUSINESS_CHANGED, {"id": business_id})
        await hub_settled(world, 2)
        await rename(world, business_id, "Renamed on the phone", client_id="phone-1")
        for device, client_id in ((stranger, None), (laptop, "phone-1")):
            (event,) = await device.events(1)
            assert event["op"] == "UPDATE" and event["entity"] == "Business"
            # The device id is the owner's business: only the owner's own devices see it.
            assert event["entityId"] == business_id and event["clientId"] == client_id
            assert event["node"] == {"__typename": "Business", "id": business_id,
                                     "name": "Renamed on the phone", "status": "ACTIVE"}
            assert event["tombstone"] is False


async def test_subscribers_sharing_an_event_still_get_the_answer_to_their_own_variables(world: World) -> None:
    # One execution is shared by subscribers with the same identity, document and variables:
    # never across different variables.
    query = ("subscription($named: Boolean!) { businessChanged(id: \"%s\") { entityId "
             "node { ... on Business { id name @include(if: $named) } } } }")
    business_id = await new_business(world)
    document = query % business_id
    async with FeedClient(world.port) as named, FeedClient(world.port) as unnamed, \
            FeedClient(world.port) as named_too:
        await named.subscribe(document, {"named": True})
        await unnamed.subscribe(document, {"named": False})
        await named_too.subscribe(document, {"named": True})
        await hub_settled(world, 3)
        await rename(world, business_id, "Shared but not the same")
        expected = {"id": business_id, "name": "Shared but not the same"}
        assert (await named.events(1))[0]["node"] == expected
        assert (await named_too.events(1))[0]["node"] == expected
        assert (await unnamed.events(1))[0]["node"] == {"id": business_id}


async def test_reviews_changed_follows_one_business(world: World) -> None:
    business_id = await new_business(world)
    other_business = await new_business(world)
    async with FeedClient(world.port) as client:
        await client.subscribe(REVIEWS_CHANGED, {"id": business_id})
        await hub_settled(world)
        await world.reviewer.client.mutate(CREATE_REVIEW, {"input": {
            "businessId": other_business, "rating": 3, "content": "Elsewhere"}})
        created = await world.reviewer.client.mutate(CREATE_REVIEW, {"input": {
            "businessId": business_id, "rating": 4, "content": "Here"}})
        (event,) = await client.events(1)
        assert event["entity"] == "Review" and event["op"] == "INSERT"
        assert event["node"] == {"__typename": "Review", "id": created["review"]["id"], "rating": 4,
                                 "reviewStatus": "PUBLISHED"}


async def hub_settled(world: World, subscriptions: int = 1) -> None:
    """Wait until the server's hub holds exactly this many subscriptions (every earlier
    test's are gone, this test's are registered)."""
    assert world.server is not None
    app = world.server.server.config.app.state.graphql

    async def ready() -> bool:
        return bool(app.subscription_count == subscriptions)

    await wait_for(ready)


async def test_twenty_interleaved_writers_every_event_once_in_order(world: World) -> None:
    businesses = [await new_business(world) for _ in range(20)]
    owner = world.owner.id
    async with FeedClient(world.port) as first, FeedClient(world.port, world.owner.token) as second:
        for client in (first, second):
            await client.subscribe(CHANGES, {"topics": ["BUSINESS"]})
        await hub_settled(world, 2)

        async def writer(index: int) -> None:
            rng = random.Random(index)
            conn = await connect(world.url)
            try:
                for round_ in range(3):
                    async with conn.transaction():
                        await conn.execute(
                            "select set_config('role', 'gql_user', true),"
                            " set_config('request.jwt.claims', $1, true)", json.dumps({"sub": owner}))
                        await conn.execute("update businesses set description = $1 where id = $2",
                                           f"writer {index} round {round_}", businesses[index])
                        await asyncio.sleep(rng.uniform(0, 0.05))  # commit in a shuffled order
            finally:
                await conn.close()

        await asyncio.gather(*(writer(i) for i in range(20)))
        for client in (first, second):
            events = await client.events(60, timeout=30)
            positions = [decode_change_cursor(e["cursor"]) for e in events]
            assert positions == sorted(positions) and len(set(positions)) == 60
            per_business: dict[str, list[str]] = {}
            for event in events:
                per_business.setdefault(event["entityId"], []).append(event["node"]["name"])
            assert set(per_business) == set(businesses)
            assert all(len(v) == 3 for v in per_business.values())


async def test_killing_the_listen_connection_loses_nothing(world: World) -> None:
    business_id = await new_business(world)
    feed_hub = hub(world)
    async with FeedClient(world.port) as client:
        await client.subscribe(BUSINESS_CHANGED, {"id": business_id})
        await hub_settled(world)
        reconnects = feed_hub.reconnects
        conn = await connect(world.url)
        try:
            killed = await conn.fetchval(
                "select count(pg_terminate_backend(pid)) from pg_stat_activity"
                " where application_name = $1 and datname = current_database()", LISTENER_APPLICATION_NAME)
        finally:
            await conn.close()
        assert killed == 1
        await rename(world, business_id, "Changed while the listener was down")
        (event,) = await client.events(1)
        assert event["node"]["name"] == "Changed while the listener was down"
        await rename(world, business_id, "Changed after it came back")
        (event,) = await client.events(1)
        assert event["node"]["name"] == "Changed after it came back"
    assert feed_hub.reconnects > reconnects


async def test_a_client_reconnecting_with_its_cursor_gets_exactly_what_it_missed(world: World) -> None:
    business_id = await new_business(world)
    async with FeedClient(world.port) as client:
        await client.subscribe(BUSINESS_CHANGED, {"id": business_id})
        await hub_settled(world)
        await rename(world, business_id, "Seen")
        (seen,) = await client.events(1)
    for name in ("Missed 1", "Missed 2", "Missed 3"):
        await rename(world, business_id, name)
    subscription = BUSINESS_CHANGED.replace("($id: ID!)", "($id: ID!, $after: String)").replace(
        "businessChanged(id: $id)", "businessChanged(id: $id, after: $after)")
    async with FeedClient(world.port) as client:
        await client.subscribe(subscription, {"id": business_id, "after": seen["cursor"]})
        missed = await client.events(3)
        # Three updates, in order, each carrying the business as it is now.
        assert [e["op"] for e in missed] == ["UPDATE"] * 3
        assert len({e["cursor"] for e in missed} | {seen["cursor"]}) == 4
        assert [e["node"]["name"] for e in missed] == ["Missed 3"] * 3
        await rename(world, business_id, "Live again")
        (live,) = await client.events(1)
        assert live["node"]["name"] == "Live again"


async def test_others_never_receive_drafts_or_pending_reviews_but_get_tombstones(world: World) -> None:
    listed = await new_business(world)
    async with FeedClient(world.port) as anonymous, FeedClient(world.port, world.other.token) as other, \
            FeedClient(world.port, world.owner.token) as owner:
        for client in (anonymous, other, owner):
            await client.subscribe(CHANGES, {"topics": ["BUSINESS", "REVIEW"]})
        await hub_settled(world, 3)
        draft = await new_business(world, publish=False)          # hidden from strangers
        pending = await world.reviewer.client.mutate(CREATE_REVIEW, {"input": {
            "businessId": listed, "rating": 2, "content": "visit http://spam.example"}})
        assert pending["review"]["status"] == "PENDING"
        await world.owner.client.mutate(SET_STATUS, {"id": listed, "status": "DRAFT"})  # unpublish
        for client in (anonymous, other):
            (event,) = await client.events(1)  # the first thing they see is the tombstone
            assert event["entityId"] == listed and event["tombstone"] is True and event["node"] is None
        owner_events = await owner.events(2)  # the owner sees its draft, and its listing unpublished
        assert [(e["entityId"], e["tombstone"]) for e in owner_events] == [(draft, False), (listed, False)]
        assert owner_events[1]["node"]["status"] == "DRAFT"


async def test_an_expired_token_closes_the_socket(world: World) -> None:
    from uuid import UUID

    short, _ = issue_token(UUID(world.other.id), [], WORLD_JWT_SECRET, ttl_seconds=2)
    async with FeedClient(world.port, short) as client:
        await client.subscribe(CHANGES, {})
        with pytest.raises(Exception) as closed:
            await client.message(timeout=15)
        assert getattr(getattr(closed.value, "rcvd", None), "code", None) == 4403


async def first_reply(client: FeedClient, op_id: str) -> str:
    while True:
        message = await client.message()
        if message.get("id") == op_id and message["type"] in ("next", "error"):
            return json.dumps(message)


async def test_bad_arguments_name_the_argument(world: World) -> None:
    async with FeedClient(world.port) as client:
        text = await first_reply(client, await client.subscribe(CHANGES, {"after": "not-a-cursor"}))
        assert '\\"after\\"' in text and "cursor" in text
        text = await first_reply(client, await client.subscribe(CHANGES, {"topics": ["GOSSIP"]}))
        assert "GOSSIP" in text and "ChangeTopic" in text
        text = await first_reply(client, await client.subscribe(BUSINESS_CHANGED, {"id": "123"}))
        assert '\\"id\\"' in text


async def test_flooding_subscriptions_hits_the_per_connection_limit(world: World) -> None:
    async with FeedClient(world.port) as client:
        for _ in range(50):
            await client.subscribe(CHANGES, {})
        await client.subscribe(CHANGES, {})
        message = await client.message()
        assert message["type"] == "error" and "limit" in json.dumps(message).lower()


async def test_catching_up_over_http(world: World) -> None:
    business_id = await new_business(world)
    start = (await world.anonymous.data("{ changes(first: 100) { endCursor } }"))["changes"]["endCursor"]
    while True:  # walk to the end of the log
        page = (await world.anonymous.data("query($a: String) { changes(after: $a, first: 100) { endCursor hasMore } }",
                                           {"a": start}))["changes"]
        if not page["hasMore"]:
            start = page["endCursor"]
            break
        start = page["endCursor"]
    for name in ("One", "Two", "Three"):
        await rename(world, business_id, name)
    names = []
    after = start
    for _ in range(10):
        page = (await world.anonymous.data(
            f"query($a: String) {{ changes(after: $a, first: 1) {{ events {{ {EVENT} }} endCursor hasMore }} }}",
            {"a": after}))["changes"]
        names += [e["node"]["name"] for e in page["events"] if e["entityId"] == business_id]
        after = page["endCursor"]
        if not page["hasMore"]:
            break
    assert names == ["Three"] * 3  # three updates, each carrying the business as it is now
    message = await world.anonymous.error("{ changes(after: \"nope\") { endCursor } }")
    assert '"after"' in message


@pytest.mark.parametrize("window", [10_000, 64])
async def test_a_commit_of_1100_changes_reaches_a_fast_subscriber_in_full(fresh_database: str, window: int) -> None:
    """A bulk commit is not a slow consumer: every change arrives, in order. With a window
    smaller than the commit, the subscriber reads what the window no longer holds from the log."""
    from gql.app import create_app
    from gql.realtime.settings import HubSettings
    from gql.settings import Settings

    settings = dataclasses.replace(Settings.from_env({}), hub=HubSettings(window=window))
    conn = await connect(fresh_database)
    await conn.execute("insert into categories (slug, name) values ('c', 'C')")
    with ServerThread(create_app(settings, fresh_database)) as server:
        async with FeedClient(server.port) as client:
            await client.subscribe(CHANGES, {"topics": ["CATEGORY"]})

            async def registered() -> bool:
                return bool(server.server.config.app.state.graphql.subscription_count == 1)

            await wait_for(registered)
            async with conn.transaction():  # one commit, more changes than the window holds
                for i in range(1100):
                    await conn.execute("update categories set description = $1", str(i))
            events = await client.events(1100, timeout=120)
            positions = [decode_change_cursor(e["cursor"]) for e in events]
            assert positions == sorted(set(positions)) and len(positions) == 1100
            assert all(e["op"] == "UPDATE" and e["entity"] == "Category" for e in events)
    await conn.close()


async def test_a_cursor_older_than_the_retained_log_must_resync(fresh_database: str) -> None:
    import httpx

    from gql.app import create_app
    from gql.resolvers.changes import encode_change_cursor
    from gql.settings import Settings

    conn = await connect(fresh_database)
    await conn.execute("insert into categories (slug, name) values ('a', 'A'), ('b', 'B')")
    await conn.execute("select api_private.prune_change_log(interval '0 seconds')")
    await conn.close()
    with ServerThread(create_app(Settings.from_env({}), fresh_database)) as server:
        async with httpx.AsyncClient(base_url=server.url) as http:
            body = (await http.post("/graphql", json={
                "query": "query($a: String) { changes(after: $a) { endCursor } }",
                "variables": {"a": encode_change_cursor(1)}})).json()
        assert body["errors"][0]["extensions"]["code"] == "RESYNC_REQUIRED"
        async with FeedClient(server.port) as client:
            await client.subscribe(CHANGES, {"after": encode_change_cursor(0)})
            message = await client.message()
            assert "RESYNC_REQUIRED" in json.dumps(message)


async def test_a_database_restart_loses_nothing(tmp_path: Any) -> None:
    """On a cluster of its own (embedded), restarted while a client is subscribed."""
    import subprocess

    from gql.app import create_app
    from gql.commands.migrate import Migrator
    from gql.database import ensure_database
    from gql.postgres.embedded import EmbeddedPostgres
    from gql.settings import Settings

    os.chmod(tmp_path, 0o755)
    cluster = EmbeddedPostgres(tmp_path)
    url = await ensure_database(cluster.start(), "restart")
    conn = await connect(url)
    await Migrator(conn).up()
    await conn.execute("insert into categories (slug, name) values ('before', 'Before')")
    await conn.close()
    try:
        with ServerThread(create_app(Settings.from_env({}), url)) as server:
            feed_hub = server.server.config.app.state.graphql.hub
            async with FeedClient(server.port) as client:
                await client.subscribe(CHANGES, {"topics": ["CATEGORY"]})

                async def registered() -> bool:
                    return bool(server.server.config.app.state.graphql.subscription_count == 1)

                await wait_for(registered)
                await asyncio.to_thread(cluster.restart)
                conn = await connect(url)  # the first write after the restart
                await conn.execute("update categories set name = 'During recovery' where slug = 'before'")
                await conn.execute("insert into categories (slug, name) values ('after', 'After')")
                await conn.close()
                events = await client.events(2, timeout=60)
                assert [(e["op"], e["entity"]) for e in events] == [("UPDATE", "Category"), ("INSERT", "Category")]
                assert feed_hub.reconnects >= 1
    except subprocess.CalledProcessError as exc:
        raise AssertionError(exc.stderr) from exc
    finally:
        cluster.stop()


async def test_two_server_processes_deliver_each_others_changes(world: World) -> None:
    import signal

    from tests.test_cli import free_port
    from tests.world import GraphQLClient

    port = free_port()
    process = await serve_in_subprocess(port, {**os.environ, "DATABASE_URL": world.url, "JWT_SECRET": WORLD_JWT_SECRET,
                                               "LOG_LEVEL": "WARNING"})
    try:
        import httpx

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            owner_there = GraphQLClient(http, world.owner.token)
            business_id = await new_business(world)
            async with FeedClient(world.port) as here, FeedClient(port) as there:
                await here.subscribe(BUSINESS_CHANGED, {"id": business_id})
                await there.subscribe(BUSINESS_CHANGED, {"id": business_id})
                await hub_settled(world, 1)
                # A write through the other process reaches both...
                payload = await owner_there.mutate(UPDATE_BUSINESS, {"id": business_id, "input": {"name": "Via B"}, "v": 1})
                assert payload["errors"] == []
                assert (await here.events(1))[0]["node"]["name"] == "Via B"
                assert (await there.events(1))[0]["node"]["name"] == "Via B"
                # ...and a write through this one reaches the other.
                await rename(world, business_id, "Via A")
                assert (await there.events(1))[0]["node"]["name"] == "Via A"
                assert (await here.events(1))[0]["node"]["name"] == "Via A"
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


def redis_reachable() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


BACKENDS = {
    "memory": "memory://positions-test",
    "redis": pytest.param(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
                          marks=pytest.mark.skipif(not redis_reachable(), reason="no Redis on 127.0.0.1:6379")),
}


@pytest.mark.parametrize("broadcast_url", list(BACKENDS.values()), ids=list(BACKENDS))
async def test_positions_fan_out_through_the_broadcast_backend(fresh_database: str, broadcast_url: str) -> None:
    """Two hubs on one database, each hearing what the other read through the backend (Redis
    across processes; the memory backend between apps of one process)."""
    from gql.app import create_app
    from gql.settings import Settings

    settings = Settings.from_env({"BROADCAST_URL": broadcast_url})
    conn = await connect(fresh_database)
    await conn.execute("insert into categories (slug, name) values ('r', 'R')")
    with ServerThread(create_app(settings, fresh_database)) as a, ServerThread(create_app(settings, fresh_database)) as b:
        hub_b = b.server.config.app.state.graphql.hub
        async with FeedClient(b.port) as client:
            await client.subscribe(CHANGES, {"topics": ["CATEGORY"]})

            async def registered() -> bool:
                return bool(b.server.config.app.state.graphql.subscription_count == 1)

            await wait_for(registered)
            heard = hub_b.broadcasts_heard
            await conn.execute("update categories set name = 'Broadcast' where slug = 'r'")
            (event,) = await client.events(1)
            assert event["op"] == "UPDATE"

            async def heard_from_the_other() -> bool:
                return bool(hub_b.broadcasts_heard > heard)

            await wait_for(heard_from_the_other)  # the other hub's publication arrived
        assert a.server.config.app.state.graphql.hub.broadcasts_heard > 0
    await conn.close()
