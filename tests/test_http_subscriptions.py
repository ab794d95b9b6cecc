"""Subscriptions over HTTP, as clients without a WebSocket take them: graphql-sse (distinct
connections: `Accept: text/event-stream`) and Apollo's multipart subscriptions (`Accept:
multipart/mixed;subscriptionSpec=1.0`), with the same identity, visibility and resume rules
as over WebSocket; anything else is a 400 that names the ways that work."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.test_policies import new_business
from tests.test_realtime import hub_settled, rename
from tests.world import LOG_IN, PASSWORD, World

SSE = "text/event-stream"
MULTIPART = "multipart/mixed;subscriptionSpec=1.0, application/json"
CHANGED = "subscription($id: ID!, $after: String) { businessChanged(id: $id, after: $after) { cursor op node { ... on Business { name } } } }"


class Stream:
    """One subscription's HTTP response, read as the events of either protocol."""

    def __init__(self, response: httpx.Response, accept: str) -> None:
        self.response, self.accept = response, accept
        self._lines = response.aiter_lines()

    async def next(self) -> dict[str, Any]:
        """The next payload ({data} or {errors}); {"complete": True} at the end."""
        if self.accept == SSE:
            event = None
            async for line in self._lines:
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: ") and event == "complete":
                    return {"complete": True}
                elif line.startswith("data: ") and event == "next":
                    payload: dict[str, Any] = json.loads(line.removeprefix("data: "))
                    return payload
        else:
            async for line in self._lines:
                if line.startswith("--graphql--"):
                    return {"complete": True}
                if line.startswith("{"):
                    part = json.loads(line)
                    if part:  # ({} is a heartbeat)
                        return part.get("payload") or part
        return {"complete": True}


@asynccontextmanager
async def subscribed(world: World, accept: str, variables: dict[str, Any],
                     token: str | None = None) -> AsyncIterator[Stream]:
    headers = {"accept": accept} | ({"authorization": f"Bearer {token}"} if token else {})
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{world.port}", timeout=30) as http, \
            http.stream("POST", "/graphql", json={"query": CHANGED, "variables": variables}, headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        yield Stream(response, accept)


async def test_a_change_reaches_subscribers_over_sse_and_multipart(world: World) -> None:
    business_id = await new_business(world)
    async with subscribed(world, SSE, {"id": business_id}) as sse, \
            subscribed(world, MULTIPART, {"id": business_id}, world.owner.token) as multipart:
        assert sse.response.headers["content-type"].startswith("text/event-stream")
        assert multipart.response.headers["content-type"].startswith("multipart/mixed")
        await hub_settled(world, 2)
        await rename(world, business_id, "Renamed while streaming")
        for stream in (sse, multipart):
            event = (await stream.next())["data"]["businessChanged"]
            assert event["op"] == "UPDATE" and event["node"] == {"name": "Renamed while streaming"}


async def test_an_http_stream_resumes_from_its_cursor(world: World) -> None:
    business_id = await new_business(world)
    async with subscribed(world, SSE, {"id": business_id}) as first:
        await hub_settled(world, 1)
        await rename(world, business_id, "One")
        cursor = (await first.next())["data"]["businessChanged"]["cursor"]
    await hub_settled(world, 0)
    await rename(world, business_id, "Two")  # while no one listens
    async with subscribed(world, SSE, {"id": business_id, "after": cursor}) as again:
        replayed = (await again.next())["data"]["businessChanged"]
        assert replayed["node"] == {"name": "Two"}


async def test_a_stream_ends_when_its_session_ends(world: World) -> None:
    business_id = await new_business(world)
    signed = await world.anonymous.mutate(LOG_IN, {"email": world.other.email, "password": PASSWORD})
    async with subscribed(world, SSE, {"id": business_id}, signed["token"]) as stream:
        await hub_settled(world, 1)
        out = await world.anonymous.as_user(signed["token"]).mutate("mutation { signOut { sessionsEnded } }")
        assert out["sessionsEnded"] == 1
        await rename(world, business_id, "After the sign-out")
        refused = await stream.next()
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", refused
        assert await stream.next() == {"complete": True}


async def test_a_subscription_without_a_streaming_accept_is_told_the_ways(world: World) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{world.port}") as http:
        answer = await http.post("/graphql", json={"query": CHANGED, "variables": {"id": world.listed_id}})
    message = answer.json()["errors"][0]["message"]
    assert answer.status_code == 400 and all(w in message for w in ("WebSocket", "text/event-stream", "multipart"))


async def test_a_persisted_subscription_streams_by_its_hash(world: World) -> None:
    from gql.edge.persisted_documents import sha256_of

    business_id = await new_business(world)
    hashed = {"persistedQuery": {"version": 1, "sha256Hash": sha256_of(CHANGED)}}
    headers = {"accept": SSE}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{world.port}", timeout=30) as http:
        async with http.stream("POST", "/graphql", headers=headers, json={  # hash and document, once
                "query": CHANGED, "extensions": hashed, "variables": {"id": business_id}}) as first:
            assert first.status_code == 200
        await hub_settled(world, 0)
        async with http.stream("POST", "/graphql", headers=headers, json={
                "extensions": hashed, "variables": {"id": business_id}}) as response:
            assert response.status_code == 200 and response.headers["content-type"].startswith(SSE)
            stream = Stream(response, SSE)
            await hub_settled(world, 1)
            await rename(world, business_id, "Streamed by hash")
            assert (await stream.next())["data"]["businessChanged"]["node"] == {"name": "Streamed by hash"}
