"""S1: subscription fan-out. N WebSocket subscribers (Node `ws` clients in a process of their
own, bench/node/subscribers.mjs) follow the change feed of the server process while owners
edit businesses through the server (updateBusiness); each event's commit-to-client latency is
the client's arrival time minus the moment the mutation's answer arrived (same machine, same
wall clock). Every event must reach every subscriber exactly once. Also measured: the
server's CPU per delivered message, its memory per idle subscriber, and the mutation's p99
with the subscribers fed against the same edits with nobody subscribed."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from typing import Any

import httpx

from bench.processes import NODE, NODE_DIR, ServedProcess, cpu_seconds, rss_mb
from bench.scenarios import M2, body, token_for
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
    conn = await connect(database_url)
    try:
        owned = await conn.fetch("select id, owner_id from businesses where status = 'active'"
                                 " and deleted_at is null and owner_id is not null limit 50")
        editor = Editor(server.url, conn, owned)
        await editor.edit(3, 0.0, "warm-up")
        # The same edits with nobody subscribed: what the mutation costs by itself.
        await editor.edit(events, interval, "alone")
        alone_ms = editor.round_trips_ms
        rss_before = rss_mb(server.pid)
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
            rss_idle = rss_mb(server.pid)
            cpu_before = cpu_seconds(server.pid)
            committed = await editor.edit(events, interval, "fanout")
            try:  # a slow server is late, not lossy: wait about 2 ms per delivery
                line = await asyncio.wait_for(clients.stdout.readline(),
                                              timeout=max(120.0, subscribers * events * 0.002))
            except TimeoutError:  # some events never arrived: ask for what did
                clients.stdin.close()
                line = await asyncio.wait_for(clients.stdout.readline(), timeout=60)
            cpu_used = cpu_seconds(server.pid) - cpu_before
            report = json.loads(line)
        finally:
            if clients.returncode is None:
                clients.terminate()
            await clients.wait()
    finally:
        await conn.close()
    latencies = sorted(at - committed[marker] for marker, arrivals in report["arrivals"].items()
                       if marker in committed for at in arrivals)
    # Each event's median latency over its subscribers: a stall shows as one slow event.
    per_event = sorted(statistics.median(at - committed[m] for at in arrivals)
                       for m, arrivals in report["arrivals"].items() if m in committed and arrivals)
    delivered = len(latencies)
    fed_ms = editor.round_trips_ms
    return {"subscribers": subscribers, "events": events, "delivered": delivered,
            "lost": subscribers * events - delivered, "duplicated": report["duplicates"],
            "p50_ms": percentile(latencies, 0.5, 1), "p99_ms": percentile(latencies, 0.99, 1),
            "max_ms": percentile(latencies, 1.0, 1),
            "events_per_second": round(1 / interval, 1),
            "connection_errors": report["failed"],
            "cpu_us_per_message": round(cpu_used * 1e6 / delivered, 1) if delivered else None,
            "rss_kb_per_idle_subscriber": round((rss_idle - rss_before) * 1024 / subscribers, 1),
            "mutation_p99_ms_alone": percentile(sorted(alone_ms), 0.99, 1),
            "mutation_p99_ms_fed": percentile(sorted(fed_ms), 0.99, 1),
            "slowest_event_vs_median": round(per_event[-1] / max(statistics.median(per_event), 0.1), 2)
            if per_event else None}


class Editor:
    """Owners editing their businesses through the server (updateBusiness over HTTP, the
    mutation a device sends), one edit every `interval` seconds; each edit's round trip is
    kept, and when its COMMIT was done (the moment the server answered)."""

    def __init__(self, url: str, conn: Any, owned: list[Any]) -> None:
        self.url, self.conn, self.owned = url, conn, owned
        self.round_trips_ms: list[float] = []

    async def edit(self, events: int, interval: float, label: str) -> dict[str, float]:
        self.round_trips_ms = []
        committed: dict[str, float] = {}
        async with httpx.AsyncClient(timeout=60) as http:
            for i in range(events):
                row = self.owned[i % len(self.owned)]
                version = await self.conn.fetchval("select version from businesses where id = $1", row["id"])
                marker = f"{label}-{time.time_ns()}-{i}"
                request = body(M2, {"id": str(row["id"]), "version": version, "input": {"description": marker}},
                               token_for(row["owner_id"]))
                started = time.perf_counter()
                response = await http.post(self.url, content=request["body"],
                                           headers=request["headers"] | {"content-type": "application/json"})
                self.round_trips_ms.append((time.perf_counter() - started) * 1000)
                committed[marker] = time.time() * 1000
                errors = response.json()["data"]["updateBusiness"]["errors"]
                if errors:
                    raise RuntimeError(f"the benchmark's edit failed: {errors}")
                await asyncio.sleep(interval)
        return committed
