"""S1: subscription fan-out. N WebSocket subscribers (Node `ws` clients in a process of their
own, bench/node/subscribers.mjs) follow the change feed of the server process while a writer
commits business edits; each event's commit-to-client latency is the client's arrival time
minus the moment the writer's COMMIT returned (same machine, same wall clock). Every event
must reach every subscriber exactly once."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx

from bench.processes import NODE, NODE_DIR, ServedProcess
from bench.search import percentile
from gql.database import connect


async def subscriptions_active(metrics_url: str) -> int:
    async with httpx.AsyncClient(timeout=10) as client:
        text = (await client.get(metrics_url)).text
    for line in text.splitlines():
        if line.startswith("gql_subscriptions_active "):
            return int(float(line.split()[1]))
    return 0


async def fanout(server: ServedProcess, database_url: str, subscribers: int, events: int,
                 interval: float) -> dict[str, Any]:
    ws_url = server.url.replace("http://", "ws://")
    metrics_url = server.url.replace("/graphql", "/metrics")
    clients = await asyncio.create_subprocess_exec(
        str(NODE), str(NODE_DIR / "subscribers.mjs"), ws_url, str(subscribers), str(events),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=1 << 28)
    assert clients.stdout is not None and clients.stdin is not None
    try:
        try:
            ready = await asyncio.wait_for(clients.stdout.readline(), timeout=600)
        except TimeoutError:
            clients.terminate()  # it reports how many got through
            report = json.loads(await asyncio.wait_for(clients.stdout.readline(), timeout=60))
            return {"subscribers": subscribers, "events": 0, "error":
                    f"{report['subscribed']} of {subscribers} subscribed within 600 s "
                    f"({report['failed']} connection errors, {report['closed']} closed)"}
        if ready.strip() != b"ready":
            raise RuntimeError(f"subscribers did not start: {ready!r}")
        deadline = time.monotonic() + 300
        while await subscriptions_active(metrics_url) < subscribers:  # registered with the hub
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not register every subscription in 300 s")
            await asyncio.sleep(0.2)
        conn = await connect(database_url)
        try:
            ids = [r["id"] for r in await conn.fetch(
                "select id from businesses where status = 'active' and deleted_at is null limit 50")]
            committed: dict[str, float] = {}
            for i in range(events):
                marker = f"fanout-{time.time_ns()}-{i}"
                await conn.execute("update businesses set description = $1 where id = $2", marker, ids[i % len(ids)])
                committed[marker] = time.time() * 1000
                await asyncio.sleep(interval)
        finally:
            await conn.close()
        try:  # a slow server is late, not lossy: wait about 2 ms per delivery
            line = await asyncio.wait_for(clients.stdout.readline(),
                                          timeout=max(120.0, subscribers * events * 0.002))
        except TimeoutError:  # some events never arrived: ask for what did
            clients.stdin.close()
            line = await asyncio.wait_for(clients.stdout.readline(), timeout=60)
        report = json.loads(line)
    finally:
        if clients.returncode is None:
            clients.terminate()
        await clients.wait()
    latencies = sorted(at - committed[marker] for marker, arrivals in report["arrivals"].items()
                       if marker in committed for at in arrivals)
    delivered = len(latencies)
    return {"subscribers": subscribers, "events": events, "delivered": delivered,
            "lost": subscribers * events - delivered, "duplicated": report["duplicates"],
            "p50_ms": percentile(latencies, 0.5, 1), "p99_ms": percentile(latencies, 0.99, 1),
            "max_ms": percentile(latencies, 1.0, 1),
            "events_per_second": round(1 / interval, 1)}
