"""Writing to one WebSocket from the fan-out without waiting on it.

The fan-out hands the same text to thousands of sockets per event. A socket that is keeping
up takes a message at once: its send completes without suspending (the transport buffers
it), so it is started and finished right here, with no task and no wake-up. Only a send that
has to wait (the transport's buffer is full: the client is not reading) continues in a task
of its own; meanwhile later messages wait in a bounded buffer, and when that is full the
socket is closed with RESYNC_REQUIRED: it can never delay the others, and what it holds in
memory is bounded.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any

log = logging.getLogger(__name__)

TOO_SLOW_CLOSE_CODE = 1013  # "try again later"
TOO_SLOW_REASON = "RESYNC_REQUIRED: the client did not keep up; resume from your last cursor"


class SocketWriter:
    def __init__(self, send_text: Callable[[str], Coroutine[Any, Any, None]],
                 close: Callable[[int, str], Awaitable[None]],
                 max_pending_bytes: int) -> None:
        self._send_text = send_text
        self._close = close
        self._max_pending_bytes = max_pending_bytes
        self._pending: collections.deque[str] | None = None  # made when a send first waits
        self._pending_bytes = 0
        self._blocked: asyncio.Task[None] | None = None
        self.closed = False

    def write(self, text: str) -> None:
        """Send `text` now if the socket takes it, else queue it (closing the socket when
        the queue is full). Never waits."""
        if self.closed:
            return
        if self._blocked is not None:
            if self._pending is None:
                self._pending = collections.deque()
            self._pending.append(text)
            self._pending_bytes += len(text)
            if self._pending_bytes > self._max_pending_bytes:
                self._too_slow()
            return
        waiting = _start(self._send_text(text))
        if waiting is not None:
            self._blocked = asyncio.ensure_future(self._drain(waiting))

    async def _drain(self, waiting: Awaitable[None]) -> None:
        try:
            await waiting
            while self._pending and not self.closed:  # (None or empty: nothing waits)
                text = self._pending.popleft()
                self._pending_bytes -= len(text)
                await self._send_text(text)
        except Exception as exc:  # the socket went away: its subscriptions end with it
            log.debug("a socket write failed: %r", exc)
            self.closed = True
        finally:
            self._blocked = None

    def _too_slow(self) -> None:
        log.warning("closing a WebSocket that does not read its events (%d bytes waiting)",
                    self._pending_bytes)
        self.closed = True
        self._pending = None
        self._pending_bytes = 0
        if self._blocked is not None:
            self._blocked.cancel()
        task = asyncio.ensure_future(self._close(TOO_SLOW_CLOSE_CODE, TOO_SLOW_REASON))
        _closing.add(task)
        task.add_done_callback(_closing.discard)


_closing: set[asyncio.Task[None]] = set()


def _start(coro: Coroutine[Any, Any, None]) -> Awaitable[None] | None:
    """Run `coro` until it first has to wait: None when it finished without waiting (its
    error, if any, is logged and dropped: a closed socket), else what finishes it."""
    try:
        suspended = coro.send(None)
    except StopIteration:
        return None
    except Exception as exc:
        log.debug("a socket write failed: %r", exc)
        return None
    return _Resumed(coro, suspended)


class _Resumed:
    """The rest of a coroutine that has already run up to its first wait (`suspended`, the
    future it yielded): awaiting this hands that future to the awaiting task and drives the
    coroutine on from there, as `await coro` would have."""

    def __init__(self, coro: Coroutine[Any, Any, None], suspended: Any) -> None:
        self._coro = coro
        self._suspended = suspended

    def __await__(self) -> Generator[Any, Any, None]:
        pending = self._suspended
        while True:
            try:
                sent = yield pending
            except BaseException as exc:
                try:
                    pending = self._coro.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    pending = self._coro.send(sent)
                except StopIteration:
                    return

