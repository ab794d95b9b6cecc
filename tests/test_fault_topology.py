"""The deployed topology without Docker: two `serve` processes on one database (the suite's:
embedded, or CI's PostgreSQL 15), Redis between them, a streaming replica for reads. Under a steady load of writes (through both processes)
and live subscribers (one on each), the replica is killed, then Redis, then one API process
(SIGKILL). No acknowledged write is lost, every subscriber receives every change event (the
one whose process died resumes on the other from its last cursor, without gaps or
repeats), and the surviving process answers every read throughout."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from gql.identity.data_key import DataKey
from gql.postgres.replica import create_embedded_replica
from gql.resolvers.changes import encode_change_cursor
from tests.support import FeedClient, seeded_scratch_database, serve_in_subprocess, wait_for
from tests.test_cli import free_port
from tests.world import CREATE_BUSINESS, PASSWORD, SIGN_UP

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None,
                                reason="kills a redis-server of its own: none on this machine")
WITH_REPLICA = not os.environ.get("DATABASE_URL")
"""The replica is made with the embedded cluster's programs; on another server (CI's PostgreSQL
15 run) the same topology runs without it."""

CHANGES = "subscription($after: String) { changes(after: $after, topics: [BUSINESS]) { cursor op entityId } }"
WRITES_PER_PHASE = 8


@dataclass
class Feed:
    """One subscriber's view: every business event it received, in order."""

    start: str  # the cursor of the change log's end before the test's writes
    events: list[dict[str, Any]] = field(default_factory=list)

    def created(self) -> set[str]:
        return {e["entityId"] for e in self.events if e["op"] == "INSERT"}


@pytest.fixture
def scratch() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="gql-topology-"))
    os.chmod(directory, 0o755)  # as root, the replica runs as another user and must get in
    yield directory
    pid_file = directory / "replica" / "pg" / "postmaster.pid"
    if pid_file.exists():  # (the test kills it; this is for a test that failed before)
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def redis(scratch: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    server = subprocess.Popen([str(shutil.which("redis-server")), "--port", str(port), "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL)
    yield server, f"redis://127.0.0.1:{port}"
    server.kill()
    server.wait(timeout=30)


async def follow(port: int, token: str, feed: Feed, stop: asyncio.Event) -> None:
    """Subscribe from the last cursor received until `stop`; returns when the socket goes."""
    async with FeedClient(port, token) as client:
        await client.subscribe(CHANGES, {"after": feed.events[-1]["cursor"] if feed.events else feed.start})
        while not stop.is_set():
            try:
                message = await client.message(timeout=1)
            except TimeoutError:
                continue
            assert message["type"] == "next" and not message["payload"].get("errors"), message
            feed.events.append(message["payload"]["data"]["changes"])


async def writer(ports: list[int], token: str, input_of: Any, acknowledged: list[str],
                 stop: asyncio.Event) -> None:
    """Creates businesses until `stop`, each with its idempotency key: a request whose answer
    was lost is sent again (to the next process), so it is made once. Only an answer with an
    id is an acknowledged write."""
    n = 0
    while not stop.is_set():
        n += 1
        key = uuid.uuid4().hex
        variables = {"input": input_of(f"Topology {n} {key[:6]}"), "publish": True, "key": key}
        while not stop.is_set():
            port = ports[0]
            try:
                async with httpx.AsyncClient(timeout=10) as http:
                    answer = await http.post(f"http://127.0.0.1:{port}/graphql",
                                             json={"query": CREATE_BUSINESS, "variables": variables},
                                             headers={"authorization": f"Bearer {token}"})
                body = answer.json()
                payload = (body.get("data") or {}).get("createBusiness")
                if answer.status_code == 200 and payload and payload["business"]:
                    acknowledged.append(payload["business"]["id"])
                    break
            except httpx.TransportError:
                if len(ports) > 1:
                    ports.pop(0)  # that process is gone: the next one
            await asyncio.sleep(0.05)  # (a refused attempt: pace the retry)


@pytest.fixture
async def topology(server_url: str, migrated_template: str, scratch: Path,
                   redis: tuple[subprocess.Popen[bytes], str]) -> AsyncIterator[dict[str, Any]]:
    url = await seeded_scratch_database(server_url, migrated_template, businesses=30, reviews=60, seed=4)
    replica = {"DATABASE_REPLICA_URL": create_embedded_replica(url, scratch / "replica")} if WITH_REPLICA else {}
    shared = {**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, **replica,
              "DATABASE_URL": url, "BROADCAST_URL": redis[1],
              "GQL_DATA_KEY": DataKey.new_text(), "JWT_SECRET": "t" * 40, "LOG_LEVEL": "WARNING"}
    ports = [free_port(), free_port()]
    processes = []
    for port in ports:
        log = (scratch / f"serve-{port}.log").open("w")
        processes.append(await serve_in_subprocess(port, {**shared, "GQL_DATA_DIR": str(scratch / str(port))},
                                                   args=("--no-seed",), output=log))
    try:
        yield {"url": url, "ports": ports, "processes": processes, "redis": redis[0],
               "replica_pid": scratch / "replica" / "pg" / "postmaster.pid"}
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=60)


async def test_killing_the_replica_redis_and_one_api_process_loses_nothing(topology: dict[str, Any]) -> None:
    a, b = topology["ports"]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{a}") as http:
        signed = (await http.post("/graphql", json={"query": SIGN_UP, "variables": {
            "email": f"{uuid.uuid4().hex[:8]}@topology.example", "password": PASSWORD, "name": "Owner"}})).json()
        token = signed["data"]["signUp"]["token"]
        category = (await http.post("/graphql", json={"query": "{ categories { id } }"})).json()
    category_id = category["data"]["categories"][0]["id"]

    def input_of(name: str) -> dict[str, Any]:
        return {"name": name, "primaryCategoryId": category_id, "city": "Austin", "state": "TX",
                "timezone": "America/Chicago"}

    stop, enough = asyncio.Event(), asyncio.Event()  # (enough: the writers stop)
    conn = await asyncpg.connect(topology["url"])
    try:
        start = encode_change_cursor(await conn.fetchval("select api_private.change_log_position()"))
    finally:
        await conn.close()
    feed_a, feed_b, acknowledged = Feed(start), Feed(start), []
    reads = {"answered": 0, "failed": 0}

    async def reader() -> None:  # the surviving process, read after read
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{b}", timeout=10) as http:
            while not stop.is_set():
                answer = await http.post("/graphql", json={"query": "{ businesses(first: 5) { totalCount } }"})
                reads["answered" if answer.status_code == 200 and "errors" not in answer.json() else "failed"] += 1
                await asyncio.sleep(0.02)

    async def follow_a_then_b() -> None:
        try:
            await follow(a, token, feed_a, stop)
        except Exception:  # its process was killed: resume on the other from the last cursor,
            missed = len(acknowledged) + 3  # after a while (a device's backoff), writes went on

            async def writes_went_on() -> bool:
                return len(acknowledged) >= missed or enough.is_set()

            await wait_for(writes_went_on, timeout=60)
            await follow(b, token, feed_a, stop)

    tasks = [asyncio.create_task(follow_a_then_b()), asyncio.create_task(follow(b, token, feed_b, stop)),
             asyncio.create_task(writer([a, b], token, input_of, acknowledged, enough)),
             asyncio.create_task(writer([b], token, input_of, acknowledged, enough)),
             asyncio.create_task(reader())]

    async def more_writes() -> None:
        """WRITES_PER_PHASE more acknowledged writes (or what stopped a task)."""
        target = len(acknowledged) + WRITES_PER_PHASE

        async def written() -> bool:
            for task in tasks:
                if task.done():
                    task.result()  # (raises what stopped it)
            return len(acknowledged) >= target

        await wait_for(written, timeout=60)

    try:
        await more_writes()
        if WITH_REPLICA:
            os.kill(int(topology["replica_pid"].read_text().split()[0]), signal.SIGKILL)
            await more_writes()
        topology["redis"].kill()
        await more_writes()
        topology["processes"][0].kill()
        await more_writes()
        enough.set()
        await asyncio.gather(*tasks[2:4])

        async def delivered() -> bool:
            return set(acknowledged) <= feed_a.created() and set(acknowledged) <= feed_b.created()

        await wait_for(delivered, timeout=60)
    finally:
        enough.set()
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)

    conn = await asyncpg.connect(topology["url"])
    try:
        rows = await conn.fetch("select id, name from businesses where name like 'Topology %'")
    finally:
        await conn.close()
    assert set(acknowledged) <= {str(r["id"]) for r in rows}, "an acknowledged write is missing"
    names = [r["name"] for r in rows]
    assert len(names) == len(set(names)), "a write sent again was made twice"
    for feed in (feed_a, feed_b):
        cursors = [e["cursor"] for e in feed.events]
        assert len(cursors) == len(set(cursors)), "an event was delivered twice"
    assert reads["failed"] == 0 and reads["answered"] > 0, reads
