"""GET /metrics: what an operator watches and alerts on, in Prometheus's text format, kept by
prometheus_client (alert rules: ops/prometheus/alerts.yml; dashboard: ops/grafana/).

Under `python -m gql serve` every worker process writes its metrics into one directory
(PROMETHEUS_MULTIPROC_DIR, which serve sets) and a scrape of any of them reads all of them:
counters and histograms summed over the workers, gauges summed (or the highest) over the live
ones. A process's own state (pool, subscriptions, the change log's position) is copied into
its gauges every SAMPLE_SECONDS and at each scrape; database-wide figures (size, cache hit
ratio, connections) and replica lag are read when scraped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)
# (a `_created` series beside every counter is noise to an operator)
disable_created_metrics()  # type: ignore[no-untyped-call]

SAMPLE_SECONDS = 5.0
SCRAPE_QUERY_SECONDS = 1.0
MAX_OPERATION_LABELS = 200
"""Distinct operation names a process labels; clients choose them, so later ones are '(other)'."""
NOT_EXECUTED = "(none)"

LATENCY_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
WAIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

HTTP_RESPONSES = Counter("gql_http_responses", "HTTP responses sent, by status code.", ["status"])
REQUEST_SECONDS = Histogram(
    "gql_request_duration_seconds",
    "GraphQL requests over HTTP, from arrival to the last byte sent, by operation name and type "
    f"('{NOT_EXECUTED}' for a request refused before it ran).",
    ["operation", "type"], buckets=LATENCY_BUCKETS)
GRAPHQL_ERRORS = Counter("gql_graphql_errors", "Errors sent in GraphQL responses (HTTP and WebSocket), "
                         f"by extensions.code ('{NOT_EXECUTED}' for syntax and validation errors).", ["code"])
SIGN_IN_FAILURES = Counter("gql_sign_in_failures", "Refused sign-ins, by reason.", ["reason"])
POOL_WAIT_SECONDS = Histogram("gql_db_pool_wait_seconds", "Time an operation waited for a pool connection.",
                              buckets=WAIT_BUCKETS)
WEBSOCKETS = Gauge("gql_websocket_connections", "Open WebSocket connections.", multiprocess_mode="livesum")
SUBSCRIPTIONS = Gauge("gql_subscriptions_active", "Live change-feed subscriptions.",
                      multiprocess_mode="livesum")
AUDIENCES = Gauge("gql_subscription_audiences", "Distinct answers the live feed computes per change.",
                  multiprocess_mode="livesum")
POOL_SIZE = Gauge("gql_db_pool_size", "Connections in the pools.", multiprocess_mode="livesum")
POOL_IDLE = Gauge("gql_db_pool_idle", "Idle connections in the pools.", multiprocess_mode="livesum")
POOL_MAX = Gauge("gql_db_pool_max", "Most connections the pools may open.", multiprocess_mode="livesum")
PROCESSES = Gauge("gql_worker_processes", "Worker processes serving.", multiprocess_mode="livesum")
CHANGE_LOG_POSITION = Gauge("gql_change_log_position", "Last change-log position a process has read.",
                            multiprocess_mode="livemax")
LIVE_MESSAGES = Counter("gql_live_messages", "Messages the live feed has written to sockets.")
LISTENER_RECONNECTS = Counter("gql_change_listener_reconnects",
                              "Times the LISTEN connection was re-established.")
WEBHOOK_DELIVERIES = Counter("gql_webhook_deliveries", "Webhook requests, by outcome (delivered: 2xx).",
                             ["outcome"])
WEBHOOK_EVENTS = Counter("gql_webhook_events", "Events delivered to webhooks (acknowledged by a 2xx).")
REPLICA_READS = Counter("gql_replica_reads", "Compiled reads the replica answered.")
REPLICA_FALLBACKS = Counter("gql_replica_fallbacks", "Reads the primary answered: replica down or behind.")


def multiprocess_mode() -> bool:
    """Whether prometheus_client was imported with PROMETHEUS_MULTIPROC_DIR set (it decides
    once, at import)."""
    return values.ValueClass is not values.MutexValue


class OperationNames:
    """Operation names as label values: those the operator listed (GQL_METRICS_OPERATIONS),
    and the first MAX_OPERATION_LABELS others a process meets. Clients choose names, so in
    the open (apq) mode a client can use up the second kind; the listed ones always count."""

    def __init__(self) -> None:
        self.listed: frozenset[str] = frozenset()
        self._seen: set[str] = set()

    def label(self, name: str | None) -> str:
        if not name:
            return "(anonymous)"
        if name in self.listed or name in self._seen:
            return name
        if len(self._seen) >= MAX_OPERATION_LABELS or len(name) > 100:
            return "(other)"
        self._seen.add(name)
        return name


OPERATION_NAMES = OperationNames()


def note_operation(state: dict[str, Any], name: str | None, kind: str) -> None:
    """Called by whichever executor runs a request's operation (scope state, for the histogram)."""
    state["operation"] = (OPERATION_NAMES.label(name), kind)


def observe_request(state: dict[str, Any], seconds: float) -> None:
    name, kind = state.get("operation", (NOT_EXECUTED, NOT_EXECUTED))
    REQUEST_SECONDS.labels(name, kind).observe(seconds)


def count_errors(errors: Any) -> None:
    """`errors`: GraphQLErrors or their formatted dicts."""
    for error in errors:
        extensions = error.get("extensions") if isinstance(error, dict) else error.extensions
        GRAPHQL_ERRORS.labels((extensions or {}).get("code") or NOT_EXECUTED).inc()


class ResponseCounter:
    """ASGI middleware counting HTTP responses by status code."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                HTTP_RESPONSES.labels(str(message["status"])).inc()
            await send(message)

        await self.app(scope, receive, counting_send)


class ProcessSampler:
    """Copies this process's state into its gauges, and its running totals (kept by the hub,
    the live feed and the replica router as plain numbers) into counters."""

    def __init__(self, graphql: Any) -> None:
        self.graphql = graphql
        self._totals: dict[str, int] = {}

    def sample(self) -> None:
        graphql = self.graphql
        pool, hub, live, replica = graphql.pool, graphql.hub, graphql.live, graphql.replica
        if pool is not None:
            POOL_SIZE.set(pool.get_size())
            POOL_IDLE.set(pool.get_idle_size())
            POOL_MAX.set(pool.get_max_size())
        PROCESSES.set(1)
        SUBSCRIPTIONS.set(graphql.subscription_count)
        AUDIENCES.set(live.audience_count if live else 0)
        CHANGE_LOG_POSITION.set(hub.position if hub else 0)
        self._advance(LIVE_MESSAGES, "live", live.delivered if live else 0)
        self._advance(LISTENER_RECONNECTS, "reconnects", hub.reconnects if hub else 0)
        if replica is not None:
            self._advance(REPLICA_READS, "replica_reads", replica.reads)
            self._advance(REPLICA_FALLBACKS, "replica_fallbacks", replica.fallbacks)

    def _advance(self, counter: Counter, key: str, total: int) -> None:
        before = self._totals.get(key, 0)
        if total > before:
            counter.inc(total - before)
        self._totals[key] = total

    async def run(self) -> None:
        while True:
            try:
                self.sample()
            except Exception as exc:  # metrics must never take the server down
                log.warning("sampling metrics failed: %r", exc)
            await asyncio.sleep(SAMPLE_SECONDS)


class ScrapeFigures(Collector):
    """Figures read at scrape time: the database's (from this process's pool) and the replica's
    lag as this process's router last saw it."""

    def __init__(self, database: dict[str, Any] | None, replica: Any) -> None:
        self.database = database
        self.replica = replica

    def collect(self) -> Iterator[Metric]:
        if self.database is not BUSY:
            yield GaugeMetricFamily("gql_database_up", "1 when the database answered this scrape "
                                    "(absent when every pool connection was busy).",
                                    value=1 if self.database else 0)
        if self.database:
            yield GaugeMetricFamily("gql_database_size_bytes", "Size of the database on disk.",
                                    value=self.database["size_bytes"])
            yield CounterMetricFamily("gql_database_blocks_hit", "Block reads PostgreSQL's buffer cache "
                                      "served (the cache hit ratio: its rate over that of all block reads).",
                                      value=self.database["blocks_hit"])
            yield CounterMetricFamily("gql_database_blocks_read", "Block reads that went to the operating "
                                      "system (its cache or the disk).", value=self.database["blocks_read"])
            hooks = self.database.get("webhooks") or {}
            yield GaugeMetricFamily("gql_webhook_lag_events", "Changes the furthest-behind active webhook "
                                    "has yet to acknowledge.", value=hooks.get("lag_events", 0))
            yield GaugeMetricFamily("gql_webhook_lag_seconds", "Age of the oldest change an active webhook "
                                    "has yet to acknowledge.", value=hooks.get("lag_seconds", 0))
            yield GaugeMetricFamily("gql_webhooks_paused", "Webhooks paused (by failures or their owners).",
                                    value=hooks.get("paused", 0))
            connections = GaugeMetricFamily("gql_database_connections",
                                            "Connections to the database, by state.", labels=["state"])
            for state, count in sorted(self.database["connections"].items()):
                connections.add_metric([state], count)
            yield connections
        if self.replica is not None:
            lag = self.replica.lag_seconds
            yield GaugeMetricFamily("gql_replica_lag_seconds",
                                    "How far the read replica is behind the primary (NaN: unreachable).",
                                    value=float("nan") if lag is None else lag)
            yield GaugeMetricFamily("gql_replica_in_rotation", "1 when reads may go to the replica.",
                                    value=1 if self.replica.usable else 0)


BUSY: dict[str, Any] = {}
"""No pool connection came within SCRAPE_QUERY_SECONDS: the database may be fine (a saturated
pool has its own alert), so nothing is said of it."""


async def database_figures(pool: Any) -> dict[str, Any] | None:
    if pool is None:
        return None
    try:
        conn = await pool.acquire(timeout=SCRAPE_QUERY_SECONDS)
    except TimeoutError:
        return BUSY
    except Exception as exc:  # the database is away (gql_database_up 0)
        log.info("reading database figures for /metrics failed: %r", exc)
        return None
    try:
        async with asyncio.timeout(SCRAPE_QUERY_SECONDS):
            figures: Any = await conn.fetchval("select api_private.database_figures()")
    except Exception as exc:
        log.info("reading database figures for /metrics failed: %r", exc)
        return None
    finally:
        await pool.release(conn)
    return dict(figures) if isinstance(figures, dict) else None


_PID_FILE = re.compile(r"_(\d+)\.db$")


def forget_dead_processes(directory: str) -> None:
    """Live gauges of a worker that died without its shutdown (killed, crashed) would count
    for ever: forget every process that is gone."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:  # (the server is stopping)
        return
    pids = {int(m[1]) for f in names if (m := _PID_FILE.search(f))}
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            with contextlib.suppress(FileNotFoundError):  # (another scrape got there first)
                multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]
        except PermissionError:
            pass


def exposition(figures: ScrapeFigures) -> bytes:
    if multiprocess_mode():
        directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
        forget_dead_processes(directory)
        kept = CollectorRegistry()
        multiprocess.MultiProcessCollector(kept, path=directory)  # type: ignore[no-untyped-call]
    else:
        kept = REGISTRY
    scraped = CollectorRegistry()
    scraped.register(figures)
    return generate_latest(kept) + generate_latest(scraped)


def metrics_endpoint(graphql: Any, sampler: ProcessSampler) -> Any:
    async def metrics(_request: Request) -> Response:
        sampler.sample()
        figures = ScrapeFigures(await database_figures(graphql.pool), graphql.replica)
        body = await asyncio.to_thread(exposition, figures)
        return Response(body, media_type=CONTENT_TYPE_LATEST)
    return metrics


def leave(directory: str | None = None) -> None:
    """This process stops: its live gauges stop counting."""
    directory = directory or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory and multiprocess_mode():
        with contextlib.suppress(OSError):
            multiprocess.mark_process_dead(os.getpid(), directory)  # type: ignore[no-untyped-call]
