"""Webhooks: the change log delivered to a server's endpoint (db/functions/78_webhooks.sql).

One worker per cluster at a time (an advisory lock; the other processes wait to take over)
reads each due subscription's changes after its cursor, re-reads every object as the
subscription's user may see it now (the WebSocket subscribers' rule: nothing they could not
see, tombstones only for what they could; a subscription with a selection through the sync
feed's compiled event statement, gql/schema/webhook_selection.py), and POSTs them in order,
up to `batch` a request:

    POST <url>
    Content-Type: application/json
    X-Directory-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
    Idempotency-Key: <subscription id>:<first seq>-<last seq>
    {"subscription": id, "cursor": <resume after this>, "events": [{"id": "<subscription>:<seq>",
     "cursor", "op", "entity", "entityId", "businessId", "at", "tombstone", "node": {...}}]}

The cursor moves only on a 2xx; a failure is retried with exponential backoff and jitter, and
after `max_attempts` in a row the subscription is paused with the reason. Every request has a
timeout, and subscriptions are delivered side by side: a slow endpoint delays only its own."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

import asyncpg
import httpx

from gql.database import RequestDatabase
from gql.edge.endpoints import url_problem
from gql.entities.business import BUSINESSES
from gql.entities.category import CATEGORIES
from gql.entities.review import RESPONSES, REVIEWS
from gql.identity import sealing
from gql.identity.auth import Identity
from gql.identity.data_key import DataKey
from gql.identity.token_holders import key_identity
from gql.loaders import Loaders
from gql.observability.metrics import WEBHOOK_DELIVERIES, WEBHOOK_EVENTS
from gql.postgres.outage import DATABASE_LOST, DatabaseUnavailable
from gql.realtime.change import EVENT_POSITION, Change
from gql.resolvers.changes import encode_change_cursor, visible_changes
from gql.settings import WebhookSettings

if TYPE_CHECKING:
    from gql.compiled.compiler import Statement

log = logging.getLogger(__name__)

WORKER_LOCK = 7_300_417_219
"""The advisory lock whose holder is the cluster's one delivery worker."""
SIGNATURE_HEADER = "X-Directory-Signature"
MAX_IN_FLIGHT = 16


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


Selections = Callable[[str, list[str]], "Statement | str"]
"""A webhook's selection and topics -> its compiled event statement, or why there is none."""


@dataclass(frozen=True)
class Refused:
    """Why the subscription cannot be delivered until its user acts: it is paused with this."""

    reason: str


REFUSED = Refused("its API key or account no longer stands")
ANSWER_PREFIX = 200
NODE_FIELDS = {
    "Business": BUSINESSES.webhook_columns(), "Review": REVIEWS.webhook_columns(),
    "ReviewResponse": RESPONSES.webhook_columns(), "Category": CATEGORIES.webhook_columns(),
}
"""What a webhook's node holds of each object: what the GraphQL API shows of it, no more
(moderators' notes, internal scores and counters stay out)."""


def _event(sub: asyncpg.Record, change: Change, tombstone: bool,
           node: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": f"{sub['id']}:{change.seq}", "cursor": encode_change_cursor(change.seq),
            "op": change.op, "entity": change.entity, "entityId": str(change.entity_id),
            "businessId": str(change.business_id) if change.business_id else None,
            "at": change.at.isoformat(), "tombstone": tombstone, "node": node}


def _node(entity: str, row: asyncpg.Record) -> dict[str, Any]:
    return {name: _plain(row[name]) for name in NODE_FIELDS.get(entity, ("id",)) if name in row}


def _plain(value: Any) -> Any:
    if isinstance(value, UUID | Decimal):
        return str(value) if isinstance(value, UUID) else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, asyncpg.Record):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class WebhookWorker:
    def __init__(self, pool: asyncpg.Pool, database_url: str, key: DataKey,
                 settings: WebhookSettings, selections: Selections) -> None:
        self.pool = pool
        self.selections = selections
        """Compiles a webhook's selection (gql/schema/webhook_selection.py, given by the app:
        the compiler sits above this worker)."""
        self.database_url = database_url
        self.key = key
        self.settings = settings
        self._http = httpx.AsyncClient(timeout=settings.timeout_seconds, follow_redirects=False)
        self._inflight: dict[UUID, asyncio.Task[bool]] = {}
        """A delivery per subscription at a time, each on its own: a slow endpoint holds up only
        its own subscription."""

    async def run(self) -> None:
        """Wait for the worker's lock (on a connection of its own), then deliver while holding it."""
        from gql.database import connect

        while True:
            conn = None
            try:
                conn = await connect(self.database_url)
                # (the lock is PostgreSQL's: nothing in this process can wake the wait)
                while not await conn.fetchval("select pg_try_advisory_lock($1)", WORKER_LOCK):  # noqa: ASYNC110
                    await asyncio.sleep(self.settings.poll_seconds * 5)
                log.info("this process delivers webhooks")
                while not conn.is_closed():
                    if not await self.deliver_due():
                        await asyncio.sleep(self.settings.poll_seconds)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # an outage: the lock goes with the connection; try again
                log.warning("the webhook worker stopped (%r); starting again", exc)
                await asyncio.sleep(self.settings.poll_seconds)
            finally:
                # No delivery of this process may go on once another may hold the lock.
                await self._stop_deliveries()
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()

    async def _stop_deliveries(self) -> None:
        for task in self._inflight.values():
            task.cancel()
        await asyncio.gather(*self._inflight.values(), return_exceptions=True)
        self._inflight.clear()

    async def close(self) -> None:
        await self._stop_deliveries()
        await self._http.aclose()

    async def deliver_due(self) -> bool:
        """Start a delivery for each due subscription not already being delivered; whether
        any delivery finished with work done since the last round (then look again at once)."""
        worked = False
        for sub_id, task in list(self._inflight.items()):
            if task.done():
                del self._inflight[sub_id]
                if task.cancelled():
                    continue
                if (problem := task.exception()) is not None:
                    log.warning("a webhook delivery failed unexpectedly: %r", problem)
                else:
                    worked = worked or task.result()
        async with self.pool.acquire() as conn:
            due = await conn.fetch("select * from api_private.due_webhooks(100)")
        for sub in due:
            if sub["id"] not in self._inflight and len(self._inflight) < MAX_IN_FLIGHT:
                task = asyncio.create_task(self.drain(sub), name=f"webhook {sub['id']}")
                self._inflight[sub["id"]] = task
        return worked

    async def drain(self, sub: asyncpg.Record) -> bool:
        """Deliver batch after batch while the subscription has work and its endpoint takes it."""
        worked = False
        current: asyncpg.Record | None = sub
        try:
            while current is not None and await self.deliver(current):  # (a failure is not due again yet)
                worked = True
                async with self.pool.acquire() as conn:
                    current = await conn.fetchrow("select * from api_private.due_webhook($1)", current["id"])
        except asyncio.CancelledError:
            raise
        except DATABASE_LOST:
            raise
        except Exception as exc:  # a bug or bad data: recorded and backed off like a failed request
            log.exception("delivering webhook %s failed", sub["id"])
            if current is not None:
                await self._failed(current, current["cursor"], current["cursor"], 0, None,
                                   f"internal error: {type(exc).__name__}", None)
        return worked

    async def deliver(self, sub: asyncpg.Record) -> bool:
        """The next batch of one subscription; whether there was one."""
        async with self.pool.acquire() as conn:
            horizon = await conn.fetchval("select pruned_through from change_log_horizon")
            rows = await conn.fetch("select * from api_private.changes_after($1, $2, null)",
                                    sub["cursor"], self.settings.batch * 4)
        if sub["cursor"] < horizon:  # what came after its cursor has left the log: not skipped silently
            await self._failed(sub, sub["cursor"], sub["cursor"], 0, None,
                               "the change log no longer holds the changes after its cursor; resume from "
                               "a later one", None, pause=True)
            return True
        wanted = sub["business_id"]
        changes = [c for c in map(Change.from_row, rows)
                   if c.topic in sub["topics"] and (wanted is None or c.business_id == wanted)]
        if not rows:
            return False
        through = rows[-1]["seq"]
        if len(changes) > self.settings.batch:  # the rest next time
            changes = changes[: self.settings.batch]
            through = changes[-1].seq
        events = await self._visible(sub, changes)
        if not events:  # nothing this user may see in these: past them, with no request
            await self._done(sub, through, rows[0]["seq"], 0, None, None)
            return True
        if isinstance(events, Refused):
            await self._failed(sub, sub["cursor"], sub["cursor"], 0, None, events.reason, None, pause=True)
            return True
        body = json.dumps({"subscription": str(sub["id"]), "cursor": encode_change_cursor(through),
                           "events": events}, separators=(",", ":")).encode()
        problem = await url_problem(sub["url"], self.settings.allow_private)
        started = time.perf_counter()
        status: int | None = None
        error = problem
        if problem is None:
            secret = self.key.open(sub["secret_sealed"], sealing.WEBHOOK_SECRET)
            headers = {"Content-Type": "application/json",
                       SIGNATURE_HEADER: signature(secret, int(time.time()), body),
                       "Idempotency-Key": f"{sub['id']}:{changes[0].seq}-{through}",
                       "User-Agent": "directory-gql-webhooks"}
            try:  # the whole exchange within the timeout; at most a short prefix of the answer read
                async with asyncio.timeout(self.settings.timeout_seconds), \
                        self._http.stream("POST", sub["url"], content=body, headers=headers) as answer:
                    status = answer.status_code
                    prefix = b""
                    async for chunk in answer.aiter_bytes():
                        prefix += chunk
                        if len(prefix) >= ANSWER_PREFIX:
                            break
                    shown = prefix[:ANSWER_PREFIX].decode("utf-8", "replace")
                    error = None if 200 <= status < 300 else f"HTTP {status}: {shown}"
            except TimeoutError:
                error = f"no answer within {self.settings.timeout_seconds:g} s (Timeout)"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:300] or type(exc).__name__
        latency = round((time.perf_counter() - started) * 1000)
        if error is None:
            WEBHOOK_DELIVERIES.labels("delivered").inc()
            WEBHOOK_EVENTS.inc(len(events))
            await self._done(sub, through, changes[0].seq, len(events), status, latency)
        else:
            WEBHOOK_DELIVERIES.labels("failed").inc()
            await self._failed(sub, changes[0].seq, through, len(events), status, error, latency)
        return True

    async def _done(self, sub: asyncpg.Record, through: int, first: int, events: int, status: int | None,
                    latency: int | None) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute("select api_private.webhook_done($1, $2, $3, $4, $5, $6, $7)",
                               sub["id"], sub["cursor"], through, first, events, status, latency)

    async def _failed(self, sub: asyncpg.Record, first: int, last: int, events: int, status: int | None,
                      error: str | None, latency: int | None, *, pause: bool = False) -> None:
        """Retried after a backoff with jitter (failed endpoints are not retried in step), or
        paused after max_attempts in a row (`pause`: at once)."""
        backoff = min(self.settings.retry_base_seconds * 2 ** sub["failures"], 600)
        async with self.pool.acquire() as conn:
            await conn.execute(
                "select api_private.webhook_failed($1, $2, $3, $4, $5, $6, $7, $8,"
                " make_interval(secs => $9), $10)",
                sub["id"], sub["cursor"], first, last, events, status, error, latency,
                backoff * random.uniform(0.5, 1.5), 1 if pause else self.settings.max_attempts)

    async def _visible(self, sub: asyncpg.Record, changes: list[Change]) -> list[dict[str, Any]] | Refused:
        """The changes as the subscription's user (through its key, when a key made it) may see
        them now, in one transaction of theirs."""
        if not changes:
            return []
        identity = await self._reader(sub)
        if identity is None:
            return REFUSED
        if sub["selection"] is not None:
            return await self._selected(sub, identity, changes)
        db = RequestDatabase(self.pool, identity)
        try:
            seen = await visible_changes(Loaders(db), identity, changes)
        finally:
            await db.finish(commit=False)
        return [_event(sub, v.change, v.row is None, None if v.row is None else _node(v.change.entity, v.row))
                for v in seen]

    async def _selected(self, sub: asyncpg.Record, identity: Identity,
                        changes: list[Change]) -> list[dict[str, Any]] | Refused:
        """The changes through the webhook's own selection: the sync feed's compiled event
        statement, one per change, as the reader (null: not theirs to see)."""
        statement = self.selections(sub["selection"], list(sub["topics"]))
        if isinstance(statement, str):
            return Refused(f"its selection no longer holds: {statement}")
        db = RequestDatabase(self.pool, identity)
        events = []
        for change in changes:
            params = list(statement.params)
            params[EVENT_POSITION] = str(change.seq)
            try:
                data = await db.run_compiled(statement.sql, params)
            except DatabaseUnavailable as exc:  # an outage, as the other path meets it (DATABASE_LOST),
                raise ConnectionError("the database is unavailable") from exc  # not a failed delivery
            if data is not None:
                answer = json.loads(data)["changes"]
                events.append(_event(sub, change, answer["tombstone"], answer["node"]))
        return events

    async def _reader(self, sub: asyncpg.Record) -> Identity | None:
        """Who the subscription reads as: its key (scopes, businesses) or its user; None when
        that no longer stands (key revoked or expired, account gone)."""
        async with self.pool.acquire() as conn:
            if sub["api_key_id"] is not None:
                key = await conn.fetchrow("select k.secret_hash from api_keys k where k.id = $1",
                                          sub["api_key_id"])
                if key is None:
                    return None
                row = await conn.fetchrow("select * from api_private.key_identity($1, 0)", key["secret_hash"])
                found = None if row is None else key_identity(row, key["secret_hash"])
                return found if isinstance(found, Identity) else None
            state = await conn.fetchrow("select * from api_private.account_state($1, null)", sub["user_id"])
        if state is None or not state["active"]:
            return None
        return Identity(user_id=sub["user_id"], roles=frozenset(state["roles"]))
