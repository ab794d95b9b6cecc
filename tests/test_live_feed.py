"""The live feed's fan-out (gql/realtime/audiences.py) with real sockets: subscribers are
grouped into audiences by what they may see, never across it; the hand-over from replay to
live holds for a thousand subscribers resuming at once; a socket that does not read is cut
off without holding up the others."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
from typing import Any

from bench.sockets import RawClient
from gql.app import create_app
from gql.realtime.settings import HubSettings
from gql.resolvers.changes import decode_change_cursor
from gql.settings import Settings
from tests.conftest import WORLD_JWT_SECRET
from tests.support import FeedClient, ServerThread, wait_for
from tests.test_policies import new_business
from tests.test_realtime import BUSINESS_CHANGED, CHANGES, hub_settled, rename
from tests.world import World

SUBSCRIPTIONS_PER_SOCKET = 50


def graphql_app(world: World) -> Any:
    assert world.server is not None
    return world.server.server.config.app.state.graphql


async def subscribe_many(client: FeedClient, count: int, query: str, variables: dict[str, Any]) -> list[str]:
    return [await client.subscribe(query, variables) for _ in range(count)]


async def raw_next_messages(client: FeedClient, count: int, timeout: float = 20) -> list[str]:
    """The next `count` `next` messages as the socket carried them (text)."""
    got: list[str] = []
    async with asyncio.timeout(timeout):
        while len(got) < count:
            text = await client.ws.recv()
            message = json.loads(text)
            if message["type"] == "ping":
                await client.ws.send(json.dumps({"type": "pong"}))
                continue
            assert message["type"] == "next", message
            got.append(text)
    return got


async def test_anonymous_subscribers_and_owners_are_two_audiences_that_see_a_draft_differently(
        world: World) -> None:
    listed, draft = await new_business(world), await new_business(world, publish=False)
    variables = {"topics": ["BUSINESS"]}
    anonymous = [FeedClient(world.port) for _ in range(4)]
    owners = [FeedClient(world.port, world.owner.token) for _ in range(2)]
    for client in anonymous + owners:
        await client.__aenter__()
    try:
        for client in anonymous:  # 200 subscriptions, one document, the same variables
            await subscribe_many(client, SUBSCRIPTIONS_PER_SOCKET, CHANGES, variables)
        for client in owners:
            await client.subscribe(CHANGES, variables)
        await hub_settled(world, 4 * SUBSCRIPTIONS_PER_SOCKET + 2)
        assert graphql_app(world).live.audience_count == 2

        await rename(world, draft, "Secret draft name", client_id="owners-laptop")
        await rename(world, listed, "Public name")
        for client in owners:  # the owner's devices: the draft, then the listing
            events = await client.events(2)
            assert [(e["entityId"], e["node"]["name"]) for e in events] == [(draft, "Secret draft name"),
                                                                               (listed, "Public name")]
            assert events[0]["clientId"] == "owners-laptop"
        for client in anonymous:  # everyone else: only the listing, and nothing of the draft
            texts = await raw_next_messages(client, SUBSCRIPTIONS_PER_SOCKET)
            assert {json.loads(t)["payload"]["data"]["changes"]["entityId"] for t in texts} == {listed}
            assert {json.loads(t)["id"] for t in texts} == {str(n) for n in range(1, SUBSCRIPTIONS_PER_SOCKET + 1)}
            for text in texts:
                assert "Secret draft name" not in text and "owners-laptop" not in text and draft not in text
    finally:
        for client in anonymous + owners:
            await client.__aexit__()


async def test_subscriptions_that_follow_different_businesses_are_answered_apart(world: World) -> None:
    # The same document: only the variables that choose what they follow differ.
    first, second = await new_business(world), await new_business(world)
    async with FeedClient(world.port) as client:
        follows_first = await client.subscribe(BUSINESS_CHANGED, {"id": first})
        follows_second = await client.subscribe(BUSINESS_CHANGED, {"id": second})
        await hub_settled(world, 2)
        await rename(world, second, "Second renamed")
        await rename(world, first, "First renamed")
        messages = [await client.message() for _ in range(2)]
        assert {(m["id"], m["payload"]["data"]["businessChanged"]["node"]["name"]) for m in messages} == {
            (follows_first, "First renamed"), (follows_second, "Second renamed")}


RESUMING = BUSINESS_CHANGED.replace("($id: ID!)", "($id: ID!, $after: String)").replace(
    "businessChanged(id: $id)", "businessChanged(id: $id, after: $after)")


async def test_a_thousand_subscribers_resuming_at_once_get_every_change_once_in_order(world: World) -> None:
    business_id = await new_business(world)
    async with FeedClient(world.port) as recorder:
        await recorder.subscribe(BUSINESS_CHANGED, {"id": business_id})
        await hub_settled(world)
        for n in range(30):
            await rename(world, business_id, f"History {n}")
        history = [e["cursor"] for e in await recorder.events(30)]

        sockets = [FeedClient(world.port) for _ in range(20)]
        for client in sockets:
            await client.__aenter__()
        rng = random.Random(7)
        starts: dict[tuple[int, str], str] = {}  # (socket, operation id) -> cursor it resumes after

        try:
            # Changes keep coming while they resume: a change after every 25 subscriptions.
            for index, client in enumerate(sockets):
                for n in range(SUBSCRIPTIONS_PER_SOCKET):
                    after = rng.choice(history)
                    starts[(index, await client.subscribe(RESUMING, {"id": business_id, "after": after}))] = after
                    if n % 25 == 24:
                        await rename(world, business_id, f"Live {index} {n}")
            history += [e["cursor"] for e in await recorder.events(2 * len(sockets))]
            final = history[-1]

            async def read(index: int, client: FeedClient) -> dict[str, list[str]]:
                got: dict[str, list[str]] = {}
                done = 0
                async with asyncio.timeout(60):
                    while done < SUBSCRIPTIONS_PER_SOCKET:
                        message = await client.message(60)
                        assert message["type"] == "next", message
                        cursor = message["payload"]["data"]["businessChanged"]["cursor"]
                        got.setdefault(message["id"], []).append(cursor)
                        done += cursor == final
                return got

            received = await asyncio.gather(*(read(i, c) for i, c in enumerate(sockets)))
            for (index, op_id), after in starts.items():
                seq = decode_change_cursor(after)
                assert seq is not None
                expected = [c for c in history if (decode_change_cursor(c) or 0) > seq]
                assert received[index][op_id] == expected, (index, op_id)
            # Nothing more, and nothing twice later: the next change is the next thing each sees.
            await rename(world, business_id, "Sentinel")
            for client in sockets:
                names = {e["node"]["name"] for e in await client.events(SUBSCRIPTIONS_PER_SOCKET)}
                assert names == {"Sentinel"}
        finally:
            for client in sockets:
                await client.__aexit__()


LONG = "x" * 4000
DESCRIBED = "subscription($id: ID!) { businessChanged(id: $id) { cursor node { ... on Business { description } } } }"


async def test_a_socket_that_does_not_read_is_cut_off_and_the_others_are_not_held_up(world: World) -> None:
    settings = dataclasses.replace(Settings.from_env({"JWT_SECRET": WORLD_JWT_SECRET}),
                                   hub=HubSettings(socket_backlog_bytes=64 * 1024))
    business_id = await new_business(world)
    with ServerThread(create_app(settings, world.url)) as server:
        async with FeedClient(server.port) as reader:
            stuck = RawClient(f"ws://127.0.0.1:{server.port}/graphql")  # reads only when asked to
            await stuck.open()
            for n in range(SUBSCRIPTIONS_PER_SOCKET):
                await stuck.send({"id": str(n), "type": "subscribe",
                                  "payload": {"query": DESCRIBED, "variables": {"id": business_id}}})
            await reader.subscribe(DESCRIBED, {"id": business_id})
            app = server.server.config.app.state.graphql

            async def registered() -> bool:
                return bool(app.subscription_count == SUBSCRIPTIONS_PER_SOCKET + 1)
            await wait_for(registered)
            # Each change is 50 messages of 4 KB for the stuck socket: far more than the
            # kernel, the transport and the backlog hold, long before the last one.
            for n in range(40):
                await update_description(world, business_id, f"{n} {LONG}")
                (event,) = await reader.events(1)
                assert event["node"]["description"].startswith(f"{n} ")
            # The stuck client finds its socket closed with RESYNC_REQUIRED once it reads.
            assert await stuck.close_code(within=30) == 1013
            assert stuck.protocol.close_rcvd is not None
            assert stuck.protocol.close_rcvd.reason.startswith("RESYNC_REQUIRED")
            stuck.close()


UPDATE_DESCRIPTION = """mutation($id: ID!, $input: BusinessInput!, $v: Int!) {
  updateBusiness(id: $id, input: $input, expectedVersion: $v) { errors { code } } }"""


async def update_description(world: World, business_id: str, description: str) -> None:
    current = await world.owner.client.data("query($id: ID!) { business(id: $id) { name version } }",
                                            {"id": business_id})
    payload = await world.owner.client.mutate(UPDATE_DESCRIPTION, {
        "id": business_id, "v": current["business"]["version"],
        "input": world.business_input(name=current["business"]["name"], description=description)})
    assert payload["errors"] == [], payload
