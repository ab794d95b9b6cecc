"""S1: subscription fan-out. N WebSocket subscribers follow the change feed while a writer
updates businesses; each event's commit-to-client latency is measured (the writer notes the
moment its COMMIT returned; each client notes the moment the event arrived), and every event
must reach every subscriber exactly once."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import websockets

from bench.server import RunningServer
from gql.database import connect

SUBSCRIPTION = ("subscription { changes(topics: [BUSINESS]) { cursor entityId "
                "node { ... on Business { description } } } }")


@dataclass
class FanoutResult:
    subscribers: int
    events: int
    delivered: int
    lost: int
    duplicated: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


async def _subscriber(url: str, ready: asyncio.Event, ready_count: list[int], total: int,
                      received: dict[str, float], expected: int) -> None:
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"], max_queue=None,
                                  open_timeout=60) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        await ws.recv()
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
        ready_count[0] += 1
        if ready_count[0] == total:
            ready.set()
        while len(received) < expected:
            message = json.loads(await ws.recv())
            if message["type"] != "next":
                continue
            event = message["payload"]["data"]["changes"]
            marker = event["node"]["description"]
            if marker in received:
                received[f"dup:{marker}:{time.perf_counter()}"] = 0.0
            received[marker] = time.perf_counter()


async def fanout(server: RunningServer, subscribers: int, events: int,
                 interval: float = 0.05) -> FanoutResult:
    ws_url = f"ws://127.0.0.1:{server.port}/graphql"
    ready = asyncio.Event()
    count = [0]
    inboxes: list[dict[str, float]] = [{} for _ in range(subscribers)]
    tasks = [asyncio.create_task(_subscriber(ws_url, ready, count, subscribers, inbox, events))
             for inbox in inboxes]
    await asyncio.wait_for(ready.wait(), timeout=300)
    hub = server.server.config.app.state.graphql.hub
    while hub.subscriber_count < subscribers:  # every subscription registered with the hub
        await asyncio.sleep(0.05)
    conn = await connect(server.database_url)
    business_ids = [r["id"] for r in await conn.fetch(
        "select id from businesses where status = 'active' and deleted_at is null limit 50")]
    committed: dict[str, float] = {}
    for i in range(events):
        marker = f"fanout-{time.time_ns()}-{i}"
        await conn.execute("update businesses set description = $1 where id = $2",
                           marker, business_ids[i % len(business_ids)])
        committed[marker] = time.perf_counter()
        await asyncio.sleep(interval)
    await conn.close()
    _done, pending = await asyncio.wait(tasks, timeout=60)
    for task in pending:
        task.cancel()
    latencies = []
    lost = duplicated = delivered = 0
    for inbox in inboxes:
        duplicated += sum(1 for k in inbox if k.startswith("dup:"))
        for marker, at in committed.items():
            if marker in inbox:
                delivered += 1
                latencies.append((inbox[marker] - at) * 1000)
            else:
                lost += 1
    latencies.sort()

    def pct(p: float) -> float:
        if not latencies:
            return float("nan")
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 2)

    return FanoutResult(subscribers, events, delivered, lost, duplicated, pct(0.5), pct(0.99),
                        round(max(latencies), 2) if latencies else float("nan"))

