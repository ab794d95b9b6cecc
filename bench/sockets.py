"""Sockets that misbehave, against `python -m gql serve`: subscribers that never read while
changes pour in (the server must cut them off and its memory stay bounded), and sockets that
never send connection_init (closed at the init timeout, without slowing a well-behaved
subscriber). Clients speak graphql-transport-ws through the websockets library's sans-I/O
protocol over plain sockets, so that "never reads" is literally true."""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import time
from typing import Any

from websockets.client import ClientProtocol
from websockets.protocol import State
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from bench.processes import ServedProcess, rss_mb
from gql.database import connect

FEED = "subscription { changes(topics: [BUSINESS]) { cursor node { ... on Business { description } } } }"


class RawClient:
    """One WebSocket, read only when asked to."""

    def __init__(self, url: str) -> None:
        self.protocol = ClientProtocol(parse_uri(url), subprotocols=[Subprotocol("graphql-transport-ws")])
        self.host, self.port = url.split("//")[1].split("/")[0].split(":")
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self, init: bool = True, receive_buffer: int = 16 * 1024) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, int(self.port))
        self.writer.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF,
                                                                   receive_buffer)
        self.protocol.send_request(self.protocol.connect())
        await self.flush()
        while self.protocol.state is not State.OPEN:
            self.protocol.receive_data(await self.reader.read(4096))
        self.protocol.events_received()
        if init:
            await self.send({"type": "connection_init", "payload": {}})
            while not any(json.loads(e.data)["type"] == "connection_ack" for e in await self.frames()):
                pass

    async def frames(self) -> list[Any]:
        assert self.reader is not None
        data = await self.reader.read(1 << 16)
        self.protocol.receive_data(data)
        if not data:
            self.protocol.receive_eof()
        return [e for e in self.protocol.events_received() if getattr(e, "data", None)]

    async def send(self, message: dict[str, Any]) -> None:
        self.protocol.send_text(json.dumps(message).encode())
        await self.flush()

    async def flush(self) -> None:
        assert self.writer is not None
        for data in self.protocol.data_to_send():
            self.writer.write(data)
        await self.writer.drain()

    async def close_code(self, within: float) -> int | None:
        """Read to the end; the close code the server sent (None: still open at the timeout)."""
        assert self.writer is not None
        self.writer.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 23)
        try:
            async with asyncio.timeout(within):
                while self.protocol.close_rcvd is None and self.protocol.state is not State.CLOSED:
                    await self.frames()
        except TimeoutError:
            return None
        return self.protocol.close_rcvd.code if self.protocol.close_rcvd else None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def stuck_subscribers(server: ServedProcess, database_url: str, sockets: int, changes: int,
                            size: int = 4000) -> dict[str, Any]:
    """`sockets` subscribers that never read while `changes` changes of about `size` bytes each
    reach them and one subscriber that reads: 8 MB per stuck socket at the defaults, more
    than the kernel buffers for it (4 MB here), so the server's own backlog must fill."""
    ws_url = server.url.replace("http://", "ws://")
    reader = RawClient(ws_url)
    await reader.open(receive_buffer=1 << 22)
    await reader.send({"id": "r", "type": "subscribe", "payload": {"query": FEED}})
    stuck = [RawClient(ws_url) for _ in range(sockets)]
    for client in stuck:
        await client.open()
        await client.send({"id": "1", "type": "subscribe", "payload": {"query": FEED}})
    await asyncio.sleep(1)  # (registration; the reader's count below does not depend on it)
    rss_before = rss_mb(server.pid)
    peak = [rss_before]
    received = 0

    async def read() -> None:
        nonlocal received
        while received < changes:
            received += sum(json.loads(f.data)["type"] == "next" for f in await reader.frames())

    async def sample() -> None:
        while True:
            peak[0] = max(peak[0], rss_mb(server.pid))
            await asyncio.sleep(0.1)

    conn = await connect(database_url)
    sampler = asyncio.create_task(sample())
    started = time.monotonic()
    try:
        ids = [r["id"] for r in await conn.fetch(
            "select id from businesses where status = 'active' and deleted_at is null limit 100")]
        reading = asyncio.create_task(read())
        for i in range(changes):
            await conn.execute("update businesses set description = $1 where id = $2",
                               f"slow-consumer {i} " + "x" * size, ids[i % len(ids)])
        await asyncio.wait_for(reading, timeout=300)
        elapsed = time.monotonic() - started
    finally:
        sampler.cancel()
        await conn.close()
    codes = await asyncio.gather(*(c.close_code(30) for c in stuck))
    for client in [*stuck, reader]:
        client.close()
    return {"stuck_sockets": sockets, "changes": changes, "change_bytes": size, "reader_received": received,
            "reader_seconds": round(elapsed, 1), "closed_1013": sum(code == 1013 for code in codes),
            "rss_mb_before": round(rss_before, 1), "rss_mb_peak": round(peak[0], 1),
            "rss_mb_after": round(rss_mb(server.pid), 1)}


async def silent_sockets(server: ServedProcess, database_url: str, sockets: int, events: int) -> dict[str, Any]:
    """`sockets` connections that never send connection_init, opened while a subscriber is fed."""
    ws_url = server.url.replace("http://", "ws://")
    reader = RawClient(ws_url)
    await reader.open(receive_buffer=1 << 22)
    await reader.send({"id": "r", "type": "subscribe", "payload": {"query": FEED}})
    await asyncio.sleep(1)
    conn = await connect(database_url)
    try:
        business = await conn.fetchval("select id from businesses where status = 'active' limit 1")

        async def latencies(count: int) -> list[float]:
            out = []
            for i in range(count):
                committed = time.monotonic()
                await conn.execute("update businesses set description = $1 where id = $2",
                                   f"silent {time.time_ns()} {i}", business)
                while not any(json.loads(f.data)["type"] == "next" for f in await reader.frames()):
                    pass
                out.append((time.monotonic() - committed) * 1000)
                await asyncio.sleep(0.1)
            return out

        alone = await latencies(events)
        silent = [RawClient(ws_url) for _ in range(sockets)]
        opened = time.monotonic()
        await asyncio.gather(*(c.open(init=False) for c in silent))
        crowded = await latencies(events)
        codes = await asyncio.gather(*(c.close_code(30) for c in silent))
        closed_after = time.monotonic() - opened
    finally:
        await conn.close()
    for client in [*silent, reader]:
        client.close()
    return {"silent_sockets": sockets, "closed_4408": sum(code == 4408 for code in codes),
            "all_closed_within_s": round(closed_after, 1),
            "event_ms_median_alone": round(statistics.median(alone), 1),
            "event_ms_max_alone": round(max(alone), 1),
            "event_ms_median_with_silent": round(statistics.median(crowded), 1),
            "event_ms_max_with_silent": round(max(crowded), 1)}
