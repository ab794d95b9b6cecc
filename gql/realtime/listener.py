"""The LISTEN connection: dedicated (a LISTEN on a pooled connection dies on release), watched,
and re-established with backoff whenever it is lost (asyncpg never reconnects a listener).

A notification carries a position and means only "the log has more": the hub reads the log
itself, so a notification lost while reconnecting costs nothing (`on_notify` is also called
after every reconnect, to read what arrived meanwhile).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

from gql.database import connect
from gql.realtime.settings import HubSettings

log = logging.getLogger(__name__)

CHANNEL = "gql_changes"
APPLICATION_NAME = "directory-gql-listener"


class ChangeListener:
    def __init__(self, url: str, on_notify: Callable[[], None], settings: HubSettings) -> None:
        self._url = url
        self._on_notify = on_notify
        self._settings = settings
        self._conn: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self.reconnects = 0
        self.connected = asyncio.Event()

    async def run(self) -> None:
        """Listen for ever: connect, watch, and after any loss reconnect with backoff."""
        backoff = 0.05
        try:
            while True:
                try:
                    await self._connect()
                    backoff = 0.05
                    await self._watch()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning("change listener unavailable (%r); reconnecting in %.2fs", exc, backoff)
                self._drop()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._settings.max_backoff)
                self.reconnects += 1
        finally:
            self._drop()

    async def _connect(self) -> None:
        self._lost.clear()
        conn = await connect(self._url, application_name=APPLICATION_NAME)
        conn.add_termination_listener(lambda _conn: self._lost.set())
        await conn.add_listener(CHANNEL, lambda *_args: self._on_notify())
        self._conn = conn
        self.connected.set()
        self._on_notify()  # read whatever arrived while nobody was listening
        log.info("change listener connected (backend pid %s)", conn.get_server_pid())

    async def _watch(self) -> None:
        """Return (raise) when the connection is lost: terminated, or failing the probe."""
        assert self._conn is not None
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._settings.probe_interval):
                    await self._lost.wait()
            if self._lost.is_set() or self._conn.is_closed():
                raise ConnectionError("the listener connection was terminated")
            async with asyncio.timeout(self._settings.probe_interval):
                await self._conn.fetchval("select 1")

    def _drop(self) -> None:
        self.connected.clear()
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.terminate()
            self._conn = None
