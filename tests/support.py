"""Helpers shared by the tests: a real server in a thread, a GraphQL client, databases."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any

import asyncpg
import httpx
import uvicorn
from starlette.applications import Starlette

from gql.database import drop_database, ensure_database, with_database

STARTUP_TIMEOUT_SECONDS = 30.0
REPOSITORY = Path(__file__).resolve().parent.parent


class ServerThread:
    """uvicorn serving an app on a free loopback port, in its own thread and event loop."""

    def __init__(self, app: Starlette) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                ws="websockets-sansio", lifespan="on",
                                proxy_headers=False)  # as `serve`: the app decides (GQL_TRUSTED_PROXIES)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not self.server.started:  # wait for uvicorn's own "started" flag
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        return self

    @property
    def port(self) -> int:
        port: int = self.server.servers[0].sockets[0].getsockname()[1]
        return port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=STARTUP_TIMEOUT_SECONDS)


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient, token: str | None = None) -> None:
        self.http = http
        self.token = token

    def as_user(self, token: str | None) -> GraphQLClient:
        """The same connection, sending `token` (None: anonymous)."""
        return GraphQLClient(self.http, token)

    async def execute(self, query: str, variables: dict[str, Any] | None = None,
                      headers: dict[str, str] | None = None) -> dict[str, Any]:
        """The whole response body (data, errors, extensions)."""
        if self.token is not None:
            headers = {"authorization": f"Bearer {self.token}", **(headers or {})}
        response = await self.http.post("/graphql", json={"query": query, "variables": variables},
                                        headers=headers)
        assert response.status_code in (200, 400), response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """`data` of a response that must have no errors."""
        body = await self.execute(query, variables)
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def mutate(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The payload of a one-field mutation (no GraphQL errors allowed; UserErrors are)."""
        data = await self.data(query, variables)
        (payload,) = data.values()
        result: dict[str, Any] = payload
        return result

    async def error(self, query: str, variables: dict[str, Any] | None = None) -> str:
        """The first error message of a response that must fail."""
        body = await self.execute(query, variables)
        assert body.get("errors"), f"expected an error, got {body}"
        message: str = body["errors"][0]["message"]
        return message


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


async def scratch_database(server_url: str, template: str | None = None) -> tuple[str, str]:
    """A new empty database (or a copy of `template`): its name and URL."""
    name = unique_name("gql_test")
    if template is None:
        return name, await ensure_database(server_url, name)
    conn = await asyncpg.connect(server_url)
    try:  # both names are generated here, never user input
        await conn.execute(f'create database "{name}" template "{template}"')
    finally:
        await conn.close()
    return name, with_database(server_url, name)


async def seeded_scratch_database(server_url: str, template: str, businesses: int, reviews: int,
                                  seed: int) -> str:
    """A copy of the migrated template with a demo data set of this size: its URL."""
    from gql.commands.seed import SeedOptions, seed_database
    from gql.database import connect

    _, url = await scratch_database(server_url, template=template)
    conn = await connect(url)
    try:
        await seed_database(conn, SeedOptions(businesses=businesses, reviews=reviews, seed=seed), quiet=True)
    finally:
        await conn.close()
    return url


async def drop(server_url: str, name: str) -> None:
    await drop_database(server_url, name)


async def wait_for(predicate: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Poll an async condition until it holds (for state with no event to wait on)."""
    async with asyncio.timeout(timeout):
        while not await predicate():  # noqa: ASYNC110 - the state lives in another process
            await asyncio.sleep(0.05)


class FeedClient:
    """A real graphql-transport-ws client, for subscriptions."""

    def __init__(self, port: int, token: str | None = None, client_id: str | None = None) -> None:
        self.url = f"ws://127.0.0.1:{port}/graphql"
        self.init: dict[str, Any] = {}
        if token:
            self.init["Authorization"] = f"Bearer {token}"
        if client_id:
            self.init["clientId"] = client_id
        self.ws: Any = None
        self._ids = 0

    async def __aenter__(self) -> FeedClient:
        import websockets

        self.ws = await websockets.connect(self.url, subprotocols=["graphql-transport-ws"],
                                           max_queue=None)
        await self.ws.send(json.dumps({"type": "connection_init", "payload": self.init}))
        ack = json.loads(await self.ws.recv())
        assert ack["type"] == "connection_ack", ack
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ws.close()

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._ids += 1
        op_id = str(self._ids)
        await self.ws.send(json.dumps({"id": op_id, "type": "subscribe",
                                       "payload": {"query": query, "variables": variables or {}}}))
        return op_id

    async def message(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next message other than a ping, within `timeout` seconds."""
        async with asyncio.timeout(timeout):
            while True:
                message: dict[str, Any] = json.loads(await self.ws.recv())
                if message["type"] == "ping":
                    await self.ws.send(json.dumps({"type": "pong"}))
                    continue
                return message

    async def events(self, count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
        """The next `count` events (the `data` of `next` messages, any operation)."""
        got: list[dict[str, Any]] = []
        async with asyncio.timeout(timeout):
            while len(got) < count:
                message = await self.message(timeout)
                assert message["type"] == "next", message
                assert not message["payload"].get("errors"), message
                (event,) = message["payload"]["data"].values()
                got.append(event)
        return got


async def serve_in_subprocess(port: int, env: dict[str, str], timeout: float = 180,
                              args: tuple[str, ...] = (), output: IO[str] | None = None,
                              python: str = sys.executable, cwd: Path = REPOSITORY) -> subprocess.Popen[str]:
    """`python -m gql serve` as a user runs it, once its /health answers 200. Its output is
    piped (read it when it has ended), or written to `output` for one that logs a lot."""
    process = subprocess.Popen(
        [python, "-m", "gql", "serve", "--port", str(port), *args], cwd=cwd, text=True,
        env=env, stdout=output or subprocess.PIPE, stderr=subprocess.STDOUT)

    async def healthy() -> bool:
        assert process.poll() is None, process.communicate()[0] if output is None else "serve exited"
        try:
            async with httpx.AsyncClient() as http:
                return (await http.get(f"http://127.0.0.1:{port}/health")).status_code == 200
        except httpx.TransportError:
            return False

    await wait_for(healthy, timeout=timeout)
    return process
