"""Webhook delivery (`python -m bench webhooks`): events a second to one fast receiver while a
backlog drains, and each event's lag (delivery minus commit) at a steady 20 changes a second.
The receiver, the server and PostgreSQL share the machine."""

from __future__ import annotations

import asyncio
import json
import statistics
import threading
import time
import uuid
from datetime import datetime
from typing import Any

import asyncpg
import httpx
import uvicorn

SIGN_UP = """mutation($email: String!) { signUp(email: $email, password: "bench password 1", displayName: "Bench") {
  token } }"""
KEY = """mutation { createApiKey(name: "bench", scopes: [READ, WEBHOOKS]) { created { secret } } }"""
HOOK = """mutation($url: String!) { createWebhook(url: $url, topics: [CATEGORY]) { created { webhook { id } } errors { message } } }"""


class Receiver:
    """A fast endpoint: records when each event arrived, answers 200 at once."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.at: dict[str, float] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        now = time.time()
        for event in json.loads(body)["events"]:
            self.arrived.setdefault(event["id"], now)
            self.at[event["id"]] = datetime.fromisoformat(event["at"]).timestamp()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})


def _serve(receiver: Receiver) -> tuple[uvicorn.Server, str]:
    server = uvicorn.Server(uvicorn.Config(receiver, host="127.0.0.1", port=0, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return server, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/"


async def run(server_url: str, database_url: str, backlog: int = 2000, rate: int = 20,
              seconds: float = 30) -> dict[str, Any]:
    receiver = Receiver()
    endpoint, url = _serve(receiver)
    try:
        async with httpx.AsyncClient(base_url=server_url, timeout=30) as http:
            signed = (await http.post("/graphql", json={"query": SIGN_UP, "variables": {
                "email": f"bench-{uuid.uuid4().hex[:8]}@example.com"}})).json()
            token = signed["data"]["signUp"]["token"]
            key = (await http.post("/graphql", json={"query": KEY}, headers={
                "authorization": f"Bearer {token}"})).json()["data"]["createApiKey"]["created"]["secret"]
            made = (await http.post("/graphql", json={"query": HOOK, "variables": {"url": url}}, headers={
                "authorization": f"Bearer {key}"})).json()
            assert made["data"]["createWebhook"]["created"], made
        conn = await asyncpg.connect(database_url)
        try:
            category = await conn.fetchval("select id from categories order by slug limit 1")
            # A backlog committed at once, then drained.
            started = time.time()
            async with conn.transaction():
                for n in range(backlog):
                    await conn.execute("update categories set description = $2 where id = $1", category,
                                       f"backlog {n}")
            while len(receiver.arrived) < backlog:
                await asyncio.sleep(0.05)
            drained = max(receiver.arrived.values()) - started
            # A steady rate: each change its own transaction.
            receiver.arrived.clear()
            receiver.at.clear()
            sent = 0
            begin = time.time()
            while time.time() - begin < seconds:
                await conn.execute("update categories set description = $2 where id = $1", category, f"steady {sent}")
                sent += 1
                await asyncio.sleep(max(0.0, begin + sent / rate - time.time()))
            deadline = time.time() + 30
            while len(receiver.arrived) < sent and time.time() < deadline:
                await asyncio.sleep(0.05)
        finally:
            await conn.close()
        lags = sorted(receiver.arrived[i] - receiver.at[i] for i in receiver.arrived)
        return {
            "backlog": {"events": backlog, "seconds": round(drained, 2), "events_per_second": round(backlog / drained)},
            "steady": {"rate_per_second": rate, "events": sent, "delivered": len(lags),
                       "lag_ms": {"p50": round(statistics.median(lags) * 1000),
                                  "p95": round(lags[int(len(lags) * 0.95) - 1] * 1000),
                                  "max": round(lags[-1] * 1000)}},
        }
    finally:
        endpoint.should_exit = True
